"""The database's records as an ``Extract``, so the analysis layer never touches the ORM.

Movement (a sighting or GPS point, ``actions.outcomes.record_sighting``: source
``movement-*``) is left out: it is where a person was, not an incident."""

from __future__ import annotations

import polars as pl
from django.db import connection

from deter.analysis.extract import TABLES, Extract, schema

QUERIES = {
    "people": """
        SELECT person_id, date_of_birth, NULLIF(sex, ''), NULLIF(ethnicity, '')
        FROM deter_person""",
    "events": """
        SELECT e.event_id, e.occurred_at, NULLIF(e.offence_code, ''),
               NULLIF(e.offence_category, ''), l.latitude, l.longitude, NULLIF(l.lsoa_code, '')
        FROM deter_event e LEFT JOIN deter_location l ON l.id = e.location_id
        WHERE e.source NOT LIKE 'movement-%'""",
    "involvements": """
        SELECT e.event_id, p.person_id, i.role
        FROM deter_involvement i
        JOIN deter_event e ON e.id = i.event_id
        JOIN deter_person p ON p.id = i.person_id
        WHERE e.source NOT LIKE 'movement-%'""",
    "associations": """
        SELECT a.person_id, b.person_id, s.kind, s.weight, s.observed_at, NULLIF(s.source, '')
        FROM deter_association s
        JOIN deter_person a ON a.id = s.person_a_id
        JOIN deter_person b ON b.id = s.person_b_id""",
    "groups": """
        SELECT group_id, NULLIF(name, ''), NULLIF(kind, '') FROM deter_recordedgroup""",
    "memberships": """
        SELECT p.person_id, g.group_id, m.start, m."end", NULLIF(m.source, ''), m.confidence
        FROM deter_membership m
        JOIN deter_person p ON p.id = m.person_id
        JOIN deter_recordedgroup g ON g.id = m.group_id""",
}


def extract_from_database() -> Extract:
    frames = {}
    with connection.cursor() as cursor:
        for name, sql in QUERIES.items():
            cursor.execute(sql)
            rows = cursor.fetchall()
            frames[name] = _frame(rows, TABLES[name])
    return Extract.from_frames(**frames)


def query_frame(sql: str, types: dict[str, pl.DataType], params=()) -> pl.DataFrame:
    """The rows of ``sql`` as a frame of ``types`` (one per selected column, in order)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return _typed(cursor.fetchall(), types)


# Keys a query names at once: under SQLite's limit of 32,766 parameters, and few enough that
# PostgreSQL plans the IN list quickly.
CHUNK = 5000


def query_keys(sql: str, types: dict[str, pl.DataType], keys) -> pl.DataFrame:
    """``sql``, whose ``{keys}`` stands for a list of parameters, for each chunk of ``keys``
    (distinct, nulls left out): only the rows an extract names are read, not the table."""
    keys = sorted({k for k in keys if k is not None})
    frames = [
        query_frame(sql.format(keys=", ".join(["%s"] * len(chunk))), types, chunk)
        for chunk in (keys[i:i + CHUNK] for i in range(0, len(keys), CHUNK))
    ]
    return pl.concat(frames) if frames else pl.DataFrame(schema=types)


def _frame(rows: list[tuple], table) -> pl.DataFrame:
    return _typed(rows, schema(table))


def _typed(rows: list[tuple], types: dict[str, pl.DataType]) -> pl.DataFrame:
    """Rows as a typed frame (both backends give Python dates; SQLite's times are naive UTC)."""
    if connection.vendor == "sqlite":
        naive = {k: pl.Datetime("us") if isinstance(t, pl.Datetime) else t
                 for k, t in types.items()}
        frame = pl.DataFrame(rows, schema=naive, orient="row")
        return frame.with_columns(pl.col(pl.Datetime).dt.replace_time_zone("UTC"))
    return pl.DataFrame(rows, schema=types, orient="row")

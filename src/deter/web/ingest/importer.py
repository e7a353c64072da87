"""Load a validated extract into the database: all of it in one transaction, or nothing.

``deter.analysis.extract`` has already checked the extract on its own; here we check it against
what the database already holds (an id imported before is reported by file, row and column) and
insert with ``bulk_create``.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from django.db import connection, transaction

from deter.analysis.extract import Extract, ExtractError

from .. import audit
from ..actions import group_response
from ..models import (
    Association,
    Event,
    Involvement,
    Location,
    Membership,
    Person,
    RecordedGroup,
)

BATCH = 5000


@dataclass(frozen=True)
class ImportSummary:
    source: str
    counts: dict[str, int]

    def __str__(self) -> str:
        return ", ".join(f"{n:,} {name}" for name, n in self.counts.items())


def load_extract(extract: Extract, source: str, actor=None) -> ImportSummary:
    """Insert every table of ``extract``; raise ExtractError (and insert nothing) on a clash."""
    with transaction.atomic():
        _refuse_existing(extract, "people", "person_id", Person)
        _refuse_existing(extract, "events", "event_id", Event)
        _refuse_existing(extract, "groups", "group_id", RecordedGroup)
        people = _insert_people(extract.people)
        events = _insert_events(extract.events, source)
        groups = _insert_groups(extract.groups)
        counts = {
            "people": extract.people.height,
            "events": extract.events.height,
            "involvements": _insert_involvements(extract.involvements, events, people),
            "associations": _insert_associations(extract.associations, people),
            "groups": extract.groups.height,
            "memberships": _insert_memberships(extract.memberships, people, groups),
        }
        summary = ImportSummary(source, counts)
        audit.record(actor, "import_extract", "extract", source[:80], **counts)
        # New events may be violence by members of active cohort groups.
        group_response.raise_flags()
    return summary


def _refuse_existing(extract: Extract, table: str, column: str, model) -> None:
    frame = getattr(extract, table)
    if frame.height == 0 or not model.objects.exists():
        return
    existing = list(model.objects.values_list(column, flat=True))
    hits = frame.with_row_index("_n").filter(pl.col(column).is_in(existing)).head(1)
    if hits.height:
        file, row = extract.origin(table, int(hits["_n"][0]))
        raise ExtractError(
            file, f"{hits[column][0]!r} is already in the database (imported before)",
            row=row, column=column,
        )


def _bulk(model, objects) -> list:
    return model.objects.bulk_create(objects, batch_size=BATCH)


def _id_map(model, field: str) -> dict[str, int]:
    """Every record's key -> database id (earlier imports included: ids never clash)."""
    return dict(model.objects.values_list(field, "id"))


def _insert_people(people: pl.DataFrame) -> dict[str, int]:
    _bulk(Person, (
        Person(person_id=r["person_id"], date_of_birth=r["date_of_birth"], sex=r["sex"] or "",
               ethnicity=r["ethnicity"] or "")
        for r in people.iter_rows(named=True)
    ))
    return _id_map(Person, "person_id")


def _insert_locations(events: pl.DataFrame) -> pl.DataFrame:
    """Distinct places of the events, inserted; returns the key columns with each place's id."""
    keys = ["latitude", "longitude", "lsoa_code"]
    places = (
        events.select(keys)
        .filter(pl.any_horizontal(pl.col(k).is_not_null() for k in keys))
        .unique(maintain_order=True)
    )
    created = _bulk(Location, (
        Location(latitude=r["latitude"], longitude=r["longitude"], lsoa_code=r["lsoa_code"] or "")
        for r in places.iter_rows(named=True)
    ))
    if places.height and created[0].pk is None:
        raise RuntimeError(f"{connection.vendor} did not return ids from bulk_create")
    return places.with_columns(pl.Series("location_pk", [loc.pk for loc in created],
                                         dtype=pl.Int64))


def _insert_events(events: pl.DataFrame, source: str) -> dict[str, int]:
    places = _insert_locations(events)
    located = events.join(places, on=["latitude", "longitude", "lsoa_code"], how="left",
                          nulls_equal=True, maintain_order="left")
    _bulk(Event, (
        Event(event_id=r["event_id"], occurred_at=r["occurred_at"],
              offence_code=r["offence_code"] or "", offence_category=r["offence_category"] or "",
              location_id=r["location_pk"], source=source[:64])
        for r in located.iter_rows(named=True)
    ))
    return _id_map(Event, "event_id")


def _insert_groups(groups: pl.DataFrame) -> dict[str, int]:
    _bulk(RecordedGroup, (
        RecordedGroup(group_id=r["group_id"], name=r["name"] or "", kind=r["kind"] or "")
        for r in groups.iter_rows(named=True)
    ))
    return _id_map(RecordedGroup, "group_id")


def _insert_involvements(involvements, events, people) -> int:
    return len(_bulk(Involvement, (
        Involvement(event_id=events[e], person_id=people[p], role=role)
        for e, p, role in involvements.iter_rows()
    )))


def _insert_associations(associations, people) -> int:
    return len(_bulk(Association, (
        Association(person_a_id=people[r["person_a"]], person_b_id=people[r["person_b"]],
                    kind=r["kind"], weight=r["weight"], observed_at=r["observed_at"],
                    source=r["source"] or "")
        for r in associations.iter_rows(named=True)
    )))


def _insert_memberships(memberships, people, groups) -> int:
    return len(_bulk(Membership, (
        Membership(person_id=people[r["person_id"]], group_id=groups[r["group_id"]],
                   start=r["start"], end=r["end"], source=r["source"] or "",
                   confidence=r["confidence"])
        for r in memberships.iter_rows(named=True)
    )))


def database_is_empty() -> bool:
    return not (Person.objects.exists() or Event.objects.exists())


__all__ = ["ImportSummary", "load_extract", "database_is_empty", "ExtractError"]

"""Read data.police.uk street-crime CSVs exactly as that site publishes them.

They hold events without people: a month (no day or time), a snapped location, an LSOA and a
police.uk crime type.  Anti-social behaviour rows have no Crime ID; they get a stable id made
from the file name and row so that re-reading the same file gives the same ids.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl

from .extract import (
    EARLIEST,
    TABLES,
    TOLERANCE,
    Extract,
    ExtractError,
    _first_bad,
    _read_raw,
    conform,
)

# a repeated Crime ID gets "#n" (see read_police_uk): room kept for it in the id's limit
ID_SUFFIX_ROOM = 6
STREET_COLUMNS = (
    "Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
    "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context",
)


def read_police_uk(paths: Iterable[str | Path], as_of: date | None = None) -> Extract:
    """An extract of events from one or more street-crime files; ExtractError names any fault.

    data.police.uk repeats a Crime ID within a month's file: sometimes the same row printed
    twice, more often on rows at different locations (each row a crime as published).  A row
    that repeats an earlier one exactly, every column alike, is merged into it; distinct rows
    sharing a Crime ID are kept as distinct events keyed ``<Crime ID>#<n>``, n counting those
    rows in the order given.  ``Extract.notes`` says what was merged and kept and why.  Only
    two files holding the same force's same month are refused as "the same month given twice".
    """
    as_of = as_of or datetime.now(UTC).date()
    frames = [_read_street_file(Path(p), as_of) for p in paths]
    if not frames:
        raise ExtractError("(no files)", "give at least one data.police.uk street CSV")
    events = pl.concat(frames)
    _refuse_a_month_given_twice(events)
    notes: list[str] = []
    identified = pl.col("event_id").is_not_null()
    repeat = identified & pl.struct("event_id", "_content").is_duplicated() & (
        pl.int_range(pl.len()).over("event_id", "_content") > 0)
    merged = events.filter(repeat)
    if merged.height:
        notes.append(
            f"{merged.height:,} row(s) repeat an earlier row exactly (same Crime ID, every "
            f"column alike) and were merged into it, e.g. {merged['_file'][0]} row "
            f"{merged['_row'][0]}")
        events = events.filter(~repeat)
    shared = identified & pl.col("event_id").is_duplicated()
    repeated = events.filter(shared)
    if repeated.height:
        notes.append(
            f"{repeated['event_id'].n_unique():,} Crime ID(s) appear on {repeated.height:,} "
            "distinct rows (as data.police.uk publishes them, e.g. at different locations); "
            "each row is kept as its own event, keyed Crime ID#n, e.g. "
            f"{repeated['_file'][0]} row {repeated['_row'][0]}")
        events = events.with_columns(
            pl.when(shared)
            .then(pl.col("event_id") + "#"
                  + (pl.int_range(1, pl.len() + 1).over("event_id")).cast(pl.String))
            .otherwise(pl.col("event_id"))
            .alias("event_id"))
    blank = events.filter(pl.col("_blank_id")).height
    if blank:
        notes.append(f"{blank:,} row(s) without a Crime ID (anti-social behaviour) kept, each "
                     "keyed by its file and row")
    extract = Extract.from_frames(events=events.drop("_file", "_row", "_content", "_blank_id",
                                                     "_force"))
    extract.origins = {"events": (events["_file"].to_list(), events["_row"].to_list())}
    extract.notes = notes
    return extract


def _refuse_a_month_given_twice(events: pl.DataFrame) -> None:
    """Two files holding one force's same month: the one case a repeated id means that."""
    files = (events.group_by("_force", "occurred_at", maintain_order=True)
             .agg(pl.col("_file").unique(maintain_order=True))
             .filter(pl.col("_file").list.len() > 1))
    if files.height:
        first = files.row(0, named=True)
        names = first["_file"]
        row = events.filter(pl.col("_file") == names[1]).row(0, named=True)
        raise ExtractError(
            names[1], f"holds {first['_force']}'s {first['occurred_at']:%Y-%m} as {names[0]} "
            "does: the same month given twice?", row=row["_row"], column="Month")


def _read_street_file(path: Path, as_of: date) -> pl.DataFrame:
    if not path.is_file():
        raise ExtractError(str(path), "no such file")
    raw = _read_raw(path)
    if tuple(raw.columns) != STREET_COLUMNS:
        missing = [c for c in STREET_COLUMNS if c not in raw.columns]
        extra = [c for c in raw.columns if c not in STREET_COLUMNS]
        problem = (f"missing column(s) {missing}" if missing else f"unexpected column(s) {extra}"
                   if extra else "columns are in an unexpected order")
        raise ExtractError(path.name, f"not a data.police.uk street file: {problem}", row=1)
    blank = pl.col(pl.String).str.strip_chars() == ""
    raw = raw.with_columns(pl.when(~blank).then(pl.col(pl.String)))
    frame = raw.with_row_index("_n").with_columns(
        pl.col("Month").str.strptime(pl.Date, "%Y-%m", strict=False).alias("_month"),
        pl.col("Latitude").cast(pl.Float64, strict=False).alias("latitude"),
        pl.col("Longitude").cast(pl.Float64, strict=False).alias("longitude"),
    )
    for column, parsed in (("Month", "_month"), ("Latitude", "latitude"),
                           ("Longitude", "longitude")):
        what = "a month (YYYY-MM)" if column == "Month" else "a number"
        _first_bad(path.name, frame,
                   pl.col(column).is_not_null() & pl.col(parsed).is_null(), column,
                   f"is not {what}")
    _first_bad(path.name, frame, pl.col("Month").is_null(), "Month", "value is required")
    _first_bad(path.name, frame, pl.col("_month") < EARLIEST, "Month",
               f"is before {EARLIEST:%Y}: not a month this data can hold")
    _first_bad(path.name, frame, pl.col("_month") > as_of + TOLERANCE, "Month",
               f"is after the as-of date {as_of}: a month not yet published")
    _first_bad(path.name, frame, pl.col("Crime type").is_null(), "Crime type", "value is required")
    for column, target in (("Crime ID", "event_id"), ("LSOA code", "lsoa_code"),
                           ("Crime type", "offence_category")):
        limit = TABLES["events"].column(target).max_length or 0
        limit -= ID_SUFFIX_ROOM if column == "Crime ID" else 0
        _first_bad(path.name, frame, pl.col(column).str.len_chars() > limit, column,
                   f"is longer than {limit} characters, the database's limit for it")
    events = frame.select(
        pl.coalesce(
            pl.col("Crime ID"),
            pl.lit(f"{path.stem}-row") + (pl.col("_n") + 2).cast(pl.String),
        ).alias("event_id"),
        pl.col("_month").cast(pl.Datetime("us")).dt.replace_time_zone("UTC").alias("occurred_at"),
        pl.lit(None, dtype=pl.String).alias("offence_code"),
        pl.col("Crime type").str.to_lowercase().alias("offence_category"),
        "latitude",
        "longitude",
        pl.col("LSOA code").alias("lsoa_code"),
        pl.lit(path.name).alias("_file"),
        (pl.col("_n") + 2).alias("_row"),
        pl.concat_str([pl.col(c).fill_null("\x00") for c in STREET_COLUMNS],
                      separator="\x1f").alias("_content"),
        pl.col("Crime ID").is_null().alias("_blank_id"),
        pl.coalesce(pl.col("Reported by"), pl.lit("(no force)")).alias("_force"),
    )
    extra = ["_file", "_row", "_content", "_blank_id", "_force"]
    return conform(events, TABLES["events"]).with_columns(events[c] for c in extra)

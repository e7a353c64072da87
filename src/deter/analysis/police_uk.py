"""Read data.police.uk street-crime CSVs exactly as that site publishes them.

They hold events without people: a month (no day or time), a snapped location, an LSOA and a
police.uk crime type.  Anti-social behaviour rows have no Crime ID; they get a stable id made
from the file name and row so that re-reading the same file gives the same ids.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import polars as pl

from .extract import TABLES, Extract, ExtractError, _first_bad, _read_raw, conform

STREET_COLUMNS = (
    "Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
    "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context",
)


def read_police_uk(paths: Iterable[str | Path]) -> Extract:
    """An extract of events from one or more street-crime files; ExtractError names any fault."""
    frames = [_read_street_file(Path(p)) for p in paths]
    if not frames:
        raise ExtractError("(no files)", "give at least one data.police.uk street CSV")
    events = pl.concat(frames)
    duplicated = events.filter(pl.col("event_id").is_duplicated())
    if duplicated.height:
        raise ExtractError(
            duplicated["_file"][0], f"Crime ID {duplicated['event_id'][0]!r} appears twice "
            "(is the same month given twice?)", row=int(duplicated["_row"][0]), column="Crime ID",
        )
    extract = Extract.from_frames(events=events.drop("_file", "_row"))
    extract.origins = {"events": (events["_file"].to_list(), events["_row"].to_list())}
    return extract


def _read_street_file(path: Path) -> pl.DataFrame:
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
    _first_bad(path.name, frame, pl.col("Crime type").is_null(), "Crime type", "value is required")
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
    )
    return conform(events, TABLES["events"]).with_columns(events["_file"], events["_row"])

"""Hotspots: British National Grid (or local grid) cells and LSOAs, ranked by harm, with
the events that have no place counted; LSOA residents for rates per 1,000."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np
import polars as pl

from deter.analysis.extract import ExtractError
from deter.analysis.harm_tables import (
    DEFAULT_TABLE,
    HarmTable,
    load_harm_table,
)
from deter.analysis.places.events import (
    _check_positive,
    _violent_expr,
    event_harm_expr,
    require_columns,
)
from deter.analysis.places.projection import _in_gb, _local_radii, grid_to_wgs84, wgs84_to_grid

PLACE_COLUMNS = (
    "place_kind", "place_id", "latitude", "longitude", "events", "violent_events", "harm",
    "harm_share", "cumulative_share", "rank", "population", "events_per_1000", "harm_per_1000",
)
PROJECTIONS = ("auto", "bng", "local")
UNLOCATED = "unlocated"
NO_COORDINATES, NO_LSOA = "no-coordinates", "no-lsoa"


def grid_hotspots(
    events: pl.DataFrame,
    cell_metres: float = 250,
    weight: str = "harm_weight",
    *,
    decay: str | None = None,
    projection: str = "auto",
    table: HarmTable | None = None,
) -> pl.DataFrame:
    """Events and harm by grid cell, most harm first (``PLACE_COLUMNS``).

    ``weight``: the column holding each event's harm (e.g. ``harm_weight`` from
    ``deter.analysis.harm.event_harm``); ``decay``: an optional column it is multiplied by (a
    recency decay), default none; ``projection``: "bng" (British National Grid), "local"
    (equirectangular) or "auto" (the National Grid when the median event is in Great Britain);
    ``table``: the harm table that decides which events are violent (default CCHI 2026).
    """
    _check_positive("cell_metres", cell_metres)
    require_columns(events, "latitude", "longitude")
    if projection not in PROJECTIONS:
        raise ValueError(f"projection must be one of {', '.join(PROJECTIONS)}, not {projection!r}")
    lat, lon = pl.col("latitude").cast(pl.Float64), pl.col("longitude").cast(pl.Float64)
    frame = events.select(
        lat.alias("latitude"),
        lon.alias("longitude"),
        event_harm_expr(events, weight, decay).alias("_harm"),
        _violent_expr(events, table).alias("_violent"),
    ).with_columns(_has_point().alias("_located"))
    placed = frame.filter("_located")
    if placed.height == 0:
        return _ranked(_no_places(), frame, "grid", NO_COORDINATES)
    grid = _Grid(placed["latitude"].to_numpy(), placed["longitude"].to_numpy(), projection,
                 float(cell_metres))
    x, y = grid.forward(placed["latitude"].to_numpy(), placed["longitude"].to_numpy())
    cells = (
        pl.DataFrame({
            "_col": np.floor(x / grid.size).astype(np.int64),
            "_row": np.floor(y / grid.size).astype(np.int64),
        })
        .with_columns(placed["_harm"], placed["_violent"])
        .group_by("_col", "_row")
        .agg(_aggregates(frame))
    )
    centre_lat, centre_lon = grid.inverse(
        (cells["_col"].to_numpy() + 0.5) * grid.size, (cells["_row"].to_numpy() + 0.5) * grid.size
    )
    cells = cells.with_columns(
        grid.place_id().alias("place_id"),
        pl.Series("latitude", np.round(centre_lat, 6)),
        pl.Series("longitude", np.round(centre_lon, 6)),
    ).drop("_col", "_row")
    return _ranked(cells, frame, "grid", NO_COORDINATES)


class _Grid:
    """The projection to metres of one set of events, and the ids of its cells."""

    def __init__(self, lat: np.ndarray, lon: np.ndarray, projection: str, size: float):
        median_lat, median_lon = float(np.median(lat)), float(np.median(lon))
        self.bng = projection == "bng" or (
            projection == "auto" and _in_gb(median_lat, median_lon)
        )
        self.size = size
        self.lat0, self.lon0 = math.floor(median_lat), math.floor(median_lon)
        self.north, self.east = _local_radii(self.lat0 + 0.5)

    def forward(self, lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.bng:
            return wgs84_to_grid(lat, lon)
        return np.radians(lon - self.lon0) * self.east, np.radians(lat - self.lat0) * self.north

    def inverse(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.bng:
            return grid_to_wgs84(x, y)
        return self.lat0 + np.degrees(y / self.north), self.lon0 + np.degrees(x / self.east)

    def place_id(self) -> pl.Expr:
        """From the cell's ``_col`` and ``_row``: its south-west corner on the National Grid,
        or its column and row from the local origin."""
        label = f"{self.size:g}"
        if self.bng:
            return pl.format(
                f"G{label}-E{{}}-N{{}}",
                (pl.col("_col") * self.size).floor().cast(pl.Int64),
                (pl.col("_row") * self.size).floor().cast(pl.Int64),
            )
        ns = "N" if self.lat0 >= 0 else "S"
        ew = "E" if self.lon0 >= 0 else "W"
        corner = f"{ns}{abs(self.lat0)}{ew}{abs(self.lon0)}"
        return pl.format(f"L{label}-{corner}-{{}}-{{}}", "_col", "_row")


def _has_point() -> pl.Expr:
    lat, lon = pl.col("latitude"), pl.col("longitude")
    return (
        lat.is_not_null() & lon.is_not_null() & lat.is_not_nan() & lon.is_not_nan()
        & ~((lat == 0) & (lon == 0))
    )


def _aggregates(frame: pl.DataFrame) -> list[pl.Expr]:
    """events, violent_events (null when violence is unknown) and harm of a group of events."""
    violent_known = frame["_violent"].null_count() == 0
    return [
        pl.len().cast(pl.Int64).alias("events"),
        (pl.col("_violent").sum() if violent_known else pl.lit(None))
        .cast(pl.Int64).alias("violent_events"),
        pl.col("_harm").sum().alias("harm"),
    ]


def _no_places() -> pl.DataFrame:
    return pl.DataFrame(
        schema={"place_id": pl.String, "latitude": pl.Float64, "longitude": pl.Float64,
                "events": pl.Int64, "violent_events": pl.Int64, "harm": pl.Float64}
    )


def _ranked(
    places: pl.DataFrame, frame: pl.DataFrame, kind: str, unlocated_id: str
) -> pl.DataFrame:
    """``places`` ranked by harm (ties: more events, then id), with shares of all harm and, when
    some events could not be placed, the row counting them."""
    total = float(frame["_harm"].sum())
    share = (pl.col("harm") / total) if total > 0 else pl.lit(None, dtype=pl.Float64)
    ranked = (
        places.sort(["harm", "events", "place_id"], descending=[True, True, False])
        .with_columns(
            pl.lit(kind).alias("place_kind"),
            share.alias("harm_share"),
            pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("rank"),
        )
        .with_columns(pl.col("harm_share").cum_sum().alias("cumulative_share"))
    )
    missing = frame.filter(~pl.col("_located"))
    if missing.height:
        violent = missing["_violent"]
        unlocated = pl.DataFrame(
            {
                "place_kind": [UNLOCATED],
                "place_id": [unlocated_id],
                "events": [missing.height],
                "violent_events": [int(violent.sum()) if violent.null_count() == 0 else None],
                "harm": [float(missing["_harm"].sum())],
            },
            schema_overrides={"violent_events": pl.Int64},
        ).with_columns(share.alias("harm_share"))
        ranked = pl.concat([ranked, unlocated], how="diagonal_relaxed")
    return _conform(ranked)


def _conform(places: pl.DataFrame) -> pl.DataFrame:
    dtypes = {
        "place_kind": pl.String, "place_id": pl.String, "latitude": pl.Float64,
        "longitude": pl.Float64, "events": pl.Int64, "violent_events": pl.Int64,
        "harm": pl.Float64, "harm_share": pl.Float64, "cumulative_share": pl.Float64,
        "rank": pl.Int64, "population": pl.Int64, "events_per_1000": pl.Float64,
        "harm_per_1000": pl.Float64,
    }
    return places.select(
        (pl.col(c) if c in places.columns else pl.lit(None)).cast(dtypes[c]).alias(c)
        for c in PLACE_COLUMNS
    )


def lsoa_hotspots(
    events: pl.DataFrame,
    weight: str = "harm_weight",
    *,
    decay: str | None = None,
    population: pl.DataFrame | None = None,
    table: HarmTable | None = None,
) -> pl.DataFrame:
    """Events and harm by ``lsoa_code``, most harm first (``PLACE_COLUMNS``).

    ``population``: optional frame with ``lsoa_code`` and ``population`` (see
    ``read_lsoa_population``) for rates per 1,000 residents; other parameters as
    ``grid_hotspots``.
    """
    require_columns(events, "lsoa_code", "latitude", "longitude")
    frame = (
        events.select(
            pl.col("lsoa_code").cast(pl.String).str.strip_chars().alias("place_id"),
            pl.col("latitude").cast(pl.Float64),
            pl.col("longitude").cast(pl.Float64),
            event_harm_expr(events, weight, decay).alias("_harm"),
            _violent_expr(events, table).alias("_violent"),
        )
        .with_columns(
            pl.when(_has_point()).then(pl.col("latitude")).alias("latitude"),
            pl.when(_has_point()).then(pl.col("longitude")).alias("longitude"),
        )
        .with_columns((pl.col("place_id").fill_null("") != "").alias("_located"))
    )
    places = (
        frame.filter("_located")
        .group_by("place_id")
        .agg(
            pl.col("latitude").mean().round(6),
            pl.col("longitude").mean().round(6),
            *_aggregates(frame),
        )
    )
    ranked = _ranked(places, frame, "lsoa", NO_LSOA)
    if population is None:
        return ranked
    missing = {"lsoa_code", "population"} - set(population.columns)
    if missing:
        raise ValueError(f"population needs columns lsoa_code and population; missing {missing}")
    residents = population.select(
        pl.col("lsoa_code").cast(pl.String), pl.col("population").cast(pl.Int64)
    ).unique("lsoa_code", keep="first")
    per_1000 = pl.when(pl.col("population") > 0).then(1000 / pl.col("population"))
    return _conform(
        ranked.drop("population")
        .join(residents, left_on="place_id", right_on="lsoa_code", how="left",
              maintain_order="left")
        .with_columns(
            pl.when(pl.col("place_kind") == "lsoa").then(pl.col("population")).alias("population")
        )
        .with_columns(
            (pl.col("events") * per_1000).alias("events_per_1000"),
            (pl.col("harm") * per_1000).alias("harm_per_1000"),
        )
    )


def places_table(
    events: pl.DataFrame,
    *,
    cell_metres: float = 250,
    weight: str = "harm_weight",
    decay: str | None = None,
    population: pl.DataFrame | None = None,
    projection: str = "auto",
    table: HarmTable | None = None,
) -> pl.DataFrame:
    """places.csv: the grid hotspots, then the LSOA hotspots, then the unlocated rows."""
    table = table or load_harm_table(DEFAULT_TABLE)
    grid = grid_hotspots(events, cell_metres, weight, decay=decay, projection=projection,
                         table=table)
    lsoa = lsoa_hotspots(events, weight, decay=decay, population=population, table=table)
    both = pl.concat([grid, lsoa])
    located = pl.col("place_kind") != UNLOCATED
    return pl.concat([both.filter(located), both.filter(~located)])


def places_summary(places: pl.DataFrame) -> dict[str, int]:
    """Counts for a report: cells and LSOAs with events, events without coordinates or LSOA."""
    def unlocated(place_id: str) -> int:
        rows = places.filter((pl.col("place_kind") == UNLOCATED) & (pl.col("place_id") == place_id))
        return int(rows["events"].sum())

    kind = places["place_kind"]
    return {
        "grid_cells": int((kind == "grid").sum()),
        "lsoas": int((kind == "lsoa").sum()),
        "events_without_coordinates": unlocated(NO_COORDINATES),
        "events_without_lsoa": unlocated(NO_LSOA),
    }


def read_lsoa_population(path: str | Path) -> pl.DataFrame:
    """``lsoa_code``, ``population`` from a CSV: either ``lsoa_code,population`` or the ONS 2011
    Census LSOA table (``LSOA Code`` and the first ``Persons`` column, all usual residents;
    numbers may have thousands separators).  ExtractError names the file, row and column at
    fault."""
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise ExtractError(str(path), "no such file")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ExtractError(name, "not UTF-8 text; save the file as UTF-8") from error
    rows = csv.reader(io.StringIO(text))
    header = next(rows, None)
    if not header:
        raise ExtractError(name, "is empty; expected a header row")
    header = [h.strip() for h in header]
    if "lsoa_code" in header and "population" in header:
        code_at, people_at = header.index("lsoa_code"), header.index("population")
        code_name, people_name = "lsoa_code", "population"
    elif "LSOA Code" in header and "Persons" in header:
        code_at, people_at = header.index("LSOA Code"), header.index("Persons")
        code_name, people_name = "LSOA Code", "Persons"
    else:
        raise ExtractError(
            name, "expected columns lsoa_code and population, or the Census columns "
            "'LSOA Code' and 'Persons'", row=1,
        )
    codes: list[str] = []
    people: list[int] = []
    for number, record in enumerate(rows, start=2):
        if not any(cell.strip() for cell in record):
            continue
        if len(record) <= max(code_at, people_at):
            raise ExtractError(name, f"has {len(record)} fields, fewer than the header",
                               row=number)
        code, count = record[code_at].strip(), record[people_at].strip().replace(",", "")
        if not code:
            raise ExtractError(name, "value is required", row=number, column=code_name)
        if not count.isdigit():
            raise ExtractError(name, f"{record[people_at]!r} is not a whole number of people",
                               row=number, column=people_name)
        codes.append(code)
        people.append(int(count))
    frame = pl.DataFrame({"lsoa_code": codes, "population": people},
                         schema={"lsoa_code": pl.String, "population": pl.Int64})
    duplicated = frame.with_row_index("_i").filter(pl.col("lsoa_code").is_duplicated())
    if duplicated.height:
        raise ExtractError(name, f"LSOA {duplicated['lsoa_code'][0]!r} appears twice",
                           column=code_name)
    return frame



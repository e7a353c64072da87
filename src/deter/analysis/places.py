"""Places: where harm happens, on a regular grid and by LSOA, and how concentrated it is.

**Grid hotspots.**  Every event with coordinates falls in a square cell of ``cell_metres``
(default 250 m).  In Great Britain the cells are squares of the British National Grid: their ids
give the easting and northing of the south-west corner in metres ("G250-E430250-N433500"), so
they stay the same from one run to the next and can be found in any GIS.  WGS84 latitude and
longitude are moved to OSGB36 with the Ordnance Survey's national 7-parameter Helmert
transformation (accurate to about 5 m; OSTN15, accurate to 0.1 m, needs a grid file that Deter
does not ship) and projected with the OS Transverse Mercator formulas.  A 5 m error moves an
event into the neighbouring cell only when it lies within 5 m of a cell edge.

Outside Great Britain (decided by the median event) a local equirectangular projection is used
instead: metres east and north of the whole-degree corner south-west of the median event, with
the WGS84 ellipsoid's radii of curvature at the middle of that one-degree square.  East-west
distances are off by about tan(latitude) x the distance from that parallel in radians: 0.75% half
a degree away at 40 degrees north, 1.2% at 53 degrees, so cells far from it are a little narrower
or wider than ``cell_metres``.  Its ids name the corner: "L250-N40W74-<column>-<row>".

Events with no coordinates, or at exactly (0, 0), a common placeholder for "unknown", are not
dropped: they are counted in one row with ``place_kind`` "unlocated" (``place_id``
"no-coordinates"), and their harm stays in the denominator of every share, so the shares of the
cells add up to the share of harm that could be placed.  police.uk coordinates are snapped to
anonymised points ("on or near"), so its cells are approximate too.

**LSOA hotspots** sum the same by ``lsoa_code``; events without one are counted in a row
"no-lsoa".  An LSOA's latitude and longitude are the mean of its events' coordinates (where its
crime happens), not its official centroid.  With a population table (the 2011 Census LSOA file or
``lsoa_code,population``) each LSOA also gets events and harm per 1,000 residents; residents are
not the people present (a town centre's night-time population is many times its residents), so
rates run highest where few people live but many visit.

Only places with at least one event appear: a grid cell or LSOA with none is absent, not zero.
``violent_events`` counts the events the harm table classes as violent (see
``deter.analysis.harm_tables``); it is empty when the events carry no offence code or category.

**Concentration** is the share of harm held by the most harmful ``p``% of units (people or
places), taking the smallest whole number of units that makes at least ``p``% (so for a few
units it overstates the share), with the Gini coefficient and a concentration curve for charts.
Which units count changes the answer: among people it is given both among offenders (people with
any offender harm) and among everyone named in the extract (the rest count as zero); among
places only cells and LSOAs with at least one event count, which understates concentration
against all the street segments or cells of an area.  Pass ``zeros`` to count units with none.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import polars as pl

from deter.analysis.extract import ExtractError
from deter.analysis.harm_tables import (
    DEFAULT_TABLE,
    HarmTable,
    load_harm_table,
    normalise_category,
    normalise_code,
)

PLACE_COLUMNS = (
    "place_kind", "place_id", "latitude", "longitude", "events", "violent_events", "harm",
    "harm_share", "cumulative_share", "rank", "population", "events_per_1000", "harm_per_1000",
)
CONCENTRATION_COLUMNS = ("top_percent", "units", "units_total", "harm_share")
PROJECTIONS = ("auto", "bng", "local")
UNLOCATED = "unlocated"
NO_COORDINATES, NO_LSOA = "no-coordinates", "no-lsoa"
# Where the British National Grid applies (a little wider than the land it covers).
GB_BOUNDS = (49.5, 61.0, -9.0, 2.0)  # south, north, west, east

# --- projections ------------------------------------------------------------------------------

WGS84 = (6378137.0, 6356752.314245)
AIRY_1830 = (6377563.396, 6356256.909)
# National Grid: scale on the central meridian, true origin 49N 2W, false origin offsets (m).
NG_F0, NG_LAT0, NG_LON0, NG_E0, NG_N0 = 0.9996012717, 49.0, -2.0, 400_000.0, -100_000.0
# OS national Helmert transformation WGS84 -> OSGB36: shifts (m), scale (ppm), rotations (").
HELMERT = (-446.448, 125.157, -542.060, 20.4894, -0.1502, -0.2470, -0.8421)


def _eccentricity2(ellipsoid: tuple[float, float]) -> float:
    a, b = ellipsoid
    return (a * a - b * b) / (a * a)


def _to_cartesian(lat: np.ndarray, lon: np.ndarray, ellipsoid) -> np.ndarray:
    a, _ = ellipsoid
    e2 = _eccentricity2(ellipsoid)
    phi, lam = np.radians(lat), np.radians(lon)
    nu = a / np.sqrt(1 - e2 * np.sin(phi) ** 2)
    return np.stack(
        [nu * np.cos(phi) * np.cos(lam), nu * np.cos(phi) * np.sin(lam),
         (1 - e2) * nu * np.sin(phi)]
    )


def _from_cartesian(xyz: np.ndarray, ellipsoid) -> tuple[np.ndarray, np.ndarray]:
    """Bowring's (1976) closed form: exact to well under a millimetre near the surface."""
    a, b = ellipsoid
    e2 = _eccentricity2(ellipsoid)
    x, y, z = xyz
    p = np.hypot(x, y)
    theta = np.arctan2(z * a, p * b)
    sin, cos = np.sin(theta), np.cos(theta)
    phi = np.arctan2(z + e2 * a * a / b * sin * sin * sin, p - e2 * a * cos * cos * cos)
    return np.degrees(phi), np.degrees(np.arctan2(y, x))


def _helmert(xyz: np.ndarray, sign: float) -> np.ndarray:
    """The OS position-vector Helmert transformation (sign -1: its inverse, to millimetres)."""
    tx, ty, tz, s, rx, ry, rz = (sign * v for v in HELMERT)
    s = s * 1e-6
    rx, ry, rz = (math.radians(r / 3600) for r in (rx, ry, rz))
    x, y, z = xyz
    return np.stack(
        [tx + (1 + s) * x - rz * y + ry * z,
         ty + rz * x + (1 + s) * y - rx * z,
         tz - ry * x + rx * y + (1 + s) * z]
    )


def _meridional_arc(phi: np.ndarray, phi0: float, n: float, b_f0: float) -> np.ndarray:
    d, s = phi - phi0, phi + phi0
    return b_f0 * (
        (1 + n + 1.25 * n**2 + 1.25 * n**3) * d
        - (3 * n + 3 * n**2 + 21 / 8 * n**3) * np.sin(d) * np.cos(s)
        + (15 / 8 * n**2 + 15 / 8 * n**3) * np.sin(2 * d) * np.cos(2 * s)
        - 35 / 24 * n**3 * np.sin(3 * d) * np.cos(3 * s)
    )


def osgb36_to_grid(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """OSGB36 (Airy 1830) latitude and longitude to National Grid easting and northing (m),
    by the Transverse Mercator series of the OS guide to coordinate systems (annex C)."""
    a, b = AIRY_1830
    e2 = _eccentricity2(AIRY_1830)
    n = (a - b) / (a + b)
    phi, phi0 = np.radians(np.asarray(lat, float)), math.radians(NG_LAT0)
    dl = np.radians(np.asarray(lon, float)) - math.radians(NG_LON0)
    sin, cos = np.sin(phi), np.cos(phi)
    tan2 = (sin / cos) ** 2
    tan4 = tan2 * tan2
    cos3 = cos * cos * cos
    cos5 = cos3 * cos * cos
    w = 1 - e2 * sin * sin
    nu = a * NG_F0 / np.sqrt(w)
    rho = nu * (1 - e2) / w
    eta2 = nu / rho - 1
    dl2 = dl * dl
    northing = (
        _meridional_arc(phi, phi0, n, b * NG_F0) + NG_N0
        + dl2 * nu / 2 * sin * cos
        * (1 + dl2 / 12 * cos * cos * (5 - tan2 + 9 * eta2
                                       + dl2 / 30 * cos * cos * (61 - 58 * tan2 + tan4)))
    )
    easting = NG_E0 + dl * nu * (
        cos
        + dl2 / 6 * cos3 * (nu / rho - tan2)
        + dl2 * dl2 / 120 * cos5 * (5 - 18 * tan2 + tan4 + 14 * eta2 - 58 * tan2 * eta2)
    )
    return easting, northing


def grid_to_osgb36(easting: np.ndarray, northing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The inverse of ``osgb36_to_grid`` (OS guide, annex C)."""
    a, b = AIRY_1830
    e2 = _eccentricity2(AIRY_1830)
    n = (a - b) / (a + b)
    e = np.asarray(easting, float) - NG_E0
    north = np.asarray(northing, float) - NG_N0
    phi0 = math.radians(NG_LAT0)
    phi = north / (a * NG_F0) + phi0
    for _ in range(20):  # the OS guide's test: until the arc is within 0.01 mm
        gap = north - _meridional_arc(phi, phi0, n, b * NG_F0)
        if gap.size == 0 or np.abs(gap).max() < 1e-5:
            break
        phi = phi + gap / (a * NG_F0)
    sin, tan, sec = np.sin(phi), np.tan(phi), 1 / np.cos(phi)
    nu = a * NG_F0 / np.sqrt(1 - e2 * sin**2)
    rho = a * NG_F0 * (1 - e2) / (1 - e2 * sin**2) ** 1.5
    eta2 = nu / rho - 1
    vii = tan / (2 * rho * nu)
    viii = tan / (24 * rho * nu**3) * (5 + 3 * tan**2 + eta2 - 9 * tan**2 * eta2)
    ix = tan / (720 * rho * nu**5) * (61 + 90 * tan**2 + 45 * tan**4)
    x = sec / nu
    xi = sec / (6 * nu**3) * (nu / rho + 2 * tan**2)
    xii = sec / (120 * nu**5) * (5 + 28 * tan**2 + 24 * tan**4)
    xiia = sec / (5040 * nu**7) * (61 + 662 * tan**2 + 1320 * tan**4 + 720 * tan**6)
    lat = phi - vii * e**2 + viii * e**4 - ix * e**6
    lon = math.radians(NG_LON0) + x * e - xi * e**3 + xii * e**5 - xiia * e**7
    return np.degrees(lat), np.degrees(lon)


def wgs84_to_grid(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 latitude and longitude to British National Grid easting and northing (m)."""
    xyz = _helmert(_to_cartesian(np.asarray(lat, float), np.asarray(lon, float), WGS84), 1.0)
    return osgb36_to_grid(*_from_cartesian(xyz, AIRY_1830))


def grid_to_wgs84(easting: np.ndarray, northing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """British National Grid easting and northing (m) to WGS84 latitude and longitude."""
    xyz = _helmert(_to_cartesian(*grid_to_osgb36(easting, northing), AIRY_1830), -1.0)
    return _from_cartesian(xyz, WGS84)


def _local_radii(lat: float) -> tuple[float, float]:
    """(metres per radian north, metres per radian east) on WGS84 at latitude ``lat``."""
    a, _ = WGS84
    e2 = _eccentricity2(WGS84)
    s2 = math.sin(math.radians(lat)) ** 2
    meridional = a * (1 - e2) / (1 - e2 * s2) ** 1.5
    prime_vertical = a / math.sqrt(1 - e2 * s2)
    return meridional, prime_vertical * math.cos(math.radians(lat))


def _in_gb(lat: float, lon: float) -> bool:
    south, north, west, east = GB_BOUNDS
    return south <= lat <= north and west <= lon <= east


# --- input ---------------------------------------------------------------------------------


def require_columns(events: pl.DataFrame, *columns: str) -> None:
    """ValueError naming the first of ``columns`` that ``events`` lacks."""
    for column in columns:
        if column not in events.columns:
            raise ValueError(
                f"events have no column {column!r} (columns: {', '.join(events.columns)})"
            )


def event_harm_expr(events: pl.DataFrame, weight: str, decay: str | None = None) -> pl.Expr:
    """Each event's harm: ``weight`` (times ``decay`` when given), checked to be a number of at
    least 0 on every event; ValueError names the column and the first bad event."""
    for column in (weight, decay):
        if column is None:
            continue
        require_columns(events, column)
        dtype = events.schema[column]
        if not dtype.is_numeric():
            raise ValueError(f"column {column!r} must be numeric, not {dtype}")
        invalid = pl.col(column).is_null() | (pl.col(column) < 0)
        if dtype.is_float():
            invalid = invalid | pl.col(column).is_nan()
        bad = events.filter(invalid)
        if bad.height:
            which = bad["event_id"][0] if "event_id" in bad.columns else "(unknown)"
            raise ValueError(
                f"column {column!r} must be a number of at least 0 on every event; "
                f"{bad.height} are not, the first on event {which!r} ({bad[column][0]!r})"
            )
    harm = pl.col(weight).cast(pl.Float64)
    return harm * pl.col(decay).cast(pl.Float64) if decay else harm


def _violent_expr(events: pl.DataFrame, table: HarmTable | None) -> pl.Expr:
    """Whether each event is violent by the harm table (``HarmTable.is_violent``: by code when
    the code is classified, else by category), looked up once per distinct code and category;
    null when the events carry neither column."""
    have = [c for c in ("offence_code", "offence_category") if c in events.columns]
    if not have:
        return pl.lit(None, dtype=pl.Boolean)
    table = table or load_harm_table(DEFAULT_TABLE)
    flags = []
    if "offence_code" in events.columns:
        codes = events.get_column("offence_code").cast(pl.String).unique().drop_nulls()
        key = normalise_code(pl.col("offence_code"))
        by_code = pl.DataFrame({"offence_code": codes}).select(
            pl.when(key.is_in(list(table.classified_codes)))
            .then(key.is_in(list(table.violent_codes)))
        ).to_series()
        flags.append(pl.col("offence_code").cast(pl.String).replace_strict(
            codes, by_code, default=None, return_dtype=pl.Boolean))
    if "offence_category" in events.columns:
        categories = events.get_column("offence_category").cast(pl.String).unique().drop_nulls()
        by_category = pl.DataFrame({"offence_category": categories}).select(
            normalise_category(pl.col("offence_category")).is_in(
                list(table.violent_categories))
        ).to_series()
        flags.append(pl.col("offence_category").cast(pl.String).replace_strict(
            categories, by_category, default=None, return_dtype=pl.Boolean))
    return pl.coalesce(*flags, pl.lit(False))


def _check_positive(name: str, value: float) -> None:
    if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive number, not {value!r}")


# --- hotspots --------------------------------------------------------------------------------


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


# --- concentration ---------------------------------------------------------------------------


def _values(values: pl.Series | pl.DataFrame | Sequence[float] | np.ndarray, column: str,
            zeros: int) -> np.ndarray:
    """The values, largest first, with ``zeros`` zero units appended; ValueError when a value
    is missing or negative."""
    if isinstance(values, pl.DataFrame):
        if column not in values.columns:
            raise ValueError(f"no column {column!r} (columns: {', '.join(values.columns)})")
        values = values[column]
    array = np.asarray(values.to_numpy() if isinstance(values, pl.Series) else values,
                       dtype=float)
    if array.ndim != 1:
        raise ValueError("values must be one-dimensional")
    if np.isnan(array).any() or (array < 0).any():
        raise ValueError("values must be numbers of at least 0 (no missing values)")
    if not isinstance(zeros, int) or zeros < 0:
        raise ValueError(f"zeros must be a whole number of at least 0, not {zeros!r}")
    return np.concatenate([-np.sort(-array), np.zeros(zeros)])


def concentration(
    values: pl.Series | pl.DataFrame | Sequence[float] | np.ndarray,
    percents: Sequence[float] = (1, 5, 10),
    *,
    column: str = "harm",
    zeros: int = 0,
) -> pl.DataFrame:
    """For each ``p`` in ``percents``: the share of the total held by the top ``p``% of units.

    ``units`` is the smallest whole number of units that is at least ``p``% of ``units_total``;
    ``harm_share`` is null when the total is 0.  ``values``: a Series, a sequence, or a frame's
    ``column``; ``zeros``: further units with a value of 0 (e.g. people with no harm).
    """
    ordered = _values(values, column, zeros)
    for p in percents:
        if not (isinstance(p, int | float) and 0 < p <= 100):
            raise ValueError(f"percents must be between 0 (excluded) and 100, not {p!r}")
    n, total = len(ordered), float(ordered.sum())
    cumulative = np.concatenate([[0.0], np.cumsum(ordered)])
    units = [min(n, math.ceil(n * p / 100 - 1e-9)) for p in percents]
    return pl.DataFrame(
        {
            "top_percent": [float(p) for p in percents],
            "units": units,
            "units_total": [n] * len(units),
            "harm_share": [cumulative[k] / total if total > 0 else None for k in units],
        },
        schema={"top_percent": pl.Float64, "units": pl.Int64, "units_total": pl.Int64,
                "harm_share": pl.Float64},
    )


def gini(
    values: pl.Series | pl.DataFrame | Sequence[float] | np.ndarray,
    *,
    column: str = "harm",
    zeros: int = 0,
) -> float | None:
    """The Gini coefficient, ``2 * sum(i * x_i) / (n * sum(x)) - (n + 1) / n`` over the values
    sorted ascending (i from 1): 0 when every unit holds the same, ``(n - 1) / n`` when one unit
    holds everything; None when the total is 0."""
    ascending = _values(values, column, zeros)[::-1]
    n, total = len(ascending), float(ascending.sum())
    if n == 0 or total <= 0:
        return None
    i = np.arange(1, n + 1)
    return float(2 * (i * ascending).sum() / (n * total) - (n + 1) / n)


def concentration_table(
    *,
    person_scores: pl.DataFrame | None = None,
    people_named: int | None = None,
    places: pl.DataFrame | None = None,
    percents: Sequence[float] = (1, 5, 10),
    score: str = "harm_score",
) -> pl.DataFrame:
    """Concentration of harm among people and places, one row per population and percent:
    ``population``, ``top_percent``, ``units``, ``units_total``, ``harm_share``, ``gini``.

    ``person_scores``: a frame with ``score`` per person (``PersonHarm.scores``); offenders are
    the people whose score is above 0.  ``people_named``: everyone in the extract's people
    table, to repeat the figures with everyone else counted as 0.  ``places``: a places table
    (``places_table``); grid cells and LSOAs with at least one event.
    """
    populations: list[tuple[str, np.ndarray, int]] = []
    if person_scores is not None:
        if score not in person_scores.columns:
            raise ValueError(f"person_scores has no column {score!r}")
        harmful = person_scores.filter(pl.col(score) > 0)[score].to_numpy()
        populations.append(("offenders (people with offender harm)", harmful, 0))
        if people_named is not None:
            if people_named < len(harmful):
                raise ValueError(
                    f"people_named ({people_named}) is fewer than the {len(harmful)} people "
                    "with offender harm"
                )
            populations.append(("everyone named", harmful, people_named - len(harmful)))
    if places is not None:
        for kind, label in (("grid", "grid cells with events"), ("lsoa", "LSOAs with events")):
            rows = places.filter(pl.col("place_kind") == kind)
            if rows.height:
                populations.append((label, rows["harm"].to_numpy(), 0))
    frames = [
        concentration(values, percents, zeros=zeros).with_columns(
            pl.lit(label).alias("population"),
            pl.lit(gini(values, zeros=zeros), dtype=pl.Float64).alias("gini"),
        )
        for label, values, zeros in populations
        if len(values) + zeros
    ]
    columns = ("population", *CONCENTRATION_COLUMNS, "gini")
    if not frames:
        return pl.DataFrame(
            schema={"population": pl.String, "top_percent": pl.Float64, "units": pl.Int64,
                    "units_total": pl.Int64, "harm_share": pl.Float64, "gini": pl.Float64}
        )
    return pl.concat(frames).select(columns)

"""Places: grid and LSOA hotspots, the National Grid projection, concentration of harm."""

from datetime import UTC, datetime

import numpy as np
import polars as pl
import pytest

from deter.analysis.extract import ExtractError
from deter.analysis.harm import event_harm, person_harm
from deter.analysis.places import (
    NO_COORDINATES,
    NO_LSOA,
    PLACE_COLUMNS,
    UNLOCATED,
    concentration,
    concentration_table,
    gini,
    grid_hotspots,
    grid_to_osgb36,
    grid_to_wgs84,
    lsoa_hotspots,
    osgb36_to_grid,
    places_summary,
    places_table,
    read_lsoa_population,
    wgs84_to_grid,
)
from deter.analysis.synth import SCALES, SyntheticCounty, _Builder, synthesise

WHEN = datetime(2026, 7, 1, 21, 30, tzinfo=UTC)
# Caister water tower, the Ordnance Survey's worked example ("A guide to coordinate systems in
# Great Britain", annex C; "Transformations and OSGM15 user guide", annex A).
CAISTER_OSGB36 = (52 + 39 / 60 + 27.2531 / 3600, 1 + 43 / 60 + 4.5177 / 3600)
CAISTER_GRID = (651409.903, 313177.270)
CAISTER_ETRS89 = (52.658007833, 1.716073973)
CAISTER_OSTN15 = (651409.804, 313177.450)  # the exact OSGB36 grid position, through OSTN15


def with_harm(events: pl.DataFrame) -> pl.DataFrame:
    harmed = event_harm(events)
    return harmed.rename({"cchi_days": "harm_weight"}) if "cchi_days" in harmed else harmed


def events(rows: list[tuple]) -> pl.DataFrame:
    """rows: (event_id, latitude, longitude, lsoa_code, offence_code, harm_weight)."""
    return pl.DataFrame(
        {
            "event_id": [r[0] for r in rows],
            "occurred_at": [WHEN] * len(rows),
            "offence_code": [r[4] for r in rows],
            "offence_category": [None] * len(rows),
            "latitude": [r[1] for r in rows],
            "longitude": [r[2] for r in rows],
            "lsoa_code": [r[3] for r in rows],
            "harm_weight": [float(r[5]) for r in rows],
        },
        schema_overrides={"offence_category": pl.String, "latitude": pl.Float64,
                          "longitude": pl.Float64, "lsoa_code": pl.String},
    )


@pytest.fixture(scope="module")
def county() -> SyntheticCounty:
    return synthesise(seed=1, scale="county")


# --- the National Grid -------------------------------------------------------------------


def test_transverse_mercator_matches_the_ordnance_survey_worked_example():
    e, n = osgb36_to_grid(np.array([CAISTER_OSGB36[0]]), np.array([CAISTER_OSGB36[1]]))
    assert e[0] == pytest.approx(CAISTER_GRID[0], abs=0.001)
    assert n[0] == pytest.approx(CAISTER_GRID[1], abs=0.001)
    lat, lon = grid_to_osgb36(np.array([CAISTER_GRID[0]]), np.array([CAISTER_GRID[1]]))
    assert lat[0] == pytest.approx(CAISTER_OSGB36[0], abs=1e-8)  # about a millimetre
    assert lon[0] == pytest.approx(CAISTER_OSGB36[1], abs=1e-8)


def test_helmert_from_wgs84_is_within_its_published_accuracy_of_ostn15():
    # the national Helmert transformation is good to a few metres; OSTN15 is the exact answer
    e, n = wgs84_to_grid(np.array([CAISTER_ETRS89[0]]), np.array([CAISTER_ETRS89[1]]))
    assert np.hypot(e[0] - CAISTER_OSTN15[0], n[0] - CAISTER_OSTN15[1]) < 5.0
    # and back again to within a centimetre (1e-7 degrees)
    lat, lon = grid_to_wgs84(e, n)
    assert lat[0] == pytest.approx(CAISTER_ETRS89[0], abs=1e-7)
    assert lon[0] == pytest.approx(CAISTER_ETRS89[1], abs=1e-7)


# --- grid hotspots -----------------------------------------------------------------------


def test_grid_cells_are_national_grid_squares_named_by_their_corner():
    lat, lon = CAISTER_ETRS89
    frame = events([("a", lat, lon, None, "8N", 10), ("b", lat, lon, None, "46", 2)])
    cells = grid_hotspots(frame)
    assert cells.columns == list(PLACE_COLUMNS)
    assert cells["place_id"].to_list() == ["G250-E651250-N313000"]
    row = cells.row(0, named=True)
    assert (row["events"], row["violent_events"], row["harm"]) == (2, 1, 12.0)
    assert (row["harm_share"], row["cumulative_share"], row["rank"]) == (1.0, 1.0, 1)
    # the centre of the cell, back in WGS84, is 125 m east and north of its corner
    e, n = wgs84_to_grid(np.array([row["latitude"]]), np.array([row["longitude"]]))
    assert (e[0], n[0]) == (pytest.approx(651375, abs=0.5), pytest.approx(313125, abs=0.5))
    assert grid_hotspots(frame, cell_metres=100)["place_id"][0] == "G100-E651400-N313100"


def test_local_projection_outside_great_britain_spaces_cells_in_metres():
    # one degree of latitude at 40.5N is 111,034 m on WGS84: 500 m north is two 250 m rows
    step = 500 / 111_034 * 1.0
    rows = [("a", 40.5001, -73.9999, None, None, 1), ("b", 40.5001 + step, -73.9999, None,
                                                       None, 1)]
    cells = grid_hotspots(events(rows)).sort("place_id")
    ids = cells["place_id"].to_list()
    assert all(i.startswith("L250-N40W74-") for i in ids)
    (_, _, col_a, row_a), (_, _, col_b, row_b) = (i.split("-") for i in ids)
    assert col_a == col_b and int(row_b) - int(row_a) == 2
    with pytest.raises(ValueError, match="projection"):
        grid_hotspots(events(rows), projection="mercator")


def test_events_without_coordinates_are_counted_not_dropped():
    frame = events(
        [
            ("a", 53.8, -1.55, "E01000001", "8N", 6),
            ("b", None, None, "E01000001", "8N", 3),
            ("c", 0.0, 0.0, None, "46", 1),  # (0, 0): the usual placeholder for unknown
        ]
    )
    cells = grid_hotspots(frame)
    unlocated = cells.filter(pl.col("place_kind") == UNLOCATED).row(0, named=True)
    assert unlocated["place_id"] == NO_COORDINATES
    assert (unlocated["events"], unlocated["harm"], unlocated["rank"]) == (2, 4.0, None)
    # shares are of all harm: the one located cell holds 60%
    located = cells.filter(pl.col("place_kind") == "grid")
    assert located["harm_share"].to_list() == [pytest.approx(0.6)]
    assert cells["harm_share"].sum() == pytest.approx(1.0)


def test_hotspots_are_ranked_by_harm_with_cumulative_shares():
    frame = events(
        [
            ("a", 53.80, -1.55, "E1", "46", 1),
            ("b", 53.80, -1.55, "E1", "46", 1),
            ("c", 53.81, -1.55, "E2", "8N", 5),
            ("d", 53.82, -1.55, "E3", "46", 3),
        ]
    )
    cells = grid_hotspots(frame)
    assert cells["harm"].to_list() == [5.0, 3.0, 2.0]
    assert cells["events"].to_list() == [1, 1, 2]
    assert cells["rank"].to_list() == [1, 2, 3]
    assert cells["cumulative_share"].to_list() == pytest.approx([0.5, 0.8, 1.0])


def test_decay_multiplies_the_weight():
    frame = events([("a", 53.8, -1.55, "E1", "8N", 10)]).with_columns(decay=pl.lit(0.25))
    assert grid_hotspots(frame, decay="decay")["harm"][0] == 2.5
    assert lsoa_hotspots(frame, decay="decay")["harm"][0] == 2.5


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"weight": "cchi"}, "no column 'cchi'"),
        ({"cell_metres": 0}, "cell_metres must be a positive number"),
        ({"cell_metres": float("nan")}, "cell_metres"),
    ],
)
def test_bad_parameters_are_named(change, message):
    frame = events([("a", 53.8, -1.55, "E1", "8N", 10)])
    with pytest.raises(ValueError, match=message):
        grid_hotspots(frame, **change)


def test_a_negative_or_missing_weight_names_the_event():
    frame = events([("a", 53.8, -1.55, "E1", "8N", 10), ("b", 53.8, -1.55, "E1", "8N", -1)])
    with pytest.raises(ValueError, match="harm_weight.*event 'b'"):
        grid_hotspots(frame)
    frame = frame.with_columns(pl.lit(None, dtype=pl.Float64).alias("harm_weight"))
    with pytest.raises(ValueError, match="2 are not"):
        lsoa_hotspots(frame)


def test_planted_hotspots_top_the_grid(county):
    """The synthetic county plants its crime around town centres, estates and group
    territories; the twenty most harmful cells are all within a kilometre of one of them, which
    only about a tenth of the cells with any event are."""
    builder = _Builder(1, SCALES["county"])
    builder.geography()  # the same random stream as synthesise(1, "county") up to here
    builder.groups()
    lat = np.concatenate([builder.town_lat, builder.est_lat, builder.terr_lat])
    lon = np.concatenate([builder.town_lon, builder.est_lon, builder.terr_lon])
    planted_e, planted_n = wgs84_to_grid(lat, lon)
    cells = grid_hotspots(with_harm(county.extract.events)).filter(pl.col("place_kind") == "grid")

    def nearest(frame: pl.DataFrame) -> np.ndarray:
        e, n = wgs84_to_grid(frame["latitude"].to_numpy(), frame["longitude"].to_numpy())
        return np.hypot(e[:, None] - planted_e, n[:, None] - planted_n).min(axis=1)

    assert nearest(cells.head(20)).max() < 1000
    assert (nearest(cells) < 1000).mean() < 0.3
    assert cells["events"].sum() == county.extract.events.height  # every synthetic event placed


# --- LSOA hotspots -----------------------------------------------------------------------


def test_lsoa_hotspots_sum_by_code_with_rates_per_1000(tmp_path):
    frame = events(
        [
            ("a", 53.80, -1.55, "E01000001", "8N", 4),
            ("b", 53.82, -1.57, "E01000001", "46", 1),
            ("c", 53.90, -1.60, "E01000002", "46", 1),
            ("d", 53.90, -1.60, None, "46", 1),
        ]
    )
    census = tmp_path / "census.csv"
    census.write_text(
        "Region code,LSOA Code,LSOA Name,,Persons,Persons,Persons,Hectares\n"
        'E12,E01000001,Somewhere 001A,,"2,000","1,990",10,50\n'
        "E12,E01000002,Somewhere 001B,,500,500,0,70\n",
        encoding="utf-8",
    )
    population = read_lsoa_population(census)
    assert population.to_dicts() == [
        {"lsoa_code": "E01000001", "population": 2000},
        {"lsoa_code": "E01000002", "population": 500},
    ]
    places = lsoa_hotspots(frame, population=population)
    first = places.row(0, named=True)
    assert first["place_id"] == "E01000001"
    assert (first["events"], first["violent_events"], first["harm"]) == (2, 1, 5.0)
    # where its events happen: their mean position
    assert (first["latitude"], first["longitude"]) == (pytest.approx(53.81), pytest.approx(-1.56))
    assert first["events_per_1000"] == pytest.approx(1.0)
    assert first["harm_per_1000"] == pytest.approx(2.5)
    assert places.row(1, named=True)["events_per_1000"] == pytest.approx(2.0)
    unlocated = places.filter(pl.col("place_kind") == UNLOCATED).row(0, named=True)
    assert (unlocated["place_id"], unlocated["events"], unlocated["population"]) == (
        NO_LSOA, 1, None)


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("lsoa_code,people\nE01,5\n", "row 1"),
        ("lsoa_code,population\nE01,five\n", "row 2, column population: 'five'"),
        ("lsoa_code,population\nE01,5\n,3\n", "row 3, column lsoa_code"),
        ("lsoa_code,population\nE01,5\nE01,3\n", "appears twice"),
    ],
)
def test_a_bad_population_file_names_row_and_column(tmp_path, text, where):
    path = tmp_path / "population.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ExtractError, match=where):
        read_lsoa_population(path)


def test_places_table_puts_grid_then_lsoa_then_the_unlocated(county):
    frame = events(
        [("a", 53.8, -1.55, "E1", "8N", 4), ("b", None, None, "E1", "8N", 4),
         ("c", 53.8, -1.55, None, "8N", 4)]
    )
    table = places_table(frame)
    assert table["place_kind"].to_list() == ["grid", "lsoa", UNLOCATED, UNLOCATED]
    assert places_summary(table) == {
        "grid_cells": 1, "lsoas": 1, "events_without_coordinates": 1, "events_without_lsoa": 1,
    }
    # every synthetic LSOA code is a cell of a regular grid, and its events lie inside it
    lsoa = lsoa_hotspots(with_harm(county.extract.events))
    south, north, west, east = SCALES["county"].box
    rows, cols = SCALES["county"].grid
    number = lsoa["place_id"].str.slice(3).cast(pl.Int64) - 900_000
    r, c = (number // cols).to_numpy(), (number % cols).to_numpy()
    lat, lon = lsoa["latitude"].to_numpy(), lsoa["longitude"].to_numpy()
    assert ((lat >= south + r * (north - south) / rows)
            & (lat <= south + (r + 1) * (north - south) / rows)).all()
    assert ((lon >= west + c * (east - west) / cols)
            & (lon <= west + (c + 1) * (east - west) / cols)).all()


# --- concentration -----------------------------------------------------------------------


def test_concentration_shares_computed_by_hand():
    # 1..100 sums to 5050: the top 1% is 100, the top 5% 96..100 = 490, the top 10% 91..100
    shares = concentration(pl.Series(np.arange(1, 101, dtype=float)))
    assert shares["units"].to_list() == [1, 5, 10]
    assert shares["units_total"].to_list() == [100, 100, 100]
    assert shares["harm_share"].to_list() == pytest.approx([100 / 5050, 490 / 5050, 955 / 5050])
    # the smallest whole number of units making at least p%: 10% of 7 units is 1 unit
    small = concentration([10, 5, 3, 1, 1, 0, 0], (10, 20, 50, 100))
    assert small["units"].to_list() == [1, 2, 4, 7]
    assert small["harm_share"].to_list() == pytest.approx([0.5, 0.75, 0.95, 1.0])
    # 7% of 100 is exactly 7 units (not 8 through floating-point error)
    assert concentration(np.ones(100), (7,))["units"][0] == 7


def test_gini_textbook_values():
    assert gini([1, 1, 1, 1]) == pytest.approx(0.0)
    assert gini([0, 0, 0, 1]) == pytest.approx(0.75)  # (n - 1) / n
    assert gini([1, 2, 3, 4, 5]) == pytest.approx(4 / 15)
    assert gini([1], zeros=3) == pytest.approx(0.75)
    assert gini([0, 0]) is None


def test_zero_units_and_bad_values():
    assert concentration([4], (50,), zeros=1)["harm_share"][0] == 1.0
    assert concentration([0, 0])["harm_share"].to_list() == [None, None, None]
    with pytest.raises(ValueError, match="at least 0"):
        concentration([1, -1])
    with pytest.raises(ValueError, match="at least 0"):
        gini([1, float("nan")])
    with pytest.raises(ValueError, match="percents"):
        concentration([1], (0,))
    with pytest.raises(ValueError, match="no column 'harm'"):
        concentration(pl.DataFrame({"x": [1.0]}))


def test_the_planted_power_few_hold_most_of_the_harm():
    """The synthetic county plants a capped-lognormal "power few": about 5% of offenders
    commit about half of the offences and more than half of the harm."""
    small = synthesise(seed=1, scale="small")
    scores = person_harm(small.extract).scores
    offenders = scores.filter(pl.col("harm_score") > 0)
    top5 = concentration(offenders, (5,), column="harm_score")["harm_share"][0]
    assert top5 >= 0.5
    count_share = concentration(
        offenders["offence_count"].cast(pl.Float64), (5,)
    )["harm_share"][0]
    assert 0.45 <= count_share <= top5
    # the planted propensity is what drives it: the top 5% have far higher planted rates
    units = concentration(offenders, (5,), column="harm_score")["units"][0]
    top = offenders.sort("harm_score", descending=True).head(units)["person_id"].implode()
    planted = small.truth_people.join(offenders, on="person_id")
    in_top = pl.col("person_id").is_in(top)
    assert planted.filter(in_top)["propensity"].mean() > 5 * planted.filter(~in_top)[
        "propensity"].mean()

    table = concentration_table(
        person_scores=scores, people_named=small.extract.people.height,
        places=places_table(with_harm(small.extract.events)),
    )
    by = {(r["population"], r["top_percent"]): r for r in table.to_dicts()}
    offenders_5 = by[("offenders (people with offender harm)", 5.0)]
    everyone_5 = by[("everyone named", 5.0)]
    assert offenders_5["harm_share"] == pytest.approx(top5)
    assert everyone_5["units_total"] == small.extract.people.height
    # counting everyone, the top 5% is more people, all the offenders' harm is still there
    assert everyone_5["harm_share"] > offenders_5["harm_share"]
    assert everyone_5["gini"] > offenders_5["gini"]
    assert {"grid cells with events", "LSOAs with events"} <= {r[0] for r in by}
    with pytest.raises(ValueError, match="people_named"):
        concentration_table(person_scores=scores, people_named=1)


def test_lsoa_codes_are_named_from_the_packaged_lookup():
    from deter.analysis.places.names import lsoa_names, lsoa_names_version, with_lsoa_names

    names = lsoa_names()
    assert names.height == 34_753 and names["lsoa_code"].is_unique().all()
    assert names["lsoa_code"].str.contains(r"^[EW]0\d{7}$").all()
    assert lsoa_names_version().startswith("ONS 2011 Census LSOAs (")
    places = pl.DataFrame({"place_id": ["E01033010", "W01000001", "E01999999"]})
    named = with_lsoa_names(places)
    assert named["lsoa_name"].to_list()[0] == "Leeds 111B"  # Leeds city centre
    assert named["lsoa_name"][1] is not None and named["lsoa_name"][2] is None

"""Places and time on real data, checked against the facts in each folder's SOURCE.md.

The data live outside the repository in ``../shared/data/real`` (provenance and licences in each
SOURCE.md); each test skips when its folder is absent.

- data.police.uk street crime, West Yorkshire, July 2016, 2017 and 2018: one month each, no day
  or time; published row counts and counts of violence and sexual offences.
- 2011 Census LSOA population (ONS, via crime-sim-toolkit): 34,753 rows.
- NYPD shootings 2019 (967 rows, one per victim: 777 distinct incident keys; date only) and
  homicides 2016-2018 (904, with a time), from the crimemappingdata R package.
"""

import csv
from collections import Counter
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from deter.analysis.extract import Extract
from deter.analysis.places import (
    NO_COORDINATES,
    NO_LSOA,
    UNLOCATED,
    concentration,
    gini,
    grid_hotspots,
    lsoa_hotspots,
    places_summary,
    places_table,
    read_lsoa_population,
)
from deter.analysis.police_uk import read_police_uk
from deter.analysis.timing import hour_by_weekday, monthly_trend, times_known
from shared_data import needs_shared, shared_path

REAL = shared_path()
WEST_YORKSHIRE = REAL / "police_uk_west_yorkshire_street"
CENSUS = REAL / "home_office_recorded_crime_offence_codes"
NYC = REAL / "nyc_shootings_homicides"
VIOLENCE = "violence and sexual offences"
# SOURCE.md: rows, and violence and sexual offences, a month
PUBLISHED = {"2016-07": (27_176, 6_000), "2017-07": (28_537, 7_503), "2018-07": (31_635, 10_358)}
ASB_2016_07 = 7_429


def needs(folder: Path):
    return needs_shared(folder)


def street_file(month: str) -> Path:
    return WEST_YORKSHIRE / f"{month}-west-yorkshire-street.csv"


def raw_rows(month: str) -> list[dict[str, str]]:
    with street_file(month).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def west_yorkshire() -> dict[str, pl.DataFrame]:
    """Each month's events, weighted 1 for violence and sexual offences and 0 otherwise."""
    return {
        month: read_police_uk([street_file(month)]).events.with_columns(
            (pl.col("offence_category") == VIOLENCE).cast(pl.Float64).alias("violence"),
            (pl.col("offence_category") == "anti-social behaviour").cast(pl.Float64).alias("asb"),
        )
        for month in PUBLISHED
    }


@pytest.fixture(scope="module")
def population() -> pl.DataFrame:
    return read_lsoa_population(CENSUS / "census2011_lsoa_population_households.csv")


# --- West Yorkshire -----------------------------------------------------------------------


@needs(WEST_YORKSHIRE)
def test_published_counts_come_through_places_and_trend(west_yorkshire):
    for month, (rows, violence) in PUBLISHED.items():
        events = west_yorkshire[month]
        places = places_table(events, weight="violence")
        grid = places.filter(pl.col("place_kind").is_in(["grid", UNLOCATED])
                             & pl.col("place_id").ne(NO_LSOA))
        lsoa = places.filter(pl.col("place_kind").is_in(["lsoa", UNLOCATED])
                             & pl.col("place_id").ne(NO_COORDINATES))
        for view in (grid, lsoa):  # nothing lost: located plus unlocated is every row
            assert view["events"].sum() == rows
            assert view["harm"].sum() == violence
        trend = monthly_trend(events, "violence", series="harm")
        assert trend.select("events", "harm", "method").rows() == [(rows, violence, "none")]
        assert trend["month"][0].strftime("%Y-%m") == month
    asb = grid_hotspots(west_yorkshire["2016-07"], weight="asb")
    assert asb["harm"].sum() == ASB_2016_07
    # a month with no day or time has no hour of the week
    assert not times_known(west_yorkshire["2016-07"])
    with pytest.raises(ValueError, match="dates only"):
        hour_by_weekday(west_yorkshire["2016-07"], "violence")


@needs(WEST_YORKSHIRE)
def test_unlocated_rows_and_lsoa_counts_match_the_raw_file(west_yorkshire):
    for month in PUBLISHED:
        rows = raw_rows(month)
        places = places_table(west_yorkshire[month], weight="violence")
        summary = places_summary(places)
        assert summary["events_without_coordinates"] == sum(not r["Longitude"] for r in rows)
        assert summary["events_without_lsoa"] == sum(not r["LSOA code"] for r in rows)
        assert summary["events_without_coordinates"] > 0  # the files do hold such rows
        counted = Counter(r["LSOA code"] for r in rows if r["LSOA code"])
        lsoa = places.filter(pl.col("place_kind") == "lsoa")
        assert dict(lsoa.select("place_id", "events").rows()) == counted
        violent = Counter(r["LSOA code"] for r in rows
                          if r["LSOA code"] and r["Crime type"] == "Violence and sexual offences")
        assert dict(lsoa.filter(pl.col("harm") > 0).select("place_id", "harm").rows()) == {
            k: float(v) for k, v in violent.items()}


@needs(WEST_YORKSHIRE)
def test_violence_concentrates_in_the_same_places_year_after_year(west_yorkshire):
    tops = set()
    for month in PUBLISHED:
        lsoa = lsoa_hotspots(west_yorkshire[month], "violence").filter(
            pl.col("place_kind") == "lsoa"
        )
        tops.add(lsoa["place_id"][0])
        top5 = concentration(lsoa, (5,))["harm_share"][0]
        assert top5 > 3 * 0.05  # the top 5% of LSOAs hold more than three times their share
        assert gini(lsoa) > 0.4
    # the most violent LSOA is the same one in all three years (Leeds 111B, the city centre)
    assert len(tops) == 1


@needs(WEST_YORKSHIRE)
@needs(CENSUS)
def test_rates_per_1000_residents_from_the_2011_census(west_yorkshire, population):
    assert population.height == 34_753  # SOURCE.md
    lsoa = lsoa_hotspots(west_yorkshire["2018-07"], "violence", population=population).filter(
        pl.col("place_kind") == "lsoa"
    )
    # police.uk in 2018 used 2011 LSOAs: nearly all are in the census table
    assert lsoa["population"].null_count() <= 0.02 * lsoa.height
    top = lsoa.row(0, named=True)
    with (CENSUS / "census2011_lsoa_population_households.csv").open(encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        census = next(r for r in reader if r[header.index("LSOA Code")] == top["place_id"])
    residents = int(census[header.index("Persons")].replace(",", ""))
    assert top["population"] == residents
    assert top["events_per_1000"] == pytest.approx(1000 * top["events"] / residents)
    assert top["harm_per_1000"] == pytest.approx(1000 * top["harm"] / residents)


# --- New York -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shootings() -> pl.DataFrame:
    raw = pl.read_csv(NYC / "nyc_shootings_2019.csv", infer_schema=False)
    return raw.with_row_index("_n").select(
        pl.format("{}-{}", "incident_key", "_n").alias("event_id"),  # one row per victim
        pl.col("occur_date").str.strptime(pl.Datetime("us"), "%Y-%m-%d")
        .dt.replace_time_zone("UTC").alias("occurred_at"),
        pl.col("latitude").cast(pl.Float64),
        pl.col("longitude").cast(pl.Float64),
        pl.col("boro").alias("lsoa_code"),  # boroughs stand in for areas
        pl.lit(1.0).alias("shot"),
        (pl.col("murder") == "TRUE").cast(pl.Float64).alias("killed"),
    )


@needs(NYC)
def test_nyc_shootings_by_place_and_month(shootings):
    assert shootings.height == 967  # SOURCE.md
    with (NYC / "nyc_shootings_2019.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    boroughs = lsoa_hotspots(shootings, "shot")
    assert dict(boroughs.select("place_id", "events").rows()) == Counter(r["boro"] for r in rows)
    assert boroughs["place_id"][0] == "BROOKLYN"
    assert boroughs.head(2)["harm_share"].sum() > 0.5  # Brooklyn and the Bronx
    fatal = lsoa_hotspots(shootings, "killed")
    assert fatal["harm"].sum() == sum(r["murder"] == "TRUE" for r in rows)

    cells = grid_hotspots(shootings, weight="shot")
    assert cells["place_id"].str.starts_with("L250-N40W74-").all()  # outside Great Britain
    assert cells["events"].sum() == 967 and UNLOCATED not in cells["place_kind"].to_list()
    assert concentration(cells, (10,))["harm_share"][0] > 2 * 0.10

    trend = monthly_trend(shootings, "shot", timezone="America/New_York")
    assert trend.height == 12 and trend["events"].sum() == 967
    assert trend["method"][0] == "moving-average"
    with pytest.raises(ValueError, match="dates only"):
        hour_by_weekday(shootings, "shot")


@needs(NYC)
def test_nyc_homicides_peak_in_summer():
    raw = pl.read_csv(NYC / "nyc_homicides_2016_2018.csv", infer_schema=False)
    events = raw.select(
        pl.col("uid").alias("event_id"),
        pl.col("offense_date").str.strptime(pl.Datetime("us"), "%Y-%m-%dT%H:%M:%SZ")
        .dt.replace_time_zone("UTC").alias("occurred_at"),
        pl.lit(1.0).alias("killed"),
    )
    assert events.height == 904  # SOURCE.md
    assert times_known(events)
    week = hour_by_weekday(events, "killed", timezone="America/New_York")
    assert week["events"].sum() == 904 and week.height == 168
    trend = monthly_trend(events, "killed", timezone="America/New_York")
    assert trend.height == 36 and trend["method"][0] == "stl"
    season = dict(
        trend.group_by(pl.col("month").dt.month()).agg(pl.col("seasonal").mean()).rows()
    )
    assert np.mean([season[m] for m in (6, 7, 8)]) > 0 > np.mean([season[m] for m in (12, 1, 2)])


@needs(NYC)
def test_one_stray_coordinate_is_left_off_the_map_and_listed(shootings):
    from deter.analysis.pipeline import analyse
    from deter.analysis.places.extent import map_extent
    from deter.analysis.report import render_report

    cells = grid_hotspots(shootings, weight="shot")
    extent = map_extent(cells)
    assert extent.outside.height == 0  # all five boroughs, Staten Island's edges included
    assert extent.inside.height == cells.height
    # one shooting keyed with the longitude's sign lost (74 degrees east: Kazakhstan)
    stray = shootings.with_columns(
        pl.when(pl.int_range(pl.len()) == 0).then(-pl.col("longitude"))
        .otherwise(pl.col("longitude")).alias("longitude"))
    cells = grid_hotspots(stray, weight="shot")
    extent = map_extent(cells)
    assert extent.outside.height == 1 and extent.outside["longitude"][0] > 70
    assert extent.east < -73 and extent.west > -75  # the map stays on New York
    html = render_report(analyse(Extract.from_frames(events=stray.select(
        "event_id", "occurred_at", "latitude", "longitude"))))
    listed = html[html.index("<caption>Grid cells left off the map"):]
    assert extent.outside["place_id"][0] in listed[: listed.index("</table>")]
    assert "1 grid cell lies far outside all the others" in " ".join(html.split())


@needs(NYC)
def test_a_us_extract_analysed_in_its_own_time_zone():
    """NYPD homicides 2016-2018 (904, with times): with timezone America/New_York the hours of
    the week are New York's, counted here from the raw rows with zoneinfo, and the report says
    so; in London time the peak would come five hours late."""
    from zoneinfo import ZoneInfo

    from deter.analysis.config import AnalysisConfig
    from deter.analysis.pipeline import analyse
    from deter.analysis.report import render_report

    raw = pl.read_csv(NYC / "nyc_homicides_2016_2018.csv", infer_schema=False)
    events = raw.select(
        pl.col("uid").alias("event_id"),
        pl.col("offense_date").str.strptime(pl.Datetime("us"), "%Y-%m-%dT%H:%M:%SZ")
        .dt.replace_time_zone("UTC").alias("occurred_at"),
    )
    expected = Counter(
        (when.astimezone(ZoneInfo("America/New_York")).weekday(),
         when.astimezone(ZoneInfo("America/New_York")).hour)
        for when in events["occurred_at"].to_list()
    )
    result = analyse(Extract.from_frames(events=events),
                     AnalysisConfig(timezone="America/New_York", window_days=4 * 365))
    week = result.hour_weekday.filter(pl.col("events") > 0)
    assert dict(((d, h), n) for d, h, n in week.select("weekday", "hour", "events").rows()) == (
        expected)
    london = analyse(Extract.from_frames(events=events), AnalysisConfig(window_days=4 * 365))
    assert london.hour_weekday["events"].to_list() != result.hour_weekday["events"].to_list()
    assert "local time (America/New_York)" in " ".join(render_report(result).split())

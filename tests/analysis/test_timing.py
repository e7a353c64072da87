"""Time: hour by weekday in local time, monthly trend with seasonality."""

from datetime import UTC, date, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from deter.analysis.harm import event_harm
from deter.analysis.harm_tables import load_harm_table
from deter.analysis.synth import SyntheticCounty, synthesise
from deter.analysis.timing import (
    HOUR_WEEKDAY_COLUMNS,
    TREND_COLUMNS,
    TREND_METHODS,
    hour_by_weekday,
    monthly_trend,
    times_known,
)
from shared_data import needs_shared, shared_path

SUMMER, WINTER = (6, 7, 8), (12, 1, 2)


def events(times: list[datetime], weights: list[float] | None = None) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "event_id": [f"e{i}" for i in range(len(times))],
            "occurred_at": times,
            "harm_weight": weights or [1.0] * len(times),
        },
        schema={"event_id": pl.String, "occurred_at": pl.Datetime("us", "UTC"),
                "harm_weight": pl.Float64},
    )


def with_harm(frame: pl.DataFrame) -> pl.DataFrame:
    harmed = event_harm(frame)
    return harmed.rename({"cchi_days": "harm_weight"}) if "cchi_days" in harmed else harmed


def cell(table: pl.DataFrame, weekday: int, hour: int) -> dict:
    return table.filter((pl.col("weekday") == weekday) & (pl.col("hour") == hour)).row(
        0, named=True
    )


@pytest.fixture(scope="module")
def county() -> SyntheticCounty:
    return synthesise(seed=1, scale="county")


# --- hour by weekday ---------------------------------------------------------------------


def test_summer_time_moves_the_hour():
    # 2026-07-01 is a Wednesday: 21:30 UTC is 22:30 British Summer Time; in January, 21:30 GMT
    table = hour_by_weekday(
        events([datetime(2026, 7, 1, 21, 30, tzinfo=UTC), datetime(2026, 1, 7, 21, 30,
                                                                   tzinfo=UTC)],
               [2.0, 3.0])
    )
    assert table.columns == list(HOUR_WEEKDAY_COLUMNS)
    assert (cell(table, 2, 22)["events"], cell(table, 2, 22)["harm"]) == (1, 2.0)
    assert (cell(table, 2, 21)["events"], cell(table, 2, 21)["harm"]) == (1, 3.0)
    assert cell(table, 2, 22)["weekday_name"] == "Wednesday"
    # the night the clocks go forward (Sunday 29 March 2026, 01:00 UTC): 00:30 UTC is 00:30
    # GMT and 01:30 UTC is 02:30 BST; there is no 01:xx that night
    spring = hour_by_weekday(events([datetime(2026, 3, 29, 0, 30, tzinfo=UTC),
                                     datetime(2026, 3, 29, 1, 30, tzinfo=UTC)]))
    assert [cell(spring, 6, h)["events"] for h in (0, 1, 2)] == [1, 0, 1]
    # another zone
    new_york = hour_by_weekday(events([datetime(2026, 7, 1, 21, 30, tzinfo=UTC)]),
                               timezone="America/New_York")
    assert cell(new_york, 2, 17)["events"] == 1


def test_every_hour_of_the_week_is_present_and_sums_to_the_totals():
    times = [datetime(2026, 5, 4, tzinfo=UTC) + timedelta(hours=5 * i, minutes=7)
             for i in range(100)]
    table = hour_by_weekday(events(times, [float(i) for i in range(100)]))
    assert table.height == 7 * 24
    assert table.select("weekday", "hour").rows() == [(d, h) for d in range(7) for h in range(24)]
    assert table["events"].sum() == 100
    assert table["harm"].sum() == pytest.approx(sum(range(100)))
    assert (table["events"] == 0).sum() > 0  # empty hours are zeros, not missing


def test_dates_without_times_are_refused():
    dates_only = events([datetime(2016, 7, 1, tzinfo=UTC)] * 3)
    assert not times_known(dates_only)
    assert times_known(events([datetime(2016, 7, 1, 0, 0, 1, tzinfo=UTC)]))
    with pytest.raises(ValueError, match="dates only"):
        hour_by_weekday(dates_only)
    with pytest.raises(ValueError, match="time zone"):
        hour_by_weekday(events([datetime(2026, 7, 1, 21, 30, tzinfo=UTC)]), timezone="Mars/Base")
    with pytest.raises(ValueError, match="no column 'harm'"):
        hour_by_weekday(events([datetime(2026, 7, 1, 21, 30, tzinfo=UTC)]), weight="harm")


def test_the_planted_weekend_night_peak(county):
    """The synthetic county boosts violence and public order on Friday and Saturday nights
    (20:00-04:00 local time): those hours far outweigh weekday mornings."""
    table = hour_by_weekday(with_harm(county.extract.events))
    late = [(4, 22), (4, 23), (5, 0), (5, 1), (5, 22), (5, 23), (6, 0), (6, 1)]
    mornings = [(d, h) for d in range(5) for h in range(6, 10)]
    weekend_night = [cell(table, d, h) for d, h in late]
    morning = [cell(table, d, h) for d, h in mornings]
    assert min(c["events"] for c in weekend_night) > max(c["events"] for c in morning)
    assert np.mean([c["harm"] for c in weekend_night]) > 3 * np.mean([c["harm"] for c in morning])
    top = table.sort("harm", descending=True).head(5)
    assert all((d, h) in late or (d in (4, 5) and h >= 20) for d, h in
               top.select("weekday", "hour").rows())


# --- monthly trend -----------------------------------------------------------------------


def monthly(counts: list[int], start: date = date(2021, 1, 1)) -> pl.DataFrame:
    """``counts[i]`` events in month ``i`` from ``start``, each on the 15th at noon UTC."""
    times = []
    for i, n in enumerate(counts):
        year, month = start.year + (start.month - 1 + i) // 12, (start.month - 1 + i) % 12 + 1
        times += [datetime(year, month, 15, 12, tzinfo=UTC)] * n
    return events(times)


def test_stl_recovers_a_known_trend_and_season():
    months = np.arange(48)
    season = 20 * np.cos(2 * np.pi * (months - 6) / 12)  # peaks in July (month index 6)
    trend = 100 + 2 * months
    table = monthly_trend(monthly(list(np.round(trend + season).astype(int))))
    assert table.columns == list(TREND_COLUMNS)
    assert table["method"].unique().to_list() == ["stl"]
    assert table.height == 48
    assert np.abs(table["seasonal"].to_numpy() - season).max() < 3
    assert np.abs(table["trend"].to_numpy() - trend).max() < 3
    parts = table.select(pl.col("trend") + pl.col("seasonal") + pl.col("residual"))
    assert parts.to_series().to_list() == pytest.approx(table["events"].cast(float).to_list())
    assert TREND_METHODS["stl"].startswith("Trend and seasonality by STL")


def test_empty_months_are_zeros_and_short_series_fall_back():
    table = monthly_trend(monthly([5, 0, 0, 8, 2, 4]))
    assert table["events"].to_list() == [5, 0, 0, 8, 2, 4]
    assert table["month"].to_list()[:2] == [date(2021, 1, 1), date(2021, 2, 1)]
    assert table["method"][0] == "moving-average"
    assert table["trend"].to_list() == [None, pytest.approx(5 / 3), pytest.approx(8 / 3),
                                        pytest.approx(10 / 3), pytest.approx(14 / 3), None]
    assert table["seasonal"].null_count() == 6
    assert table["residual"][1] == pytest.approx(-5 / 3)
    short = monthly_trend(monthly([5, 1]))
    assert short["method"].to_list() == ["none", "none"] and short["trend"].null_count() == 2
    with pytest.raises(ValueError, match="series"):
        monthly_trend(monthly([5, 1]), series="victims")
    with pytest.raises(ValueError, match="min_months_for_stl"):
        monthly_trend(monthly([5, 1]), min_months_for_stl=12)


def test_months_are_local_but_dates_only_are_not_shifted():
    # 23:30 UTC on 30 June is 00:30 on 1 July in London
    late = monthly_trend(events([datetime(2026, 6, 30, 23, 30, tzinfo=UTC)]))
    assert late["month"].to_list() == [date(2026, 7, 1)]
    # a date-only June event stays in June, even in a zone behind UTC
    dates_only = monthly_trend(events([datetime(2026, 6, 1, tzinfo=UTC)]),
                               timezone="America/New_York")
    assert dates_only["month"].to_list() == [date(2026, 6, 1)]


def test_the_planted_summer_peak(county):
    """The synthetic county plants a summer peak in violence (peaking in mid-July); winter
    burglary pulls the other way, so it is clearest among violent events."""
    harmed = with_harm(county.extract.events)
    violent = harmed.filter(load_harm_table("cchi-2026").is_violent())
    for frame, series in ((violent, "events"), (harmed, "harm")):
        table = monthly_trend(frame, series=series)
        assert table["method"][0] == "stl" and table.height == 36
        by_month = table.group_by(pl.col("month").dt.month().alias("m")).agg(
            pl.col("seasonal").mean()
        )
        season = dict(by_month.rows())
        assert np.mean([season[m] for m in SUMMER]) > 0 > np.mean([season[m] for m in WINTER])
        assert season[7] > 0


# --- abrupt changes beside the smoothed trend -----------------------------------------------


LANCASHIRE = shared_path("police_uk_lancashire_asb_2022")


def counts_by_month(counts: list[int], start: date = date(2022, 1, 1)) -> pl.DataFrame:
    months = pl.date_range(start, start.replace(year=start.year + 5), "1mo", eager=True)
    return pl.DataFrame({"month": months[: len(counts)], "events": counts})


def test_a_month_falling_by_more_than_half_is_flagged():
    from deter.analysis.timing import abrupt_changes

    flagged = abrupt_changes(counts_by_month([100, 110, 90, 40, 95, 100, 96, 101]))
    assert flagged.rows() == [(date(2022, 4, 1), 40, 100.0, pytest.approx(-0.6), "fall")]
    # a fall to just over half is not abrupt; a doubling is
    assert abrupt_changes(counts_by_month([100, 100, 100, 51])).height == 0
    rise = abrupt_changes(counts_by_month([50, 50, 50, 101]))
    assert rise["direction"].to_list() == ["rise"]
    # a handful of events cannot flag noise
    assert abrupt_changes(counts_by_month([4, 5, 4, 1])).height == 0
    assert abrupt_changes(counts_by_month([])).height == 0


@needs_shared(LANCASHIRE)
def test_lancashire_asb_2022_has_no_abrupt_month_until_one_is_halved():
    """data.police.uk, Lancashire anti-social behaviour, 2022 (SOURCE.md: 56,434 rows, one
    month each, no day or time): the months run from 3,488 (December) to 5,672 (August), so
    none is flagged; with May's incidents cut to 40% the smoothed trend only dips, and the
    report flags May."""
    from deter.analysis.extract import Extract
    from deter.analysis.pipeline import analyse
    from deter.analysis.report import render_report
    from deter.analysis.timing import abrupt_changes

    rows = pl.read_csv(LANCASHIRE / "lancashire_asb_2022.tsv", separator="\t", infer_schema=False)
    assert rows.height == 56_434
    events = rows.with_row_index("n").select(
        pl.format("asb-{}", "n").alias("event_id"),
        pl.col("month").str.to_datetime("%Y-%m-%d", time_zone="UTC").alias("occurred_at"),
        pl.lit("Anti-social behaviour").alias("offence_category"),
    )
    trend = monthly_trend(events.with_columns(pl.lit(1.0).alias("harm_weight")))
    assert trend["events"].to_list()[-1] == 3_488 and trend["events"].max() == 5_672
    assert abrupt_changes(trend).height == 0
    may = pl.col("occurred_at").dt.month() == 5
    kept = events.filter(~may | (pl.int_range(pl.len()).over(may) % 5 < 2))
    result = analyse(Extract.from_frames(events=kept))
    may_row = result.trend.filter(pl.col("month") == date(2022, 5, 1)).row(0, named=True)
    assert may_row["events"] == 2_070  # 40% of 5,174
    assert may_row["trend"] > 0.7 * 5_000  # the smoothed line hides most of the fall
    html = " ".join(render_report(result).split())
    assert "Abrupt change in the monthly count: May 2022: 2,070 events" in html

"""Time: when harm happens, by hour of the week, and how it moves month by month.

Events are stored in UTC; both views work in a local time zone (default Europe/London), so an
event at 21:30 UTC on a July evening counts at 22:30, British Summer Time.

**Hour by weekday** counts events and sums harm in each of the 168 hours of the week (weekday
0 = Monday), every hour present, zero when empty.  Caveats: many systems record an unknown time
as 00:00 (and an unknown day as the 1st), so a spike at midnight is often missing data, not
crime; a recorded time is when it was reported or estimated, not always when it happened.
Extracts whose events all sit at 00:00 UTC hold dates only (data.police.uk gives the month
only): ``times_known`` says so, and ``hour_by_weekday`` refuses them rather than draw a chart of
placeholder times.

**Monthly trend** counts events and sums harm in every calendar month from the first event's
to the last's (months with no events are zeros, not gaps) and decomposes one of the two series
(``series``, default events) into trend, seasonal and residual parts:

* ``"stl"`` with at least ``min_months_for_stl`` months (default 24, two full years): STL,
  Seasonal-Trend decomposition by Loess (Cleveland et al. 1990; statsmodels ``STL``, period 12,
  robust to outlying months), with the seasonal pattern held the same every year ("periodic"),
  which is all that a few years can support.  The seasonal part is the typical amount above (+)
  or below (-) the trend in that month of the year; trend + seasonal + residual = the month's
  value.  Months differ in length: February's 28 days alone make it about 8% lower.
* ``"moving-average"`` with 3 to ``min_months_for_stl - 1`` months: the trend is a centred
  3-month moving average (no value for the first and last month) and no seasonal part is
  estimated: fewer than two years cannot tell a season from a trend.
* ``"none"`` with fewer than 3 months.

**Abrupt changes** (``abrupt_changes``): a smoothed trend eases a sudden fall into a slope (a
month's crimes halving moves a 3-month average by a sixth), so months whose raw count falls
below half the mean of the ``previous`` months before it (``"fall"``), or rises above twice it
(``"rise"``), are flagged beside the trend.  Only where that mean is at least ``min_events``, so
that a handful of events cannot flag noise.  A change in recording (a new system, a force
boundary, a month missing from a download) shows the same way as a change in crime: read the
flag as "look at this month", not as a finding.

Harm here is never decayed by recency: a decay would make the past look calmer than it was and
invent a rising trend.  The first and last month of a window are often partial, so they can
look low.  Extracts with dates only are counted by their UTC date, not converted, because
midnight UTC of a date-only value is not a real time.
"""

from __future__ import annotations

import zoneinfo
from datetime import date

import numpy as np
import polars as pl

from deter.analysis.config import DEFAULT_TIMEZONE
from deter.analysis.places import event_harm_expr

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
HOUR_WEEKDAY_COLUMNS = ("weekday", "weekday_name", "hour", "events", "harm")
TREND_COLUMNS = (
    "month", "events", "harm", "trend", "seasonal", "residual", "series", "method",
)
TREND_METHODS = {
    "stl": "Trend and seasonality by STL (Seasonal-Trend decomposition by Loess), period 12 "
    "months.",
    "moving-average": "Fewer than two years of data: the trend is a centred 3-month moving "
    "average and no seasonality is estimated.",
    "none": "Fewer than three months of data: no trend is estimated.",
}
SERIES = ("events", "harm")


def _check_timezone(timezone: str) -> None:
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError) as error:
        raise ValueError(
            f"unknown time zone {timezone!r}; use an IANA name such as 'Europe/London'"
        ) from error


def _utc(events: pl.DataFrame) -> pl.Expr:
    if "occurred_at" not in events.columns:
        raise ValueError("events have no column 'occurred_at'")
    dtype = events.schema["occurred_at"]
    if not isinstance(dtype, pl.Datetime):
        raise ValueError(f"occurred_at must be a date-time, not {dtype}")
    when = pl.col("occurred_at")
    if dtype.time_zone is None:  # the extract format stores UTC
        return when.dt.replace_time_zone("UTC")
    return when.dt.convert_time_zone("UTC")


def times_known(events: pl.DataFrame) -> bool:
    """False when no event has a time of day: every ``occurred_at`` is at 00:00:00 UTC (dates
    only, as in data.police.uk), or there are no events."""
    midnight = events.select(
        (_utc(events).dt.time() == pl.time(0)).all().alias("midnight")
    )["midnight"][0]
    return events.height > 0 and not midnight


def hour_by_weekday(
    events: pl.DataFrame,
    weight: str = "harm_weight",
    *,
    timezone: str = DEFAULT_TIMEZONE,
) -> pl.DataFrame:
    """Events and harm in each hour of the week, local time (``HOUR_WEEKDAY_COLUMNS``): all
    7 x 24 cells, Monday 00:00 first.  ``weight``: the column holding each event's harm.

    ValueError when the events carry dates only (see ``times_known``).
    """
    _check_timezone(timezone)
    harm = event_harm_expr(events, weight)
    if events.height and not times_known(events):
        raise ValueError(
            "every event is at 00:00 UTC: the extract holds dates only, so its hours and "
            "weekdays are unknown"
        )
    local = _utc(events).dt.convert_time_zone(timezone)
    counts = (
        events.select(
            (local.dt.weekday() - 1).cast(pl.Int8).alias("weekday"),
            local.dt.hour().cast(pl.Int8).alias("hour"),
            harm.alias("harm"),
        )
        .group_by("weekday", "hour")
        .agg(pl.len().cast(pl.Int64).alias("events"), pl.col("harm").sum())
    )
    cells = pl.DataFrame(
        {
            "weekday": np.repeat(np.arange(7), 24).astype(np.int8),
            "hour": np.tile(np.arange(24), 7).astype(np.int8),
        }
    )
    return (
        cells.join(counts, on=["weekday", "hour"], how="left", maintain_order="left")
        .with_columns(
            pl.col("events").fill_null(0),
            pl.col("harm").fill_null(0.0),
            pl.col("weekday").replace_strict(
                list(range(7)), list(WEEKDAYS), return_dtype=pl.String
            ).alias("weekday_name"),
        )
        .select(HOUR_WEEKDAY_COLUMNS)
    )


def monthly_trend(
    events: pl.DataFrame,
    weight: str = "harm_weight",
    *,
    timezone: str = DEFAULT_TIMEZONE,
    series: str = "events",
    min_months_for_stl: int = 24,
) -> pl.DataFrame:
    """Events and harm a month with trend, seasonal and residual parts of ``series`` ("events"
    or "harm"); ``TREND_COLUMNS``, one row per month (its first day) from the first event's to
    the last's; ``method`` is "stl", "moving-average" or "none" (see the module docstring,
    ``TREND_METHODS`` describes each in a sentence)."""
    _check_timezone(timezone)
    if series not in SERIES:
        raise ValueError(f"series must be one of {', '.join(SERIES)}, not {series!r}")
    if not isinstance(min_months_for_stl, int) or min_months_for_stl < 24:
        raise ValueError("min_months_for_stl must be a whole number of at least 24 (two years)")
    harm = event_harm_expr(events, weight)
    when = _utc(events)
    if times_known(events):
        when = when.dt.convert_time_zone(timezone)
    counts = (
        events.select(when.dt.date().dt.truncate("1mo").alias("month"), harm.alias("harm"))
        .group_by("month")
        .agg(pl.len().cast(pl.Int64).alias("events"), pl.col("harm").sum())
    )
    if counts.height == 0:
        return pl.DataFrame(
            schema={"month": pl.Date, "events": pl.Int64, "harm": pl.Float64,
                    "trend": pl.Float64, "seasonal": pl.Float64, "residual": pl.Float64,
                    "series": pl.String, "method": pl.String}
        )
    first, last = counts["month"].min(), counts["month"].max()
    assert isinstance(first, date) and isinstance(last, date)
    months = pl.DataFrame(
        {"month": pl.date_range(first, last, "1mo", eager=True)}
    )
    frame = months.join(counts, on="month", how="left", maintain_order="left").with_columns(
        pl.col("events").fill_null(0), pl.col("harm").fill_null(0.0)
    )
    values = frame[series].cast(pl.Float64).to_numpy()
    trend, seasonal, method = _decompose(values, min_months_for_stl)
    residual = values - trend - np.nan_to_num(seasonal)
    parts = {"trend": trend, "seasonal": seasonal, "residual": residual}
    return frame.with_columns(
        *(pl.Series(name, part, dtype=pl.Float64).fill_nan(None) for name, part in parts.items()),
        pl.lit(series).alias("series"),
        pl.lit(method).alias("method"),
    ).select(TREND_COLUMNS)


def _decompose(values: np.ndarray, min_months: int) -> tuple[np.ndarray, np.ndarray, str]:
    """(trend, seasonal, method); NaN where a part is not estimated (null in the output)."""
    n = len(values)
    nothing = np.full(n, np.nan)
    if n >= min_months:
        # imported here: statsmodels brings pandas and SciPy, seconds to load on a small machine
        from statsmodels.tsa.seasonal import STL

        # a seasonal smoother far longer than the series: the same pattern every year
        # ("periodic"), all that a few years can support
        periodic = 2 * (10 * n // 2) + 1
        fit = STL(values, period=12, seasonal=periodic, seasonal_deg=0, robust=True).fit()
        return np.asarray(fit.trend), np.asarray(fit.seasonal), "stl"
    if n >= 3:
        trend = nothing.copy()
        trend[1:-1] = (values[:-2] + values[1:-1] + values[2:]) / 3
        return trend, nothing, "moving-average"
    return nothing, nothing, "none"


ABRUPT_COLUMNS = ("month", "events", "previous_mean", "change", "direction")


def abrupt_changes(
    trend: pl.DataFrame, *, previous: int = 3, fall: float = 0.5, rise: float = 2.0,
    min_events: float = 20.0,
) -> pl.DataFrame:
    """Months of ``trend`` (``monthly_trend``'s frame: ``month``, ``events``) whose events fall
    below ``fall`` times, or rise above ``rise`` times, the mean of the ``previous`` months
    before them (fewer at the start of the series; the first month is never flagged):
    ``ABRUPT_COLUMNS``, ``change`` the month's events over that mean minus 1 (-0.6: 60%
    fewer), ``direction`` "fall" or "rise", in month order."""
    if previous < 1 or not 0 < fall < 1 < rise or min_events < 0:
        raise ValueError("previous must be >= 1, 0 < fall < 1 < rise, min_events >= 0")
    schema = {"month": pl.Date, "events": pl.Int64, "previous_mean": pl.Float64,
              "change": pl.Float64, "direction": pl.String}
    if trend.height < 2:
        return pl.DataFrame(schema=schema)
    before = pl.col("events").cast(pl.Float64).shift(1).rolling_mean(previous, min_samples=1)
    flagged = (
        trend.sort("month")
        .select("month", pl.col("events").cast(pl.Int64), before.alias("previous_mean"))
        .filter(pl.col("previous_mean") >= max(min_events, 1e-9))
        .with_columns((pl.col("events") / pl.col("previous_mean") - 1).alias("change"))
        .with_columns(
            pl.when(pl.col("events") < fall * pl.col("previous_mean")).then(pl.lit("fall"))
            .when(pl.col("events") > rise * pl.col("previous_mean")).then(pl.lit("rise"))
            .alias("direction")
        )
        .filter(pl.col("direction").is_not_null())
    )
    return flagged.select(ABRUPT_COLUMNS).cast(schema)

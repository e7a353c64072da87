"""Who is proposed, compared with everyone who offended: by sex, age band and ethnicity.

The Gangs Matrix was found to list young Black men far out of proportion to their share of
violence (ICO 2018; Amnesty 2018).  A panel must see, for every proposal list, whether the list
over-represents a group compared with the people recorded offending in the same window; this
table is that check.  It is for monitoring only: these attributes are never used to score or
select anyone, and the web app never shows an individual's ethnicity.

``ratio`` is the share of the proposed list in a category divided by that category's share of
everyone with offender harm in the window (1.0 = in proportion).  Categories with fewer than
``SMALL`` proposed people are marked ``small`` because their ratio is unstable.

``compare`` generalises the check to any group (a run's proposals, a programme's people brought
to the panel, accepted or active) against any baseline (everyone recorded, the offenders or the
victims of serious violence), with a Katz interval for each ratio, small-number suppression,
and a warning where a ratio is far from 1 and chance does not easily explain it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

import polars as pl
from scipy.stats import norm

SMALL = 10
AGE_BANDS = ((0, 13, "under 14"), (14, 17, "14-17"), (18, 24, "18-24"), (25, 34, "25-34"),
             (35, 200, "35 and over"))
COLUMNS = ("characteristic", "value", "offenders", "proposed", "offender_share",
           "proposed_share", "ratio", "small")


def age_band(date_of_birth: pl.Expr, as_of: datetime | None) -> pl.Expr:
    if as_of is None:
        return pl.lit("unknown")
    years = (pl.lit(as_of.date()) - date_of_birth).dt.total_days() / 365.25
    band = pl.lit("unknown")
    for low, high, label in reversed(AGE_BANDS):
        within = years.is_between(low, high + 1, closed="left")
        band = pl.when(within).then(pl.lit(label)).otherwise(band)
    return pl.when(date_of_birth.is_null()).then(pl.lit("unknown")).otherwise(band)


def breakdown(
    people: pl.DataFrame, recorded: pl.DataFrame, as_of: datetime | None
) -> pl.DataFrame:
    """``people``: the analysis people frame (person_id, harm_score, proposed);
    ``recorded``: the extract's people table (person_id, date_of_birth, sex, ethnicity)."""
    offenders = (
        people.filter(pl.col("harm_score") > 0)
        .select("person_id", "proposed")
        .join(recorded, on="person_id", how="left")
        .with_columns(
            pl.col("sex").fill_null("unknown"),
            pl.col("ethnicity").fill_null("unknown"),
            age_band(pl.col("date_of_birth"), as_of).alias("age band"),
        )
    )
    total = offenders.height
    proposed_total = int(offenders["proposed"].sum()) if total else 0
    parts = []
    for characteristic in ("sex", "age band", "ethnicity"):
        parts.append(
            offenders.group_by(pl.col(characteristic).alias("value"))
            .agg(
                pl.len().cast(pl.Int64).alias("offenders"),
                pl.col("proposed").sum().cast(pl.Int64).alias("proposed"),
            )
            .with_columns(pl.lit(characteristic).alias("characteristic"))
        )
    if not parts or total == 0:
        return pl.DataFrame(schema={c: pl.String for c in COLUMNS})
    table = pl.concat(parts).with_columns(
        (pl.col("offenders") / total).alias("offender_share"),
        (pl.col("proposed") / max(proposed_total, 1)).alias("proposed_share"),
    )
    return (
        table.with_columns(
            pl.when(pl.col("offender_share") > 0)
            .then(pl.col("proposed_share") / pl.col("offender_share"))
            .alias("ratio"),
            (pl.col("proposed") < SMALL).alias("small"),
        )
        .sort("characteristic", "offenders", "value", descending=[False, True, False])
        .select(COLUMNS)
    )


# --- Comparing any group of people with any baseline, with intervals, suppression, warnings ---
#
# ``breakdown`` above compares one run's proposals with its offenders.  The functions below
# compare any group (a run's proposals, a programme's proposed, accepted or active cohort) with
# any baseline (everyone recorded, the offenders of serious violence, its victims), by the same
# characteristics, and say which differences a panel should look at.

CHARACTERISTICS = ("sex", "age band", "ethnicity")
COMPARE_COLUMNS = (
    "characteristic", "value", "group_count", "baseline_count", "group_total",
    "baseline_total", "group_share", "baseline_share", "ratio", "ratio_low", "ratio_high",
    "group_suppressed", "baseline_suppressed", "warning",
)
GUIDANCE = (
    "A warning means this group's share of the list is far from its share of the comparison "
    "group (outside {low} to {high} times), and the difference is larger than chance alone "
    "would easily give (the {confidence}% interval does not include 1). It does not say why. "
    "The panel should consider whether the selection criteria or the harm weights bear harder "
    "on this group, whether the recorded data reflect where and whom police look for rather "
    "than who commits violence, whether each person in the group meets the criteria on recent, "
    "serious violence, and for children whether a safeguarding response fits better than "
    "deterrence; and it should record what it concluded."
)


@dataclass(frozen=True)
class FairnessSettings:
    """``suppress_below``: counts from 1 to one less than this are shown as "fewer than N" and
    their ratio withheld (0 is shown); ``low``/``high``: the band of ratios taken as close to
    proportionate (the "four-fifths" rule and its inverse); ``confidence`` of the interval."""

    suppress_below: int = SMALL
    low: float = 0.8
    high: float = 1.25
    confidence: float = 0.95

    def __post_init__(self) -> None:
        if not isinstance(self.suppress_below, int) or self.suppress_below < 1:
            raise ValueError("fairness.suppress_below must be a whole number of at least 1")
        if not 0 < self.low < 1 < self.high:
            raise ValueError("fairness: low must be between 0 and 1 and high above 1")
        if not 0 < self.confidence < 1:
            raise ValueError("fairness.confidence must be between 0 and 1, e.g. 0.95")

    def guidance(self) -> str:
        return GUIDANCE.format(low=_fmt(self.low), high=_fmt(self.high),
                               confidence=_fmt(self.confidence * 100))


def _fmt(value: float) -> str:
    return f"{value:.10g}"


def attributes(recorded: pl.DataFrame, as_of: datetime | None) -> pl.DataFrame:
    """person_id and each of ``CHARACTERISTICS`` ("unknown" where not recorded), from a people
    table with person_id, date_of_birth, sex and ethnicity; ages on ``as_of``."""
    return recorded.select(
        "person_id",
        pl.col("sex").replace("", None).fill_null("unknown").alias("sex"),
        age_band(pl.col("date_of_birth"), as_of).alias("age band"),
        pl.col("ethnicity").replace("", None).fill_null("unknown").alias("ethnicity"),
    )


def counts(people: pl.DataFrame, members: Iterable[str] | pl.Series | None = None) -> pl.DataFrame:
    """characteristic, value, count: the ``attributes`` frame (or the ``members`` among it)."""
    if members is not None:
        ids = members if isinstance(members, pl.Series) else pl.Series(list(members))
        ids = ids.cast(people.schema["person_id"])
        people = people.filter(pl.col("person_id").is_in(ids.implode()))
    parts = [
        people.group_by(pl.col(name).alias("value")).len("count")
        .select(pl.lit(name).alias("characteristic"), "value",
                pl.col("count").cast(pl.Int64))
        for name in CHARACTERISTICS
    ]
    return pl.concat(parts)


def ratio_interval(
    a: int, n1: int, b: int, n2: int, confidence: float = 0.95
) -> tuple[float | None, float | None, float | None]:
    """The ratio of proportions (a/n1) / (b/n2) and its Katz log interval.

    ``exp(log(ratio) +- z * sqrt(1/a - 1/n1 + 1/b - 1/n2))`` (Katz et al. 1978).  Where a
    side has an empty cell (nobody in the category, or everybody), 0.5 is added to each of its
    cells (the Haldane-Anscombe correction: a + 0.5 of n + 1) for the interval only, and a zero
    count's interval starts at 0.  It treats the two as independent samples; where the group is
    part of the baseline (proposals among offenders) the interval is a little wider than it
    need be, so a warning is, if anything, given too rarely.  None where a total is 0 or the
    baseline count is 0 (no share to compare with)."""
    if n1 <= 0 or n2 <= 0 or b <= 0:
        return None, None, None
    ratio = (a / n1) / (b / n2)
    (a_, n1_), (b_, n2_) = _corrected(a, n1), _corrected(b, n2)
    variance = 1 / a_ - 1 / n1_ + 1 / b_ - 1 / n2_
    z = float(norm.ppf(0.5 + confidence / 2))
    centre = math.log(a_ / n1_) - math.log(b_ / n2_)
    spread = z * math.sqrt(max(variance, 0.0))
    return ratio, 0.0 if a == 0 else math.exp(centre - spread), math.exp(centre + spread)


def _corrected(count: int, total: int) -> tuple[float, float]:
    return (count + 0.5, total + 1.0) if count in (0, total) else (count, total)


def compare(
    group: pl.DataFrame, baseline: pl.DataFrame, settings: FairnessSettings | None = None
) -> pl.DataFrame:
    """``COMPARE_COLUMNS``, one row per characteristic and value in either ``counts`` frame.

    Totals are per characteristic (the group's size, "unknown" included).  A count from 1 to
    ``suppress_below - 1`` is suppressed, and where a characteristic has exactly one suppressed
    count in a column, the next smallest non-zero count of that column is suppressed too, so
    the hidden one cannot be worked out from the total.  Rows come in ``CHARACTERISTICS``
    order, age bands youngest first, other values by baseline count.  A row with a suppressed
    count has no
    shares, ratio or interval.  ``warning`` is "over" or "under" where the ratio lies outside
    ``low``..``high`` and its interval excludes 1."""
    settings = settings or FairnessSettings()
    joined = (
        group.rename({"count": "group_count"})
        .join(baseline.rename({"count": "baseline_count"}), on=["characteristic", "value"],
              how="full", coalesce=True)
        .with_columns(pl.col("group_count", "baseline_count").fill_null(0))
        .with_columns(
            pl.col("group_count").sum().over("characteristic").alias("group_total"),
            pl.col("baseline_count").sum().over("characteristic").alias("baseline_total"),
        )
        .sort("characteristic", "baseline_count", "value", descending=[False, True, False])
    )
    rows = joined.to_dicts()
    for column in ("group", "baseline"):
        _suppress(rows, column, settings.suppress_below)
    for row in rows:
        _measure(row, settings)
    order = {name: i for i, name in enumerate(CHARACTERISTICS)}
    bands = {label: i for i, (_, _, label) in enumerate(AGE_BANDS)}
    rows.sort(key=lambda r: (order.get(r["characteristic"], len(order)),
                             bands.get(r["value"], len(bands))
                             if r["characteristic"] == "age band" else 0))
    return pl.DataFrame(rows, schema=_compare_schema()).select(COMPARE_COLUMNS)


def _suppress(rows: list[dict], column: str, below: int) -> None:
    count, flag = f"{column}_count", f"{column}_suppressed"
    for row in rows:
        row[flag] = 0 < row[count] < below
    for characteristic in {row["characteristic"] for row in rows}:
        same = [row for row in rows if row["characteristic"] == characteristic]
        if sum(row[flag] for row in same) == 1 and len(same) > 1:
            others = [row for row in same if not row[flag] and row[count] > 0]
            if others:
                min(others, key=lambda r: (r[count], r["value"]))[flag] = True


def _measure(row: dict, settings: FairnessSettings) -> None:
    hidden = row["group_suppressed"] or row["baseline_suppressed"]
    ratio, low, high = (None, None, None) if hidden else ratio_interval(
        row["group_count"], row["group_total"], row["baseline_count"], row["baseline_total"],
        settings.confidence,
    )
    row["group_share"] = None if hidden or not row["group_total"] else (
        row["group_count"] / row["group_total"])
    row["baseline_share"] = None if hidden or not row["baseline_total"] else (
        row["baseline_count"] / row["baseline_total"])
    row["ratio"], row["ratio_low"], row["ratio_high"] = ratio, low, high
    warning = None
    if ratio is not None and low is not None and high is not None:
        if ratio > settings.high and low > 1:
            warning = "over"
        elif ratio < settings.low and high < 1:
            warning = "under"
    row["warning"] = warning


def _compare_schema() -> dict[str, pl.DataType]:
    ints = ("group_count", "baseline_count", "group_total", "baseline_total")
    floats = ("group_share", "baseline_share", "ratio", "ratio_low", "ratio_high")
    flags = ("group_suppressed", "baseline_suppressed")
    return {
        name: pl.Int64 if name in ints else pl.Float64 if name in floats
        else pl.Boolean if name in flags else pl.String
        for name in COMPARE_COLUMNS
    }


def explain(row: Mapping, group_label: str, baseline_label: str,
            settings: FairnessSettings | None = None) -> str:
    """One warned row as a sentence, e.g. "Under 14 (age band): 1.9% of people proposed against
    0.4% of offenders, 5.53 times their share (95% interval 2.90 to 10.55): over-represented.\""""
    settings = settings or FairnessSettings()
    what = "over-represented" if row["warning"] == "over" else "under-represented"
    return (
        f"{str(row['value']).capitalize()} ({row['characteristic']}): "
        f"{row['group_share']:.1%} of {group_label} against {row['baseline_share']:.1%} of "
        f"{baseline_label}, {row['ratio']:.2f} times their share "
        f"({_fmt(settings.confidence * 100)}% interval {row['ratio_low']:.2f} to "
        f"{row['ratio_high']:.2f}): {what}."
    )


def from_breakdown(table: Iterable[Mapping]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The (proposed, offenders) ``counts`` frames of a stored ``breakdown`` table, so a run's
    profile can be compared with intervals and suppression after the fact."""
    rows = list(table)
    schema = {"characteristic": pl.String, "value": pl.String, "count": pl.Int64}

    def frame(column: str) -> pl.DataFrame:
        return pl.DataFrame(
            [{"characteristic": r["characteristic"], "value": str(r["value"]),
              "count": int(r[column] or 0)} for r in rows], schema=schema)

    return frame("proposed"), frame("offenders")

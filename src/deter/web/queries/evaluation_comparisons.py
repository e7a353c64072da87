"""The evaluation page's two designs that set the cohort beside people or groups the programme
did not treat, over calendar months (issue 15). Both count offences (events at which someone is
recorded as suspect or offender) in whole calendar months the data cover, up to
``PRE_MONTHS`` before the first acceptance and up to the last complete month.

* **Difference-in-differences with staggered adoption** (Callaway and Sant'Anna 2021,
  ``deter.analysis.evaluation.did``): units are people. Each accepted person's cohort is the
  calendar month of their acceptance (people accepted in the same month form one cohort); the
  comparison is never treated: the people the programme's current run scored and the panel
  never accepted (those it proposed, where there are any, as for the regression-to-the-mean
  comparison). The headline is the simple aggregation of the group-time ATTs (offences a
  person a month); the event study shows each month relative to acceptance, and the mean of
  its months before acceptance is the parallel-trends placebo. Standard errors are clustered
  by the person's group in the current run (a person in none is their own cluster): members of
  a group share its feuds and its programme, and treating them as independent would make
  the interval too narrow.
* **Synthetic control** (Abadie, Diamond and Hainmueller 2010,
  ``evaluation.synthetic_control``): the treated unit is the groups the panel accepted, pooled
  (found by the programme's current run, matched on label), from the month the first of them
  was accepted; the donors are the run's other groups, leaving out any with an accepted member,
  the ``DONOR_POOL`` nearest in pre-period offending. The outcome is offences a member a month
  (an event with several members of one group counts once for it), so groups of different
  sizes compare. Inference is placebo-in-space: each donor in turn as if treated, the p-value
  the treated unit's rank by post/pre RMSPE ratio.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl
from django.utils import timezone

from deter.analysis.evaluation import did
from deter.analysis.evaluation import synthetic_control as sc
from deter.analysis.harm_tables import HarmTable

from .. import policy
from ..models import CohortDecision, CohortStatus, PersonScore, Programme
from . import programme_report

PRE_MONTHS = 24  # as the interrupted time series looks back
MIN_PRE = 6  # calendar months before the first acceptance either design needs
DONOR_POOL = 30  # at most this many donor groups (each is also a placebo, refitted)
PREDICTOR_BLOCKS = 4  # the pre-period's mean offending in this many blocks: the predictors


def month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def month_label(index: int) -> str:
    return f"{date(index // 12, index % 12 + 1, 1):%b %Y}"


def complete_months(data_start: date, today: date) -> tuple[int, int]:
    """The first and last calendar months the data cover whole."""
    first = month_index(data_start) + (data_start.day != 1)
    last = month_index(today) - ((today + timedelta(days=1)).month == today.month)
    return first, last


def _window(first_acceptance: date, data_start: date, today: date) -> tuple[int, int, str]:
    first, last = complete_months(data_start, today)
    start = month_index(first_acceptance)
    first = max(first, start - PRE_MONTHS)
    if start - first < MIN_PRE:
        return first, last, (f"The data cover {max(0, start - first)} whole months before the "
                             f"first acceptance; the design needs at least {MIN_PRE}.")
    if last < start:
        return first, last, "No whole month has passed since the first acceptance."
    return first, last, ""


def _with_month(events: pl.DataFrame) -> pl.DataFrame:
    return events.with_columns(
        (pl.col("day").dt.year().cast(pl.Int64) * 12 + pl.col("day").dt.month() - 1)
        .alias("month"))


# --- difference-in-differences ---------------------------------------------------------------


@dataclass
class DiDSummary:
    n_treated: int
    n_control: int
    cohorts: int
    first_month: int
    last_month: int
    simple: did.AggregateEffect
    dynamic: did.AggregateEffect
    pre_trend: did.AggregateEffect | None
    treated_post_mean: float  # offences a person a month, the cohort after acceptance
    left_out: int  # accepted but outside the window (too early for a pre-period, or too late)

    @property
    def ratio(self) -> tuple[float, float, float] | None:
        """The ATT as a rate ratio: the cohort's offences after over their counterfactual
        (the same less the ATT); the interval maps the ATT's and ignores the uncertainty of
        the cohort's own mean, so it is a little narrow."""
        y1 = self.treated_post_mean
        low, high = self.simple.ci()
        if y1 - self.simple.att <= 0 or y1 - low <= 0:
            return None
        upper = y1 / (y1 - high) if y1 - high > 0 else float("inf")
        return y1 / (y1 - self.simple.att), y1 / (y1 - low), upper


def person_months(people: list[int], events: pl.DataFrame, first: int,
                  last: int) -> pl.DataFrame:
    """person, month, outcome (offences): one row for every person and month in the window."""
    counts = (_with_month(events.filter(pl.col("person").is_in(people)))
              .filter(pl.col("month").is_between(first, last))
              .group_by("person", "month").agg(pl.len().cast(pl.Float64).alias("outcome")))
    grid = pl.DataFrame({"person": people}, schema={"person": pl.Int64}).join(
        pl.DataFrame({"month": list(range(first, last + 1))}, schema={"month": pl.Int64}),
        how="cross")
    return grid.join(counts, on=["person", "month"], how="left").with_columns(
        pl.col("outcome").fill_null(0.0))


def clusters(programme: Programme, people: list[int]) -> dict[int, str]:
    """Each person's group in the programme's current run, or the person alone."""
    run = policy.runs.current(programme)
    found = dict(PersonScore.objects.filter(run=run, person_id__in=people)
                 .exclude(group_label="").values_list("person_id", "group_label"))
    return {p: found.get(p) or f"person {p}" for p in people}


def fit_did(programme: Programme, accepted: dict[int, date], comparison: list[int],
            events: pl.DataFrame, data_start: date,
            today: date) -> tuple[DiDSummary | None, str]:
    if not accepted:
        return None, "Nobody has been accepted yet."
    if not comparison:
        return None, ("There is no one to compare with: the programme's current analysis run "
                      "scored nobody the panel did not accept.")
    first, last, error = _window(min(accepted.values()), data_start, today)
    if error:
        return None, error
    cohort = {p: month_index(d) for p, d in accepted.items() if first < month_index(d) <= last}
    if not cohort:
        return None, "Nobody was accepted inside the months the data cover whole."
    units = [*cohort, *comparison]
    frame = person_months(units, events, first, last).with_columns(
        (pl.col("month") - first + 1).alias("time"),
        pl.col("person").replace_strict({p: m - first + 1 for p, m in cohort.items()},
                                        default=0, return_dtype=pl.Int64).alias("group"),
        pl.col("person").replace_strict(clusters(programme, units),
                                        return_dtype=pl.String).alias("cluster"))
    try:
        result = did.group_time_att(frame, unit="person", time="time", outcome="outcome",
                                    group="group", control_group="never_treated",
                                    cluster="cluster")
        simple, dynamic = did.aggregate(result, "simple"), did.aggregate(result, "dynamic")
    except ValueError as error:
        return None, f"The difference-in-differences could not be estimated: {error}"
    try:
        pre_trend = did.pre_period_average(result)
    except ValueError:
        pre_trend = None
    post = frame.filter((pl.col("group") > 0) & (pl.col("time") >= pl.col("group")))
    return DiDSummary(
        n_treated=len(cohort), n_control=len(comparison), cohorts=len(set(cohort.values())),
        first_month=first, last_month=last, simple=simple, dynamic=dynamic,
        pre_trend=pre_trend, treated_post_mean=float(post["outcome"].mean()),
        left_out=len(accepted) - len(cohort)), ""


# --- synthetic control -----------------------------------------------------------------------


@dataclass
class SyntheticSummary:
    treated_groups: int
    treated_members: int
    donors_considered: int
    fit: sc.SyntheticControl
    p_value: float
    first_month: int
    start_month: int
    left_out: int  # accepted groups the current run did not find

    @property
    def months_before(self) -> int:
        return sum(1 for p in self.fit.periods if p < self.fit.treatment_start)

    @property
    def ratio(self) -> float | None:
        after = [i for i, p in enumerate(self.fit.periods) if p >= self.fit.treatment_start]
        synthetic = sum(self.fit.synthetic_path[i] for i in after)
        if synthetic <= 0:
            return None
        return sum(self.fit.treated_path[i] for i in after) / synthetic

    @property
    def donors_weighted(self) -> int:
        return sum(1 for w in self.fit.weights if w >= 0.01)

    def path(self) -> list[tuple[str, float, float]]:
        return [(month_label(self.first_month + p - 1), t, s) for p, t, s in zip(
            self.fit.periods, self.fit.treated_path, self.fit.synthetic_path, strict=True)]


def _accepted_groups(programme: Programme) -> dict[str, date]:
    """Each accepted group's label and the day of its first decision to active, leaving out
    groups removed after a challenge."""
    accepted: dict[str, date] = {}
    for label, at in (CohortDecision.objects
                      .filter(group__programme=programme, to_status=CohortStatus.ACTIVE)
                      .exclude(group__status=CohortStatus.REMOVED)
                      .order_by("decided_at", "pk").values_list("group__label", "decided_at")):
        accepted.setdefault(label, timezone.localdate(at))
    return accepted


def _group_rates(members: dict[str, list[int]], events: pl.DataFrame, first: int,
                 last: int) -> pl.DataFrame:
    """unit (label), month, outcome: each group's offences a member a month, an event once a
    group."""
    rows = [(person, label) for label, people in members.items() for person in people]
    belongs = pl.DataFrame(rows, schema={"person": pl.Int64, "unit": pl.String}, orient="row")
    counts = (_with_month(events).join(belongs, on="person")
              .filter(pl.col("month").is_between(first, last))
              .unique(["unit", "event"]).group_by("unit", "month")
              .agg(pl.len().cast(pl.Float64).alias("offences")))
    sizes = pl.DataFrame([(label, float(len(p))) for label, p in members.items()],
                         schema={"unit": pl.String, "members": pl.Float64}, orient="row")
    grid = sizes.join(pl.DataFrame({"month": list(range(first, last + 1))},
                                   schema={"month": pl.Int64}), how="cross")
    return (grid.join(counts, on=["unit", "month"], how="left")
            .with_columns((pl.col("offences").fill_null(0.0) / pl.col("members"))
                          .alias("outcome")).select("unit", "month", "outcome"))


def fit_synthetic(programme: Programme, accepted: dict[int, date], table: HarmTable,
                  data_start: date, today: date) -> tuple[SyntheticSummary | None, str]:
    run = policy.runs.current(programme)
    if run is None:
        return None, "The programme has no analysis run to find its groups in."
    members: dict[str, list[int]] = defaultdict(list)
    for person, label in (PersonScore.objects.filter(run=run).exclude(group_label="")
                          .values_list("person_id", "group_label")):
        members[label].append(person)
    groups = _accepted_groups(programme)
    treated = {label: day for label, day in groups.items() if label in members}
    if not treated:
        return None, ("The panel has accepted no group that the programme's current analysis "
                      "run found: the synthetic control compares groups.")
    first, last, error = _window(min(treated.values()), data_start, today)
    if error:
        return None, error
    touched = {label for label, people in members.items() if set(people) & set(accepted)}
    pool = {label: people for label, people in members.items()
            if label not in treated and label not in touched}
    pooled = [p for label in treated for p in members[label]]
    everyone = {**pool, "treated": pooled}
    events = programme_report.offending_events(
        table, person_id__in=[p for people in everyone.values() for p in people])
    frame = _group_rates(everyone, events, first, last).with_columns(
        (pl.col("month") - first + 1).alias("time"))
    start = month_index(min(treated.values())) - first + 1
    pre = list(range(1, start))
    before = (frame.filter(pl.col("time") < start).group_by("unit")
              .agg(pl.col("outcome").mean().alias("mean")))
    means = dict(before.iter_rows())
    target = means["treated"]
    candidates = sorted((label for label in pool if means.get(label, 0) > 0),
                        key=lambda label: (abs(means[label] - target), label))
    donors = candidates[:DONOR_POOL]
    if len(donors) < 2:
        return None, ("Fewer than two groups the panel did not accept offended before the "
                      "first acceptance: there is nothing to build a synthetic control from.")
    frame = frame.filter(pl.col("unit").is_in(["treated", *donors]))
    spec = dict(unit="unit", time="time", outcome="outcome",
                predictors=[sc.Predictor("outcome", tuple(int(p) for p in block))
                            for block in np.array_split(pre, min(PREDICTOR_BLOCKS, len(pre)))],
                optimise_periods=pre)
    try:
        fit = sc.synthetic_control(frame, treated="treated", treatment_start=start,
                                   donors=donors, **spec)
        placebos = sc.placebo_in_space(fit, frame, **spec)
    except (ValueError, ZeroDivisionError, FloatingPointError) as error:
        return None, f"The synthetic control could not be fitted: {error}"
    return SyntheticSummary(
        treated_groups=len(treated), treated_members=len(pooled),
        donors_considered=len(donors), fit=fit, p_value=placebos.p_value, first_month=first,
        start_month=first + start - 1, left_out=len(groups) - len(treated)), ""

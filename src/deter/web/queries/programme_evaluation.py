"""The evaluation page of a programme (issue 15): did it work, was it delivered, and how sure
can anyone be?

Everything here is an aggregate over the programme's cohort; nothing returned names a person,
carries a person's key or an exact date of birth. ``build(user, programme)`` asks the policy
first (``programmes.can(user, "see_evaluation", programme)``: the coordinator, or an evaluator
under an evaluation agreement in force) and reads the programme's analysis run through
``policy.runs.current``; then, as the programme report and the evaluation export do, it
reads the whole programme.

* **The cohort** is every person the panel accepted: the day of their first decision to
  active (``programme_report.accepted_entries``, the same day the report and the export use),
  leaving out anyone removed after an upheld challenge (they should never have been listed).
* **Interrupted time series** (``deter.analysis.evaluation.its``): the cohort's offences (as
  suspect or offender, ``programme_report.offending_events``) in each twelfth of a year
  (30.44 days) before and after each person's own acceptance, aligned on it, with the number
  of people observed that month as the offset: a month before the data begins or after today
  does not count. Up to ``PRE_MONTHS`` months before; no seasonal terms, since the months are
  aligned on acceptance, not the calendar. The headline is the post-period rate ratio
  (observed over the pre-trend's counterfactual).
* **Matched cohort** (``matched.propensity_match``): the treated are the accepted people,
  the controls the people the programme's current run scored but the panel never accepted
  (the same selection process, not chosen). Each control's reference day is the median
  acceptance day. Covariates in the 12 months before the reference day: harm (the harm table's
  weight, undecayed), violent offences (the run's definition of violence), and age. Outcome:
  offences in the 12 months from the reference day, scaled to a year when fewer have passed.
  The balance table shows each covariate before and after matching.
* **Fidelity**, for the accepted people: a support intervention offered (recorded) and taken
  up (reached engaged or completed); a consequence on the plan, announced (a letter,
  notification, call-in or home visit to them or their group completed) and applied (an
  enforcement intervention for them or their group in force or completed); and the days from
  each violent offence after acceptance to the programme's next response (an enforcement or
  communication intervention for them or their group started, or the group violence flag for
  that event answered).
* **Warnings**: each with the condition that raised it (``Warning.key``).
* **The evidence base** (``evaluation.evidence``, ``power``): the published reduction for the
  programme's model and the smallest reduction this cohort's series could detect.
"""

from __future__ import annotations

import base64
import math
import warnings as warnings_
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from statistics import median

import numpy as np
import polars as pl
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Min
from django.utils import timezone
from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

from deter.analysis.evaluation import did, evidence, its, matched, power
from deter.analysis.harm_tables import HarmTable
from deter.analysis.violence import Violence

from .. import policy
from ..domain import offences
from ..models import (
    CohortEntry,
    CohortGroup,
    CohortStatus,
    Event,
    GroupViolenceFlag,
    Intervention,
    InterventionUpdate,
    Involvement,
    Person,
    PersonScore,
    Programme,
)
from . import evaluation_comparisons as comparisons
from . import programme_report

Kind = Intervention.Kind
IStatus = Intervention.Status
MONTH_DAYS = 365.25 / 12
PRE_MONTHS = 24  # the longest pre-period the series looks back over
MIN_PRE_MONTHS = 12  # a shorter pre-period is warned about
MIN_PEOPLE = 20  # a smaller cohort is warned about
MIN_SIDE = 3  # months each side the segmented model needs
CONTROL_POOL = 2000  # the comparison: at most this many of the highest-ranked not accepted
YEAR = timedelta(days=365)
TAKEN_UP = {IStatus.ENGAGED, IStatus.COMPLETED}
APPLIED = {IStatus.ACTIVE, IStatus.COMPLETED}
ANNOUNCED = {IStatus.COMPLETED}
Z95 = 1.959964  # the normal quantile of a two-sided 95% interval
POOR_FIT = 0.5  # a synthetic control's pre-period error above this share of the level
RESPONSE_KINDS = (Kind.ENFORCEMENT, Kind.COMMUNICATION)
DESIGNS = {"its": "Interrupted time series", "matched": "Matched cohort",
           "did": "Difference-in-differences (staggered)", "synthetic": "Synthetic control"}
MODELS = {"group": "Group violence (gangs and street groups)",
          "individual": "High-risk individuals", "drug_market": "Drug market",
          "overall": "All focused deterrence"}
COVARIATES = {"prior_harm": "Harm in the 12 months before", "prior_violence":
              "Violent offences in the 12 months before", "age": "Age (years)"}


# --- the result ------------------------------------------------------------------------------


@dataclass
class SeriesMonth:
    month: int  # relative to acceptance: -1 the month before, 0 the first month after
    people: int  # observed that month
    offences: int
    victimisations: int
    harm: float = 0.0
    fitted: float | None = None
    counterfactual: float | None = None


@dataclass
class GroupTrajectory:
    """One cohort group, unnamed: its accepted members' offending, harm and victimisation in
    equal windows before and after each one's acceptance (an event once per group)."""

    label: str  # "Group 1", by the order the groups were recorded
    members: int
    offences_before: int = 0
    offences_after: int = 0
    harm_before: float = 0.0
    harm_after: float = 0.0
    victimisations_before: int = 0
    victimisations_after: int = 0


@dataclass
class MatchedSummary:
    method: str
    n_treated: int
    n_treated_matched: int
    n_controls: int
    n_controls_matched: int
    effect: matched.Effect
    unadjusted: matched.Effect
    balance: tuple[matched.CovariateBalance, ...]
    treated_before: float  # mean offences in the 12 months before, matched treated
    treated_after: float
    control_before: float  # the matched controls, from the same selection
    control_after: float
    excluded_no_age: int = 0

    @property
    def ratio(self) -> float | None:
        """The matched treated's offences after over the matched controls': a rate ratio
        for the comparison with the evidence base."""
        if self.control_after <= 0:
            return None
        return self.treated_after / self.control_after


@dataclass
class Fidelity:
    accepted: int = 0
    support_offered: int = 0
    support_taken_up: int = 0
    consequence_on_plan: int = 0
    consequence_announced: int = 0
    consequence_applied: int = 0
    violent_after: int = 0  # violent offences after acceptance
    responded: int = 0
    days_to_response: list[int] = field(default_factory=list)

    @property
    def median_days(self) -> float | None:
        return median(self.days_to_response) if self.days_to_response else None


@dataclass(frozen=True)
class Warning:
    key: str
    title: str
    text: str


@dataclass
class Evaluation:
    programme: Programme
    today: date
    design: str
    model: str
    suppress_below: int
    accepted: int
    groups: int
    series: list[SeriesMonth]
    its: its.InterruptedTimeSeries | None = None
    its_error: str = ""
    placebo: its.RateRatio | None = None
    placebo_error: str = ""
    matched: MatchedSummary | None = None
    matched_error: str = ""
    fidelity: Fidelity = field(default_factory=Fidelity)
    warnings: list[Warning] = field(default_factory=list)
    shared_people: int = 0
    evidence: list[evidence.EvidenceFigure] = field(default_factory=list)
    evidence_ratio: float = 1.0
    evidence_verified: bool = False
    mde: power.MinimumDetectableEffect | None = None
    mde_error: str = ""
    months: list[programme_report.Month] = field(default_factory=list)
    comparison: list[SeriesMonth] = field(default_factory=list)
    comparison_kind: str = ""  # "proposed" (the run's selection) or "scored"
    group_trajectories: list[GroupTrajectory] = field(default_factory=list)
    did: comparisons.DiDSummary | None = None
    did_error: str = ""
    synthetic: comparisons.SyntheticSummary | None = None
    synthetic_error: str = ""

    def shown(self, count: int) -> str:
        """A count of people as the page shows it: small ones suppressed."""
        if 0 < count < self.suppress_below:
            return f"fewer than {self.suppress_below}"
        return f"{count:,}"

    def share(self, part: int, whole: int) -> str:
        """A share, shown only where the whole is not a small count."""
        if whole == 0:
            return "–"
        if whole < self.suppress_below:
            return f"not shown (fewer than {self.suppress_below} people)"
        return f"{part / whole:.0%}"

    @property
    def pre_months(self) -> int:
        return sum(1 for m in self.series if m.month < 0)

    @property
    def post_months(self) -> int:
        return sum(1 for m in self.series if m.month >= 0)

    @property
    def estimate(self) -> tuple[float, float, float] | None:
        """The chosen design's rate ratio and its interval, for the evidence comparison."""
        if self.design == "its" and self.its is not None:
            ratio = self.its.post_period
            return ratio.estimate, ratio.ci_low, ratio.ci_high
        if self.design == "matched" and self.matched is not None and self.matched.ratio:
            summary = self.matched
            base = summary.control_after
            return (summary.ratio, max(0.0, (base + summary.effect.ci_low) / base),
                    (base + summary.effect.ci_high) / base)
        if self.design == "did" and self.did is not None:
            return self.did.ratio
        return None


# --- reading the cohort ----------------------------------------------------------------------


def _cohort(programme: Programme) -> tuple[dict[int, date], dict[int, int | None]]:
    """Accepted people (person key -> day accepted) and each one's cohort group."""
    accepted_entries = programme_report.accepted_entries(programme)
    entries = (CohortEntry.objects.filter(pk__in=list(accepted_entries))
               .exclude(status=CohortStatus.REMOVED)
               .values_list("pk", "person_id", "group_id"))
    accepted, groups = {}, {}
    for entry, person, group in entries:
        accepted[person] = accepted_entries[entry]
        groups[person] = group
    return accepted, groups


def _with_violence(frame: pl.DataFrame, violence: Violence) -> pl.DataFrame:
    pairs = frame.select("offence_code", "offence_category").unique().rows()
    chosen = [(c, k) for c, k in pairs if violence.counts(c or "", k or "")]
    keys = pl.DataFrame(chosen, schema={"offence_code": pl.String,
                                        "offence_category": pl.String}, orient="row")
    keys = keys.with_columns(pl.lit(True).alias("violent"))
    return frame.join(keys, on=["offence_code", "offence_category"], how="left",
                      nulls_equal=True).with_columns(pl.col("violent").fill_null(False))


def _victimisations(people: list[int]) -> dict[int, list[date]]:
    found: dict[int, list[date]] = defaultdict(list)
    for person, at in (Involvement.objects.filter(person_id__in=people,
                                                  role=Involvement.Role.VICTIM)
                       .exclude(event__source__startswith="movement-")
                       .values_list("person_id", "event__occurred_at")):
        found[person].append(timezone.localdate(at))
    return found


def _data_start(today: date) -> date:
    first = Event.objects.aggregate(first=Min("occurred_at"))["first"]
    return timezone.localdate(first) if first else today


# --- the interrupted time series -------------------------------------------------------------


def _relative_month(day: date, accepted: date) -> int:
    return math.floor((day - accepted).days / MONTH_DAYS)


def _observed(accepted: date, month: int, data_start: date, today: date) -> bool:
    start = accepted + timedelta(days=month * MONTH_DAYS)
    end = accepted + timedelta(days=(month + 1) * MONTH_DAYS)
    return start >= data_start and end <= today + timedelta(days=1)


def series(accepted: dict[int, date], events: pl.DataFrame, victims: dict[int, list[date]],
           data_start: date, today: date) -> list[SeriesMonth]:
    """Offences and victimisations by month relative to each person's acceptance, counting
    only the months in which each person is observed."""
    if not accepted:
        return []
    last = max(_relative_month(today, day) for day in accepted.values())
    rows = {m: SeriesMonth(m, 0, 0, 0) for m in range(-PRE_MONTHS, last + 1)}
    for day in accepted.values():
        for m, row in rows.items():
            row.people += _observed(day, m, data_start, today)
    for person, day, weight in events.select("person", "day", "harm_weight").iter_rows():
        _add(rows, accepted.get(person), day, data_start, today, "offences")
        _add(rows, accepted.get(person), day, data_start, today, "harm", weight or 0.0)
    for person, days in victims.items():
        for day in days:
            _add(rows, accepted.get(person), day, data_start, today, "victimisations")
    return [row for row in rows.values() if row.people > 0]


def _add(rows, accepted, day, data_start, today, name, amount=1) -> None:
    if accepted is None:
        return
    m = _relative_month(day, accepted)
    if m in rows and _observed(accepted, m, data_start, today):
        setattr(rows[m], name, getattr(rows[m], name) + amount)


def group_trajectories(accepted: dict[int, date], groups: dict[int, int | None],
                       events: pl.DataFrame, victims: dict[int, list[date]],
                       today: date) -> list[GroupTrajectory]:
    members: dict[int, list[int]] = defaultdict(list)
    for person, group in groups.items():
        if group:
            members[group].append(person)
    by_person: dict[int, list[tuple[int, date, float]]] = defaultdict(list)
    for person, event, day, weight in events.select(
            "person", "event", "day", "harm_weight").iter_rows():
        by_person[person].append((event, day, weight or 0.0))
    return [_group_row(f"Group {number}", members[group], accepted, by_person, victims, today)
            for number, group in enumerate(sorted(members), start=1)]


def _group_row(label, people, accepted, by_person, victims, today) -> GroupTrajectory:
    row = GroupTrajectory(label, len(people))
    seen: dict[str, dict[int, float]] = {"before": {}, "after": {}, "": {}}
    victimised = {"before": 0, "after": 0, "": 0}
    for person in people:
        day0 = accepted[person]
        days = timedelta(days=programme_report.window_days(day0, today))
        for event, day, weight in by_person[person]:
            seen[_side(day, day0, days)][event] = weight
        for day in victims.get(person, []):
            victimised[_side(day, day0, days)] += 1
    row.offences_before, row.offences_after = len(seen["before"]), len(seen["after"])
    row.harm_before = sum(seen["before"].values())
    row.harm_after = sum(seen["after"].values())
    row.victimisations_before, row.victimisations_after = (victimised["before"],
                                                           victimised["after"])
    return row


def _side(day: date, accepted: date, days: timedelta) -> str:
    if accepted - days <= day < accepted:
        return "before"
    if accepted <= day < accepted + days:
        return "after"
    return ""


def fit_its(months: list[SeriesMonth]) -> tuple[its.InterruptedTimeSeries | None, str]:
    pre = sum(1 for m in months if m.month < 0)
    post = len(months) - pre
    if pre < MIN_SIDE or post < MIN_SIDE:
        return None, (f"The series has {pre} months before acceptance and {post} after; the "
                      f"model needs at least {MIN_SIDE} on each side.")
    if sum(m.offences for m in months if m.month < 0) == 0:
        return None, "The cohort has no offences before acceptance to compare with."
    result, error = _fit(months, pre)
    if result is None:
        return None, error
    for month, fitted, counterfactual in zip(months, result.fitted, result.counterfactual,
                                             strict=True):
        month.fitted, month.counterfactual = fitted, counterfactual
    return result, ""


def _fit(months: list[SeriesMonth], interruption: int):
    frame = pl.DataFrame({"offences": [m.offences for m in months],
                          "people": [m.people for m in months]})
    try:
        result = its.interrupted_time_series(frame, count="offences", population="people",
                                             interruption_index=interruption, harmonics=0)
    except (ValueError, ArithmeticError, np.linalg.LinAlgError) as error:
        return None, f"The model could not be fitted: {error}"
    if not all(math.isfinite(v) for v in (result.post_period.ci_low,
                                          result.post_period.ci_high)):
        return None, "The model could not be fitted: its interval is not finite."
    return result, ""


def placebo(months: list[SeriesMonth]) -> tuple[its.RateRatio | None, str]:
    """The same model on the months before acceptance alone, with a false acceptance half-way
    through them: a change there is not the programme's."""
    pre = [m for m in months if m.month < 0]
    if len(pre) < 2 * MIN_SIDE:
        return None, f"A placebo test needs at least {2 * MIN_SIDE} months before acceptance."
    if sum(m.offences for m in pre[: len(pre) // 2]) == 0:
        return None, "No offences in the first half of the pre-period."
    result, error = _fit(pre, len(pre) // 2)
    return (result.post_period, "") if result is not None else (None, error)


# --- the matched cohort ----------------------------------------------------------------------


def _controls(programme: Programme, accepted: dict[int, date]) -> tuple[list[int], list[int]]:
    """People the programme's current run scored and its panel never accepted (nor removed
    after a challenge), the ``CONTROL_POOL`` highest ranked (those nearest the selection,
    and a bounded read however many the run scored), and those of them the run proposed
    (who met its selection criteria, as the cohort did)."""
    run = policy.runs.current(programme)
    if run is None:
        return [], []
    decided = set(CohortEntry.objects.filter(programme=programme, status=CohortStatus.REMOVED)
                  .values_list("person_id", flat=True))
    ranked = (PersonScore.objects.filter(run=run).exclude(person_id__in=list(accepted))
              .exclude(person_id__in=list(decided)).order_by("rank")
              .values_list("person_id", "proposed")[:CONTROL_POOL])
    scored = list(ranked)
    return [p for p, _ in scored], [p for p, proposed in scored if proposed]


def _reference_day(accepted: dict[int, date]) -> date:
    """A comparison person's stand-in for the day of acceptance: the cohort's median."""
    return sorted(accepted.values())[len(accepted) // 2]


def _age(born: date | None, on: date) -> float | None:
    if born is None:
        return None
    return (on - born).days / 365.25


def _matched_frame(accepted, controls, events, today):
    dates = dict(accepted)
    if controls:
        dates |= dict.fromkeys(controls, _reference_day(accepted))
    born = dict(Person.objects.filter(pk__in=list(dates)).values_list("pk", "date_of_birth"))
    by_person: dict[int, list[tuple[date, float, bool]]] = defaultdict(list)
    for person, day, weight, violent in events.select(
            "person", "day", "harm_weight", "violent").iter_rows():
        by_person[person].append((day, weight or 0.0, violent))
    rows, no_age = [], 0
    for person, day in dates.items():
        age = _age(born.get(person), day)
        followed = min(YEAR, timedelta(days=(today - day).days + 1))
        if age is None or followed.days < 1:
            no_age += age is None
            continue
        mine = by_person.get(person, [])
        before = [(w, v) for d, w, v in mine if day - YEAR <= d < day]
        after = [1 for d, _, _ in mine if day <= d < day + followed]
        rows.append({"unit": person, "treated": person in accepted,
                     "prior_harm": sum(w for w, _ in before),
                     "prior_violence": float(sum(v for _, v in before)),
                     "prior_offences": float(len(before)), "age": age,
                     "outcome": len(after) * 365 / followed.days})
    return pl.DataFrame(rows, schema={"unit": pl.Int64, "treated": pl.Boolean,
                                      "prior_harm": pl.Float64, "prior_violence": pl.Float64,
                                      "prior_offences": pl.Float64, "age": pl.Float64,
                                      "outcome": pl.Float64}), no_age


def fit_matched(programme: Programme, accepted: dict[int, date], controls: list[int],
                events: pl.DataFrame, today: date) -> tuple[MatchedSummary | None, str]:
    if not accepted or not controls:
        return None, ("There is no one to compare with: the programme's current analysis run "
                      "scored nobody the panel did not accept.") if accepted else (
            "Nobody has been accepted yet.")
    frame, no_age = _matched_frame(accepted, controls, events, today)
    # clustered by each person's group in the run, where the cohort spans two groups or more
    clusters = comparisons.clusters(programme, frame["unit"].to_list())
    clustered = len({clusters[p] for p in accepted if p in clusters}) >= 2
    frame = frame.with_columns(pl.col("unit").replace_strict(clusters, return_dtype=pl.String)
                               .alias("cluster"))
    try:
        with warnings_.catch_warnings():
            # a propensity model that separates the two perfectly means no overlap
            warnings_.simplefilter("error", PerfectSeparationWarning)
            warnings_.simplefilter("error", ConvergenceWarning)
            result = matched.propensity_match(
                frame, unit="unit", treated="treated", outcome="outcome",
                covariates=list(COVARIATES), cluster="cluster" if clustered else None)
    except (PerfectSeparationWarning, ConvergenceWarning):
        return None, ("The matched cohort could not be formed: the people accepted and those "
                      "not accepted do not overlap on harm, violence and age (the propensity "
                      "model separates them), so there is no fair comparison.")
    except (ValueError, ArithmeticError, np.linalg.LinAlgError) as error:
        return None, f"The matched cohort could not be formed: {error}"
    weights = result.weights.join(frame, on="unit")
    mine = weights.filter(pl.col("treated") & (pl.col("weight") > 0))
    theirs = weights.filter(~pl.col("treated") & (pl.col("weight") > 0))

    def weighted(rows: pl.DataFrame, column: str) -> float:
        total = float(rows["weight"].sum())
        return float((rows[column] * rows["weight"]).sum() / total) if total else 0.0

    return MatchedSummary(
        method=result.method, n_treated=result.n_treated,
        n_treated_matched=result.n_treated_matched, n_controls=result.n_controls,
        n_controls_matched=result.n_controls_matched, effect=result.effect,
        unadjusted=result.unadjusted, balance=result.balance,
        treated_before=weighted(mine, "prior_offences"), treated_after=weighted(mine, "outcome"),
        control_before=weighted(theirs, "prior_offences"),
        control_after=weighted(theirs, "outcome"), excluded_no_age=no_age), ""


# --- fidelity --------------------------------------------------------------------------------


def _interventions(programme: Programme, accepted: dict[int, date],
                   groups: dict[int, int | None]) -> list[dict]:
    wanted = [g for g in groups.values() if g]
    rows = list(Intervention.objects.filter(programme=programme, person_id__in=list(accepted))
                .values("pk", "person_id", "group_id", "kind", "status", "start",
                        "created_at"))
    rows += list(Intervention.objects.filter(programme=programme, group_id__in=wanted,
                                             person__isnull=True)
                 .values("pk", "person_id", "group_id", "kind", "status", "start",
                         "created_at"))
    history: dict[int, list[tuple[str, date]]] = defaultdict(list)
    for pk, status, on in InterventionUpdate.objects.filter(
            intervention_id__in=[r["pk"] for r in rows]).values_list(
            "intervention_id", "status", "on"):
        history[pk].append((status, on))
    for row in rows:
        row["statuses"] = {row["status"], *(s for s, _ in history[row["pk"]])}
        started = [on for s, on in history[row["pk"]] if s in APPLIED]
        row["responded"] = (min(started) if started else row["start"]
                            or timezone.localdate(row["created_at"]))
    return rows


def fidelity(programme: Programme, accepted: dict[int, date], groups: dict[int, int | None],
             events: pl.DataFrame) -> Fidelity:
    found = Fidelity(accepted=len(accepted))
    rows = _interventions(programme, accepted, groups)
    mine: dict[int, list[dict]] = defaultdict(list)
    for row in rows:
        if row["person_id"] is not None:
            mine[row["person_id"]].append(row)
        else:
            for person, group in groups.items():
                if group == row["group_id"]:
                    mine[person].append(row)
    plans = dict(CohortEntry.objects.filter(programme=programme, person_id__in=list(accepted))
                 .values_list("person_id", "enforcement_consequence"))
    for person in accepted:
        theirs = mine[person]
        support = [r for r in theirs if r["kind"] == Kind.SUPPORT and r["person_id"]]
        found.support_offered += bool(support)
        found.support_taken_up += any(r["statuses"] & TAKEN_UP for r in support)
        found.consequence_on_plan += bool((plans.get(person) or "").strip())
        found.consequence_announced += any(
            r["kind"] == Kind.COMMUNICATION and r["statuses"] & ANNOUNCED for r in theirs)
        found.consequence_applied += any(
            r["kind"] == Kind.ENFORCEMENT and r["statuses"] & APPLIED for r in theirs)
    _response_times(found, accepted, groups, events, mine)
    return found


def _response_times(found: Fidelity, accepted, groups, events, mine) -> None:
    violent = events.filter(pl.col("violent"))
    flags: dict[int, list[date]] = defaultdict(list)
    for event, at in GroupViolenceFlag.objects.filter(
            event_id__in=violent["event"].to_list(), group_id__in=[
                g for g in groups.values() if g], responded_at__isnull=False).values_list(
            "event_id", "responded_at"):
        flags[event].append(timezone.localdate(at))
    for person, event, day in violent.select("person", "event", "day").iter_rows():
        if person not in accepted or day < accepted[person]:
            continue
        found.violent_after += 1
        answers = [r["responded"] for r in mine[person]
                   if r["kind"] in RESPONSE_KINDS and r["responded"] >= day]
        answers += [d for d in flags[event] if d >= day]
        if answers:
            found.responded += 1
            found.days_to_response.append((min(answers) - day).days)


# --- warnings and the evidence base ----------------------------------------------------------


def _shared_people(programme: Programme, accepted: dict[int, date]) -> int:
    """Accepted people whom another programme's panel accepted too."""
    return (CohortEntry.objects.filter(person_id__in=list(accepted),
                                       decisions__to_status=CohortStatus.ACTIVE)
            .exclude(programme=programme).exclude(status=CohortStatus.REMOVED)
            .values("person_id").distinct().count())


def warnings(result: Evaluation) -> list[Warning]:
    found = []
    if result.accepted < MIN_PEOPLE:
        found.append(Warning(
            "few_people", f"Fewer than {MIN_PEOPLE} people",
            f"The cohort has {result.shown(result.accepted)} people accepted. With so few, "
            "one person's offending moves the estimate, and only a large effect can be told "
            "apart from chance."))
    if result.pre_months < MIN_PRE_MONTHS:
        found.append(Warning(
            "short_pre_period", f"A pre-period under {MIN_PRE_MONTHS} months",
            f"The data cover {result.pre_months} months before acceptance. A short "
            "pre-period cannot show the trend or the selection peak the estimate is measured "
            "against."))
    if result.placebo is not None and not (
            result.placebo.ci_low <= 1 <= result.placebo.ci_high):
        found.append(Warning(
            "placebo", "The placebo test found a change",
            f"A false acceptance half-way through the pre-period gives a rate ratio of "
            f"{result.placebo.estimate:.2f} ({result.placebo.ci_low:.2f} to "
            f"{result.placebo.ci_high:.2f}): offending was already changing before the "
            "programme (a rise is the selection peak), and part of the estimate may be that "
            "change, not the programme."))
    found.extend(_design_warnings(result))
    found.append(Warning(
        "regression_to_the_mean", "Regression to the mean",
        "People are selected for the cohort at a peak of harm, and offending after a peak "
        "tends to fall whatever is done. A fall after acceptance is not on its own evidence "
        "that the programme worked: compare it with the matched comparison group, selected "
        "from the same scores, whose offending fell too if this is at work."))
    if result.groups:
        found.append(Warning(
            "spillover", "Spillover to rival groups",
            "The programme works with groups. Their rivals' violence may fall too (fewer "
            "retaliations) or rise; people from rival groups are not a clean comparison."))
    found.append(Warning(
        "displacement", "Displacement",
        "These counts follow people, not places: offending may move to other people or "
        "areas, which the estimate would not see."))
    if result.shared_people:
        found.append(Warning(
            "other_programmes", "Other programmes share the cohort",
            f"{result.shown(result.shared_people)} of the people accepted are also in another "
            "programme's cohort: any change is the programmes' together."))
    fid = result.fidelity
    if fid.accepted and fid.support_taken_up * 2 < fid.accepted:
        found.append(Warning(
            "low_fidelity", "Less than half took up support",
            "A null result here may mean the programme was not delivered rather than that it "
            "was delivered and did not work: read the estimate beside the delivery figures."))
    return found


def _design_warnings(result: Evaluation) -> list[Warning]:
    found = []
    pre = result.did.pre_trend if result.did else None
    if pre is not None and abs(pre.att) > Z95 * pre.se:
        found.append(Warning(
            "parallel_trends", "The cohort and the comparison were not parallel before",
            f"Before acceptance the event study's effects average {pre.att:+.3f} offences a "
            "person a month, an interval that excludes 0: the people accepted were already "
            "on a different path from those not accepted (often the selection peak), and the "
            "difference-in-differences estimate carries that difference."))
    fit = result.synthetic.fit if result.synthetic else None
    if fit is not None:
        before = [t for p, t in zip(fit.periods, fit.treated_path, strict=True)
                  if p < fit.treatment_start]
        level = sum(before) / len(before) if before else 0.0
        if level and fit.pre_rmspe > POOR_FIT * level:
            found.append(Warning(
                "poor_fit", "The synthetic control does not fit the months before",
                f"Its error before the first acceptance ({fit.pre_rmspe:.3f} offences a member "
                f"a month) is more than {POOR_FIT:.0%} of the accepted groups' own offending "
                f"({level:.3f}): no blend of the other groups resembles them, so the gap after "
                "is not a reliable estimate."))
    return found


def default_model(programme: Programme) -> str:
    """The model the programme says it runs (``Programme.delivery_model``); without one, a
    programme that accepted groups is a group violence model, otherwise individuals."""
    if programme.delivery_model in MODELS:
        return programme.delivery_model
    accepted_groups = CohortGroup.objects.filter(
        programme=programme, decisions__to_status=CohortStatus.ACTIVE).exists()
    return "group" if accepted_groups else "individual"


def _evidence(result: Evaluation) -> None:
    result.evidence = evidence.figures("overall") + (
        evidence.figures(result.model) if result.model != "overall" else [])
    ratio, _, verified = power.evidence_rate_ratio(result.model, allow_unverified=True)
    result.evidence_ratio, result.evidence_verified = ratio, verified
    pre = [m for m in result.series if m.month < 0]
    if not pre or sum(m.offences for m in pre) == 0:
        result.mde_error = "No offences before acceptance: the baseline is zero."
        return
    baseline = sum(m.offences for m in pre) / len(pre)
    dispersion = max(1.0, result.its.dispersion) if result.its else 1.0
    try:
        result.mde = power.minimum_detectable_effect(
            baseline_per_month=baseline, months_before=len(pre),
            months_after=max(1, result.post_months), dispersion=dispersion)
    except ValueError as error:
        result.mde_error = str(error)


# --- the whole page --------------------------------------------------------------------------


def build(user, programme: Programme, *, design: str = "its", model: str | None = None,
          today: date | None = None, table: HarmTable | None = None) -> Evaluation:
    """The evaluation for a user the policy lets see it (else ``PermissionDenied``)."""
    if not policy.programmes.can(user, "see_evaluation", programme):
        raise PermissionDenied
    today = today or timezone.localdate()
    table = table or programme_report.harm_table(programme)
    accepted, groups = _cohort(programme)
    controls, proposed = _controls(programme, accepted)
    violence = offences.current_violence(programme)
    events = _with_violence(programme_report.offending_events(
        table, person_id__in=[*accepted, *controls]), violence)
    cohort_events = events.filter(pl.col("person").is_in(list(accepted)))
    victims = _victimisations([*accepted, *controls])
    data_start = _data_start(today)
    result = Evaluation(
        programme=programme, today=today, design=design if design in DESIGNS else "its",
        model=model if model in MODELS else default_model(programme),
        suppress_below=settings.DETER_SUPPRESS_BELOW, accepted=len(accepted),
        groups=len({g for g in groups.values() if g}),
        series=series(accepted, cohort_events, victims, data_start, today),
        months=programme_report.cohort_months(programme, today),
        group_trajectories=group_trajectories(accepted, groups, cohort_events, victims, today))
    if accepted and controls:  # regression to the mean: the same months for the comparison
        chosen = proposed or controls
        result.comparison_kind = "proposed" if proposed else "scored"
        result.comparison = series(dict.fromkeys(chosen, _reference_day(accepted)),
                                   events.filter(pl.col("person").is_in(chosen)), victims,
                                   data_start, today)
    result.its, result.its_error = fit_its(result.series)
    result.placebo, result.placebo_error = placebo(result.series)
    if result.design == "matched":
        result.matched, result.matched_error = fit_matched(programme, accepted, controls,
                                                           events, today)
    if result.design == "did":
        result.did, result.did_error = comparisons.fit_did(
            programme, accepted, proposed or controls, events, data_start, today)
    if result.design == "synthetic":
        result.synthetic, result.synthetic_error = comparisons.fit_synthetic(
            programme, accepted, table, data_start, today)
    result.fidelity = fidelity(programme, accepted, groups, cohort_events)
    result.shared_people = _shared_people(programme, accepted)
    result.warnings = warnings(result)
    _evidence(result)
    return result


# --- as tables and charts, for the page, the HTML and the PDF --------------------------------


def _p(value: float) -> str:
    if not math.isfinite(value):
        return "p not defined"
    return "p < 0.001" if value < 0.001 else f"p = {value:.3f}"


def _ratio(r) -> str:
    return f"{r.estimate:.2f} (95% CI {r.ci_low:.2f} to {r.ci_high:.2f}; {_p(r.p_value)})"


def _effect(e: matched.Effect) -> str:
    return (f"{e.estimate:+.2f} (95% CI {e.ci_low:+.2f} to {e.ci_high:+.2f}; "
            f"{_p(e.p_value)})")


def headline(result: Evaluation) -> list[str]:
    lines = [f"{result.programme.area}; {DESIGNS[result.design].lower()}; as of "
             f"{result.today:%B %Y}. People accepted: {result.shown(result.accepted)}."]
    return lines + [_HEADLINES[result.design](result)]


def _its_headline(result: Evaluation) -> str:
    if result.its is None:
        return f"No estimate: {result.its_error}"
    r = result.its.post_period
    return (f"Offending after acceptance against the pre-acceptance trend: rate ratio "
            f"{_ratio(r)}. {_reading(r.ci_low, r.ci_high)}")


def _matched_headline(result: Evaluation) -> str:
    if result.matched is None:
        return f"No estimate: {result.matched_error}"
    e = result.matched.effect
    return (f"Offences in the 12 months after acceptance, the cohort against matched people not "
            f"accepted: difference {_effect(e)} a person. {_reading(e.ci_low, e.ci_high, 0.0)}")


def _did_headline(result: Evaluation) -> str:
    if result.did is None:
        return f"No estimate: {result.did_error}"
    d = result.did
    low, high = d.simple.ci()
    line = (f"Offences a person a month after acceptance, against people scored but not "
            f"accepted over the same months: average effect on the treated {d.simple.att:+.3f} "
            f"(95% CI {low:+.3f} to {high:+.3f}). {_reading(low, high, null=0.0)}")
    if d.ratio is not None:
        line += f" As a rate ratio, about {d.ratio[0]:.2f} ({d.ratio[1]:.2f} to {d.ratio[2]:.2f})."
    return line


def _synthetic_headline(result: Evaluation) -> str:
    if result.synthetic is None:
        return f"No estimate: {result.synthetic_error}"
    s = result.synthetic
    ratio = f"{s.ratio:.2f}" if s.ratio is not None else "not defined"
    return (f"The accepted groups' offences a member after the first acceptance, against a "
            f"synthetic control built from {s.donors_considered} groups not accepted: rate ratio "
            f"{ratio}; placebo-in-space {_p(s.p_value)} (the smallest possible with "
            f"{s.donors_considered} donors is {1 / (1 + s.donors_considered):.3f}).")


_HEADLINES = {"its": _its_headline, "matched": _matched_headline, "did": _did_headline,
              "synthetic": _synthetic_headline}


def _reading(low: float, high: float, null: float = 1.0) -> str:
    if high < null:
        return "The interval is wholly below no change: a reduction."
    if low > null:
        return "The interval is wholly above no change: an increase."
    return "The interval includes no change."


@dataclass
class Table:
    key: str
    title: str
    headers: list[str]
    rows: list[list[str]]
    note: str = ""


def _num(value: float | None, places: int = 2) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:.{places}f}"


def tables(result: Evaluation) -> list[Table]:
    found = []
    if result.design == "its" and result.its is not None:
        r = result.its
        found.append(Table(
            "its", "Interrupted time series: the estimate and its diagnostics",
            ["Measure", "Value"],
            [["Post-period rate ratio (observed over counterfactual)", _ratio(r.post_period)],
             ["Level change at acceptance (rate ratio)", _ratio(r.level_change)],
             ["Change in the monthly trend (rate ratio)", _ratio(r.slope_change)],
             ["Pre-trend (monthly rate ratio before acceptance)", _ratio(r.pre_trend)],
             ["Dispersion (Pearson chi-squared / df; above 1 is overdispersed)",
              _num(r.dispersion)],
             ["Residual autocorrelation at lag 1", _num(r.residual_lag1_autocorrelation)],
             [f"Ljung-Box test of the residuals ({r.max_lags} lags), p", _num(
                 r.ljung_box_p_value, 3)],
             ["Placebo: a false acceptance half-way through the pre-period (rate ratio)",
              _ratio(result.placebo) if result.placebo else result.placebo_error],
             ["Months before and after", f"{r.n_pre} and {r.n_post}"]],
            "Segmented Poisson regression with quasi-Poisson errors. A pre-trend far from 1 "
            "means offending was already changing; so does a placebo interval that excludes 1. "
            "A small Ljung-Box p means the residuals are autocorrelated and the interval too "
            "narrow."))
    if result.design == "matched" and result.matched is not None:
        m = result.matched
        found.append(Table(
            "matched", "Matched cohort: the estimate", ["Measure", "Value"],
            [["Method", m.method],
             ["Accepted people, and matched", f"{result.shown(m.n_treated)}, "
              f"{result.shown(m.n_treated_matched)}"],
             ["People scored but not accepted, and matched", f"{result.shown(m.n_controls)}, "
              f"{result.shown(m.n_controls_matched)}"],
             ["Difference in offences in the 12 months after (matched)", _effect(m.effect)],
             ["Difference before matching (unadjusted)", _effect(m.unadjusted)],
             ["Offences a person, 12 months before and after: the cohort",
              f"{m.treated_before:.2f} and {m.treated_after:.2f}"],
             ["The same, the matched comparison (regression to the mean)",
              f"{m.control_before:.2f} and {m.control_after:.2f}"]],
            "If the comparison group's offending falls as far as the cohort's, the fall is "
            "regression to the mean, not the programme."
            + (f" {m.excluded_no_age} people without a recorded age were left out."
               if m.excluded_no_age else "")))
        found.append(Table(
            "balance", "Balance of the matched cohort",
            ["Covariate", "Cohort mean", "Comparison mean before", "Comparison mean after",
             "Standardised difference before", "Standardised difference after",
             "Variance ratio after"],
            [[COVARIATES.get(b.covariate, b.covariate), _num(b.treated_mean),
              _num(b.control_mean_before), _num(b.control_mean_after), _num(b.smd_before),
              _num(b.smd_after), _num(b.variance_ratio_after)] for b in m.balance],
            "A standardised difference under 0.1 after matching is conventionally balanced; "
            "a variance ratio between 0.5 and 2 likewise."))
    found.extend(_did_tables(result) + _synthetic_tables(result))
    found.append(_series_table(result))
    if result.group_trajectories:
        found.append(Table(
            "groups", "Cohort groups before and after acceptance",
            ["Group", "Members accepted", "Offences before", "Offences after", "Harm before",
             "Harm after", "Victimisations before", "Victimisations after"],
            [[g.label, result.shown(g.members), str(g.offences_before), str(g.offences_after),
              _num(g.harm_before, 1), _num(g.harm_after, 1), str(g.victimisations_before),
              str(g.victimisations_after)] for g in result.group_trajectories],
            "Each member's own acceptance, equal windows either side (up to a year); an event "
            "with several members counts once. Groups are numbered, not named."))
    fid = result.fidelity
    share = result.share
    found.append(Table(
        "fidelity", "Fidelity: delivery against the plan", ["Measure", "People", "Share"],
        [["Accepted", result.shown(fid.accepted), ""],
         ["Support offered", result.shown(fid.support_offered),
          share(fid.support_offered, fid.accepted)],
         ["Support taken up", result.shown(fid.support_taken_up),
          share(fid.support_taken_up, fid.accepted)],
         ["A consequence on the plan", result.shown(fid.consequence_on_plan),
          share(fid.consequence_on_plan, fid.accepted)],
         ["The consequence announced", result.shown(fid.consequence_announced),
          share(fid.consequence_announced, fid.accepted)],
         ["A consequence applied", result.shown(fid.consequence_applied),
          share(fid.consequence_applied, fid.accepted)],
         ["Violent offences after acceptance", str(fid.violent_after), ""],
         ["Of them, answered by a response", str(fid.responded),
          f"{fid.responded / fid.violent_after:.0%}" if fid.violent_after else "–"],
         ["Median days from violence to response",
          _num(fid.median_days, 1) if fid.median_days is not None else "–", ""]],
        "Support taken up: reached engaged or completed. Announced: a letter, notification, "
        "call-in or home visit completed. Applied: an enforcement intervention in force or "
        "completed. Response: the next enforcement or communication intervention, or the "
        "group violence flag answered."))
    found.append(Table(
        "cohort", "The cohort's size by month", ["Month", "Entered", "Active at the month's end"],
        [[f"{m.month:%b %Y}", result.shown(m.entered), result.shown(m.active)]
         for m in result.months]))
    found.append(Table(
        "evidence", "The evidence base", ["Model", "Measure", "Value", "Studies", "Verified",
                                          "Source"],
        [[MODELS[f.model], f.measure.replace("_", " "), f"{f.value:g}",
          str(f.studies or "–"), "yes" if f.verified else "no (recalled)", f.source]
         for f in result.evidence]))
    return found


def _att(e: did.AggregateEffect | did.GroupTimeATT) -> str:
    """An effect and its 95% interval from its standard error."""
    low, high = e.att - Z95 * e.se, e.att + Z95 * e.se
    return f"{e.att:+.3f} (95% CI {low:+.3f} to {high:+.3f})"


def _did_tables(result: Evaluation) -> list[Table]:
    if result.design != "did" or result.did is None:
        return []
    d = result.did
    rows = [["Average effect on the treated (offences a person a month)", _att(d.simple)],
            ["As a rate ratio (the cohort after, over the same less the effect)",
             "{:.2f} ({:.2f} to {:.2f})".format(*d.ratio) if d.ratio else "not defined"],
            ["Parallel trends: mean of the event-study effects before acceptance",
             _att(d.pre_trend) if d.pre_trend else "no month before acceptance to test"],
            ["Cohorts (calendar months of acceptance)", str(d.cohorts)],
            ["People accepted in the window, and the comparison",
             f"{result.shown(d.n_treated)}, {result.shown(d.n_control)}"],
            ["Months", f"{comparisons.month_label(d.first_month)} to "
                       f"{comparisons.month_label(d.last_month)}"]]
    if d.left_out:
        rows.append(["Accepted but left out (no whole month before, or none since)",
                     result.shown(d.left_out)])
    study = [[_month_label(c.time), _att(c)] for c in d.dynamic.components]
    return [
        Table("did", "Difference-in-differences: the estimate and its diagnostics",
              ["Measure", "Value"], rows,
              "Callaway and Sant'Anna (2021) group-time effects against people never treated, "
              "with analytical standard errors. A pre-period mean far from 0 means the cohort "
              "and the comparison were already on different paths: the estimate is then not "
              "to be trusted."),
        Table("event_study", "Difference-in-differences: the event study",
              ["Month relative to acceptance", "Effect (offences a person a month)"], study,
              "Before acceptance each month is compared with the month before it; from "
              "acceptance, with the month before acceptance."),
    ]


def _synthetic_tables(result: Evaluation) -> list[Table]:
    if result.design != "synthetic" or result.synthetic is None:
        return []
    s = result.synthetic
    fit = s.fit
    rows = [["Rate ratio after the first acceptance (accepted groups over their synthetic "
             "control)", _num(s.ratio)],
            ["Placebo-in-space p (rank of the post/pre RMSPE ratio among all groups)",
             _num(s.p_value, 3)],
            ["Pre-period fit: root mean squared error, offences a member a month",
             _num(fit.pre_rmspe, 3)],
            ["Post/pre RMSPE ratio", _num(fit.rmspe_ratio if fit.pre_rmspe else None)],
            ["Accepted groups pooled, and their members",
             f"{s.treated_groups}, {result.shown(s.treated_members)}"],
            ["Donor groups, and those with a weight of 1% or more",
             f"{s.donors_considered}, {s.donors_weighted}"],
            ["Largest donor weight", _num(max(fit.weights))],
            ["Months before and after",
             f"{s.months_before} and {len(fit.periods) - s.months_before}"]]
    if s.left_out:
        rows.append(["Accepted groups the current run did not find (left out)",
                     str(s.left_out)])
    return [
        Table("synthetic", "Synthetic control: the estimate and its diagnostics",
              ["Measure", "Value"], rows,
              "Groups are not named. A poor pre-period fit (an error large beside the "
              "offending itself) means the synthetic control does not resemble the accepted "
              "groups, and the estimate is not to be trusted."),
        Table("synthetic_path", "Synthetic control: offences a member a month",
              ["Month", "Accepted groups", "Synthetic control"],
              [[month, _num(t, 3), _num(c, 3)] for month, t, c in s.path()],
              f"The first acceptance was in {comparisons.month_label(s.start_month)}."),
    ]


def _month_label(month: int) -> str:
    return f"month {month + 1} after" if month >= 0 else f"month {-month} before"


def _per_person(count: float, people: int) -> str:
    return f"{count / people:.2f}" if people else "–"


def _series_table(result: Evaluation) -> Table:
    comparison = {m.month: m for m in result.comparison}
    headers = ["Month", "People observed", "Offences", "Harm", "Victimisations", "Model",
               "Counterfactual", "Offences a person"]
    if comparison:
        headers += ["Comparison: people observed", "Comparison: offences a person"]
    rows = []
    for m in result.series:
        row = [_month_label(m.month), result.shown(m.people), str(m.offences),
               _num(m.harm, 1), str(m.victimisations), _num(m.fitted, 1),
               _num(m.counterfactual, 1), _per_person(m.offences, m.people)]
        if comparison:
            other = comparison.get(m.month)
            row += ([result.shown(other.people), _per_person(other.offences, other.people)]
                    if other else ["–", "–"])
        rows.append(row)
    who = {"proposed": "people the current analysis run proposed (who met its selection "
                       "criteria) and the panel did not accept",
           "scored": "people the current analysis run scored and the panel did not accept"}
    note = ("Months of 30.44 days, aligned on each person's acceptance; a person counts in a "
            "month only if the data cover all of it. Harm: the harm table's weight, undecayed.")
    if comparison:
        note += (f" Comparison: {who[result.comparison_kind]}, aligned on the cohort's median "
                 "day of acceptance. If their offending falls as the cohort's does, the fall "
                 "is regression to the mean.")
    return Table("series", "Offending, harm and victimisation by month relative to acceptance",
                 headers, rows, note)


def comparison_lines(result: Evaluation) -> list[str]:
    lines = [f"The evidence base suggests a rate ratio of about {result.evidence_ratio:.2f} "
             f"for {MODELS[result.model].lower()}"
             + ("" if result.evidence_verified else
                " (scaled from unverified subgroup effect sizes: read it as a rough guide)")
             + "."]
    estimate = result.estimate
    if estimate is not None:
        ratio, low, high = estimate
        where = ("includes" if low <= result.evidence_ratio <= high else "excludes")
        lines.append(f"This programme's estimate is {ratio:.2f} ({low:.2f} to {high:.2f}), "
                     f"whose interval {where} the evidence base's figure.")
    if result.mde is not None:
        lines.append(f"With this cohort's baseline ({result.mde.baseline_per_month:.1f} "
                     f"offences a month) the series can detect, with 80% power, a reduction of "
                     f"{result.mde.percent_reduction:.0f}% or more (rate ratio "
                     f"{result.mde.rate_ratio:.2f}).")
    elif result.mde_error:
        lines.append(f"No minimum detectable effect: {result.mde_error}")
    return lines


METHODS = [
    "The cohort: everyone the panel accepted (their first decision to active), leaving out "
    "anyone removed after an upheld challenge. Offences are events at which a person is "
    "recorded as suspect or offender; victimisations, as victim.",
    "Interrupted time series: the cohort's offences in each month (30.44 days) before and "
    "after each person's own acceptance, aligned on it, fitted by segmented Poisson regression "
    "(Bernal, Cummins and Gasparrini 2017) with the number of people observed that month as "
    "the offset and quasi-Poisson standard errors. The post-period rate ratio compares the "
    "offences after with the pre-acceptance trend carried forward. No seasonal terms: the "
    "months are aligned on acceptance, not the calendar.",
    "Matched cohort: each accepted person against the most similar person the programme's "
    f"current analysis run scored but the panel never accepted (the {CONTROL_POOL:,} highest "
    "ranked), by nearest-neighbour matching "
    "on a logistic propensity score (caliper 0.2 standard deviations of its logit; Austin "
    "2011), on harm and violent offences in the 12 months before and age. A comparison "
    "person's reference day is the cohort's median day of acceptance. The outcome is offences "
    "in the 12 months after, scaled to a year where fewer have passed; the interval is "
    "cluster-robust two ways, by the accepted person's group in the current run and by their "
    "match's (Cameron, Gelbach and Miller 2011), or a paired t interval where the cohort is "
    "one group or none.",
    "Difference-in-differences: Callaway and Sant'Anna's (2021) group-time average effects "
    "with staggered adoption. Units are people; each accepted person's cohort is the "
    "calendar month of their acceptance; the comparison is the people the current run scored "
    "(or, where it proposed any, proposed) and the panel never accepted, never treated. "
    "Outcome: offences in each whole calendar month, up to 24 before the first acceptance. "
    "The headline is the simple aggregation, with analytical (influence-function) standard "
    "errors clustered by the person's group in the current run; the event study aggregates "
    "by month relative to acceptance, and the mean of its months before is the test of "
    "parallel trends. The rate ratio divides the cohort's offences after by the same less "
    "the effect.",
    "Synthetic control (Abadie, Diamond and Hainmueller 2010): the groups the panel accepted "
    "that the current run found, pooled, from the month the first was accepted, against a "
    f"weighted blend of up to {comparisons.DONOR_POOL} of the run's other groups (none with "
    "an accepted member; those nearest in offending before), weights chosen to match "
    "offences a member a month in the months before (the mean of each quarter of the "
    "pre-period as predictors). Inference by placebos in space: each donor refitted as if "
    "treated; the p-value is the accepted groups' rank by the ratio of post- to pre-period "
    "root mean squared error.",
    "Fidelity: support offered (recorded) and taken up (engaged or completed); consequences "
    "on the plan, announced (a letter, notification, call-in or home visit completed) and "
    "applied (enforcement in force or completed); and the days from each violent offence after "
    "acceptance to the next enforcement or communication intervention, or the answer to the "
    "group violence flag it raised.",
    "The evidence base: Braga, Weisburd and Turchan (2018) and the Youth Endowment Fund's "
    "toolkit; a figure marked unverified was recalled and could not be checked against the "
    "source. The minimum detectable effect assumes a Poisson before-and-after comparison "
    "(80% power, two-sided 5% level), inflated by the series' dispersion.",
    "Privacy: the report shows counts and estimates only, no names, keys or dates of birth; "
    f"counts under {settings.DETER_SUPPRESS_BELOW} people are shown as \"fewer than "
    f"{settings.DETER_SUPPRESS_BELOW}\".",
]


def charts(result: Evaluation, as_png: bool = False) -> dict[str, str | bytes]:
    from deter.analysis import charts as drawing

    drawn: dict[str, str | bytes] = {}
    if result.series:
        labels = [str(m.month + 1 if m.month >= 0 else m.month) for m in result.series]
        drawn["series"] = drawing.its_chart(
            labels, [m.offences / m.people for m in result.series],
            [m.fitted / m.people if m.fitted is not None else None for m in result.series],
            [m.counterfactual / m.people if m.counterfactual is not None else None
             for m in result.series], result.pre_months,
            comparison=_comparison_rates(result), as_png=as_png)
    counts = [n for m in result.months for n in (m.entered, m.active)]
    if counts and not any(0 < n < result.suppress_below for n in counts):  # nothing suppressed
        drawn["cohort"] = drawing.cohort_chart(
            [f"{m.month:%b %Y}" for m in result.months],
            {"active": [m.active for m in result.months],
             "entered": [m.entered for m in result.months]}, as_png=as_png)
    return drawn


def _comparison_rates(result: Evaluation) -> list[float | None] | None:
    if not result.comparison:
        return None
    rates = {m.month: m.offences / m.people for m in result.comparison}
    return [rates.get(m.month) for m in result.series]


ALTS = {"series": "Line chart of offences a person a month before and after acceptance, with "
                  "the model, the counterfactual and any comparison group; the table below "
                  "has the same numbers",
        "cohort": "Line and bar chart of the cohort's size by month; the table below has the "
                  "same numbers"}
CAPTIONS = {"series": "Offences a person a month, relative to acceptance",
            "cohort": "The cohort's size by month"}


def chart_images(result: Evaluation) -> list[dict[str, str]]:
    return [{"name": name, "alt": ALTS[name], "caption": CAPTIONS[name],
             "src": "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()}
            for name, svg in charts(result).items()]

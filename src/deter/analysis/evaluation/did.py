"""Difference-in-differences: Callaway and Sant'Anna (2021) group-time ATTs and their
aggregations, without covariates, with analytical (influence-function) standard errors.

Without covariates the doubly robust and inverse-probability-weighted estimators of R's
``did`` package both reduce to a difference of mean changes between the cohort first treated
in period g and the comparison units, and their influence functions to the one used here, so
this reproduces ``att_gt(..., bstrap = FALSE)`` and ``aggte`` (types simple, group, dynamic,
calendar) for a balanced panel with the default ``base_period = "varying"``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import polars as pl
from scipy import stats

ControlGroup = Literal["never_treated", "not_yet_treated"]
Aggregation = Literal["simple", "group", "dynamic", "calendar"]


@dataclass(frozen=True)
class GroupTimeATT:
    group: int
    time: int
    att: float
    se: float


@dataclass(frozen=True)
class StaggeredDiD:
    """Group-time ATTs and, per unit, their influence functions (units x ATTs)."""

    estimates: tuple[GroupTimeATT, ...]
    influence: np.ndarray
    unit_group: np.ndarray
    control_group: ControlGroup
    clusters: np.ndarray | None = None  # per unit, a cluster code; None: each unit its own

    @property
    def n_units(self) -> int:
        return int(self.unit_group.shape[0])

    def frame(self) -> pl.DataFrame:
        return pl.DataFrame(
            [(e.group, e.time, e.att, e.se) for e in self.estimates],
            schema=["group", "time", "att", "se"],
            orient="row",
        )


@dataclass(frozen=True)
class AggregateEffect:
    """One aggregation: the overall effect and, except for ``simple``, its components
    (per group, event time or calendar period)."""

    kind: Aggregation
    att: float
    se: float
    components: tuple[GroupTimeATT, ...]  # group holds the cohort, event time or period

    def ci(self, level: float = 0.95) -> tuple[float, float]:
        return _ci(self.att, self.se, level)


@dataclass(frozen=True)
class TwoByTwo:
    att: float
    se: float
    n_treated: int
    n_control: int

    def ci(self, level: float = 0.95) -> tuple[float, float]:
        return _ci(self.att, self.se, level)


def _ci(estimate: float, se: float, level: float) -> tuple[float, float]:
    z = stats.norm.ppf(0.5 + level / 2)
    return (estimate - z * se, estimate + z * se)


def _wide_panel(
    frame: pl.DataFrame, unit: str, time: str, outcome: str, group: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(periods, unit groups, outcome matrix units x periods) of a balanced panel."""
    for column in (unit, time, outcome, group):
        if column not in frame.columns:
            raise ValueError(f"panel has no column {column!r} (columns: {frame.columns})")
    if frame[outcome].null_count():
        raise ValueError(f"outcome {outcome!r} has {frame[outcome].null_count()} missing values")
    groups = frame.group_by(unit).agg(pl.col(group).n_unique().alias("n"))
    if groups["n"].max() > 1:
        bad = groups.filter(pl.col("n") > 1)[unit][0]
        raise ValueError(f"unit {bad!r} has more than one value of {group!r}")
    periods = np.sort(frame[time].unique().to_numpy())
    wide = frame.pivot(on=time, index=unit, values=outcome, aggregate_function=None).sort(unit)
    columns = [str(p) for p in periods]
    values = wide.select(columns).to_numpy().astype(float)
    if np.isnan(values).any():
        row = int(np.where(np.isnan(values).any(axis=1))[0][0])
        raise ValueError(f"panel is not balanced: unit {wide[unit][row]!r} misses a period")
    unit_group = (
        frame.select(unit, group).unique().sort(unit)[group].fill_null(0).to_numpy().astype(float)
    )
    return periods, unit_group, values


def _difference_of_changes(change: np.ndarray, treated: np.ndarray, control: np.ndarray):
    """ATT and per-unit influence function (scaled to all units) of a mean-change contrast."""
    n = change.shape[0]
    n1 = int(treated.sum() + control.sum())
    if treated.sum() == 0 or control.sum() == 0:
        raise ValueError("a group-time ATT has no treated or no comparison units")
    p_treated = treated.sum() / n1
    p_control = control.sum() / n1
    mean_treated = change[treated].mean()
    mean_control = change[control].mean()
    influence = np.zeros(n)
    influence[treated] = (change[treated] - mean_treated) / p_treated
    influence[control] = -(change[control] - mean_control) / p_control
    return mean_treated - mean_control, influence * n / n1


def _se(influence: np.ndarray, clusters: np.ndarray | None = None) -> float:
    """The influence function's standard error; with ``clusters`` (a code per unit), the
    cluster-robust one: the influence summed within each cluster, units in one cluster
    sharing its shocks (Liang and Zeger 1986). Singleton clusters give the plain one."""
    n = influence.shape[0]
    if clusters is not None:
        influence = np.bincount(clusters, weights=influence)
    return float(np.sqrt(np.sum(influence**2)) / n)


def group_time_att(
    frame: pl.DataFrame,
    *,
    unit: str,
    time: str,
    outcome: str,
    group: str,
    control_group: ControlGroup = "never_treated",
    anticipation: int = 0,
    cluster: str | None = None,
) -> StaggeredDiD:
    """ATT(g, t) for every cohort g (first period treated; 0 or null = never) and period t.

    Periods before g use the period before t as base ("varying"); from g onward the base is
    g - 1 - anticipation.  Units already treated in the first period are dropped, and cohorts
    first treated after the last period count as never treated, as in R's ``did``. With
    ``cluster`` (a column constant within a unit) the standard errors are cluster-robust.
    """
    if control_group not in ("never_treated", "not_yet_treated"):
        raise ValueError(
            f"control_group must be never_treated or not_yet_treated: {control_group!r}"
        )
    periods, unit_group, values = _wide_panel(frame, unit, time, outcome, group)
    unit_group = np.where(unit_group > periods.max(), 0, unit_group)
    keep = ~((unit_group > 0) & (unit_group <= periods[0] + anticipation))
    unit_group, values = unit_group[keep], values[keep]
    clusters = _cluster_codes(frame, unit, cluster)[keep] if cluster else None
    cohorts = np.sort(np.unique(unit_group[unit_group > 0]))
    if not (unit_group == 0).any() and control_group == "never_treated":
        raise ValueError("no never-treated units: use control_group='not_yet_treated'")
    index = {p: i for i, p in enumerate(periods)}
    estimates, columns = [], []
    for g in cohorts:
        for i in range(1, len(periods)):
            t = periods[i]
            base = periods[i - 1] if t < g - anticipation else g - 1 - anticipation
            if base not in index:
                continue
            change = values[:, i] - values[:, index[base]]
            treated = unit_group == g
            control = unit_group == 0
            if control_group == "not_yet_treated":
                control = control | ((unit_group > max(t, base) + anticipation) & ~treated)
            if not control.any():
                raise ValueError(
                    f"ATT({int(g)}, {int(t)}) has no comparison units ({control_group})"
                )
            att, influence = _difference_of_changes(change, treated, control)
            estimates.append(GroupTimeATT(int(g), int(t), float(att),
                                          _se(influence, clusters)))
            columns.append(influence)
    return StaggeredDiD(
        estimates=tuple(estimates),
        influence=np.column_stack(columns),
        unit_group=unit_group,
        control_group=control_group,
        clusters=clusters,
    )


def _cluster_codes(frame: pl.DataFrame, unit: str, cluster: str) -> np.ndarray:
    """Per unit (in the wide panel's order), its cluster as a code 0..k-1."""
    if cluster not in frame.columns:
        raise ValueError(f"panel has no column {cluster!r} (columns: {frame.columns})")
    per_unit = frame.select(unit, cluster).unique().sort(unit)
    if per_unit[unit].is_duplicated().any():
        bad = per_unit.filter(per_unit[unit].is_duplicated())[unit][0]
        raise ValueError(f"unit {bad!r} has more than one value of {cluster!r}")
    codes = per_unit[cluster].cast(pl.String).fill_null("").rank("dense").to_numpy()
    return codes.astype(np.int64) - 1


def _weight_influence(result: StaggeredDiD, keepers: list[int], pg: np.ndarray) -> np.ndarray:
    """Influence of estimating the cohort-share weights (R did's ``wif``)."""
    groups = np.array([e.group for e in result.estimates], dtype=float)
    indicator = np.column_stack(
        [(result.unit_group == groups[k]).astype(float) - pg[k] for k in keepers]
    )
    total = pg[keepers].sum()
    first = indicator / total
    second = indicator.sum(axis=1, keepdims=True) @ (pg[keepers] / total**2)[None, :]
    return first - second


def _combine(result, keepers, weights, pg=None, atts=None, influence=None):
    """Weighted ATT and influence function; with ``pg`` the weights were estimated."""
    influence = result.influence if influence is None else influence
    atts = np.array([e.att for e in result.estimates]) if atts is None else atts
    att = float(np.sum(atts[keepers] * weights))
    combined = influence[:, keepers] @ weights
    if pg is not None:
        combined = combined + _weight_influence(result, keepers, pg) @ atts[keepers]
    return att, combined


def aggregate(result: StaggeredDiD, kind: Aggregation) -> AggregateEffect:
    """R did's ``aggte`` with analytical standard errors (no bootstrap)."""
    est = result.estimates
    groups = np.array([e.group for e in est])
    times = np.array([e.time for e in est])
    atts = np.array([e.att for e in est])
    n = result.n_units
    share = {g: np.sum(result.unit_group == g) / n for g in np.unique(groups)}
    pg = np.array([share[g] for g in groups])
    post = [k for k in range(len(est)) if groups[k] <= times[k]]
    if kind == "simple":
        att, inf = _combine(result, post, pg[post] / pg[post].sum(), pg=pg)
        return AggregateEffect("simple", att, _se(inf, result.clusters), ())
    if kind == "group":
        return _aggregate_by_group(result, groups, times, atts, share)
    if kind == "dynamic":
        event_time = times - groups
        return _aggregate_by(
            result, "dynamic", event_time, np.full(len(est), True), pg, overall=lambda e: e >= 0
        )
    if kind == "calendar":
        return _aggregate_by(result, "calendar", times, groups <= times, pg, overall=lambda t: True)
    raise ValueError(f"aggregation must be simple, group, dynamic or calendar: {kind!r}")


def pre_period_average(result: StaggeredDiD) -> AggregateEffect:
    """The mean of the event-study ATTs before treatment (event times below 0): a placebo,
    near 0 when the treated and comparison units were on parallel paths before."""
    event_time = np.array([e.time - e.group for e in result.estimates])
    if not (event_time < 0).any():
        raise ValueError("no period before treatment to test for parallel trends")
    pg_of = {g: np.sum(result.unit_group == g) / result.n_units
             for g in {e.group for e in result.estimates}}
    pg = np.array([pg_of[e.group] for e in result.estimates])
    return _aggregate_by(result, "dynamic", event_time, np.full(len(event_time), True), pg,
                         overall=lambda e: e < 0)


def _aggregate_by(result, kind, key, include, pg, overall) -> AggregateEffect:
    """Cohort-share-weighted ATT per value of ``key`` (event time or period) over the
    included ATTs, and the overall mean of the components that ``overall`` keeps."""
    components, influences = [], []
    for value in np.unique(key[include]):
        keepers = [k for k in range(len(key)) if include[k] and key[k] == value]
        att, inf = _combine(result, keepers, pg[keepers] / pg[keepers].sum(), pg=pg)
        components.append(GroupTimeATT(int(value), int(value), att, _se(inf, result.clusters)))
        influences.append((value, att, inf))
    chosen = [(a, i) for v, a, i in influences if overall(v)]
    att = float(np.mean([a for a, _ in chosen]))
    inf = np.mean([i for _, i in chosen], axis=0)
    return AggregateEffect(kind, att, _se(inf, result.clusters), tuple(components))


def _aggregate_by_group(result, groups, times, atts, share) -> AggregateEffect:
    cohorts = np.unique(groups)
    components, cohort_atts, cohort_infs = [], [], []
    for g in cohorts:
        keepers = [k for k in range(len(groups)) if groups[k] == g and g <= times[k]]
        weights = np.full(len(keepers), 1 / len(keepers))
        att, inf = _combine(result, keepers, weights)
        components.append(GroupTimeATT(int(g), int(g), att, _se(inf, result.clusters)))
        cohort_atts.append(att)
        cohort_infs.append(inf)
    pg = np.array([share[g] for g in cohorts])
    cohort_result = StaggeredDiD(
        estimates=tuple(components),
        influence=np.column_stack(cohort_infs),
        unit_group=result.unit_group,
        control_group=result.control_group,
        clusters=result.clusters,
    )
    keepers = list(range(len(cohorts)))
    att, inf = _combine(cohort_result, keepers, pg / pg.sum(), pg=pg)
    return AggregateEffect("group", att, _se(inf, result.clusters), tuple(components))


def two_by_two(
    frame: pl.DataFrame, *, unit: str, time: str, outcome: str, treated: str, post: str
) -> TwoByTwo:
    """The plain two-period DiD on a panel: each unit's mean outcome after minus before,
    treated minus comparison units, with its influence-function standard error."""
    for column in (unit, time, outcome, treated, post):
        if column not in frame.columns:
            raise ValueError(f"panel has no column {column!r} (columns: {frame.columns})")
    per_unit = frame.group_by(unit).agg(
        pl.col(treated).max().cast(pl.Boolean).alias("treated"),
        pl.col(treated).n_unique().alias("n_treated_values"),
        pl.col(outcome).filter(pl.col(post).cast(pl.Boolean)).mean().alias("after"),
        pl.col(outcome).filter(~pl.col(post).cast(pl.Boolean)).mean().alias("before"),
    )
    if per_unit["n_treated_values"].max() > 1:
        raise ValueError(f"{treated!r} changes within a unit: it marks treated units")
    missing = per_unit.filter(pl.col("after").is_null() | pl.col("before").is_null())
    if missing.height:
        raise ValueError(f"unit {missing[unit][0]!r} has no period before or after")
    change = (per_unit["after"] - per_unit["before"]).to_numpy()
    is_treated = per_unit["treated"].to_numpy()
    att, influence = _difference_of_changes(change, is_treated, ~is_treated)
    return TwoByTwo(float(att), _se(influence), int(is_treated.sum()), int((~is_treated).sum()))

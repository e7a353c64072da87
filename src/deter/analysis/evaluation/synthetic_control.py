"""Synthetic control (Abadie and Gardeazabal 2003; Abadie, Diamond and Hainmueller 2010)
with placebo-in-space inference.

Donor weights W minimise (X1 - X0 W)' V (X1 - X0 W) over the simplex, predictors scaled by
their standard deviation across all units; the diagonal V minimises the pre-period outcome
MSPE of the resulting synthetic unit (nested optimisation: Nelder-Mead over V from equal
weights, as pysyncon and R's Synth do; the inner problem, a least squares over the simplex, is
solved exactly by non-negative least squares).  Placebos re-fit the model with each donor
as the treated unit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy.optimize import minimize, nnls


@dataclass(frozen=True)
class Predictor:
    """A predictor: the mean of ``column`` over ``periods`` for each unit."""

    column: str
    periods: tuple[int, ...]


@dataclass(frozen=True)
class SyntheticControl:
    treated: str
    donors: tuple[str, ...]
    weights: tuple[float, ...]
    v: tuple[float, ...]
    periods: tuple[int, ...]
    treated_path: tuple[float, ...]
    synthetic_path: tuple[float, ...]
    treatment_start: int
    pre_rmspe: float
    post_rmspe: float

    def weight_of(self, donor: str) -> float:
        return self.weights[self.donors.index(donor)]

    @property
    def gaps(self) -> tuple[float, ...]:
        return tuple(a - b for a, b in zip(self.treated_path, self.synthetic_path, strict=True))

    @property
    def rmspe_ratio(self) -> float:
        """Post- over pre-period RMSPE; a perfect pre-period fit gives infinity if anything
        differs after (it ranks first among the placebos), 0 if nothing does."""
        if self.pre_rmspe == 0:
            return float("inf") if self.post_rmspe > 0 else 0.0
        return self.post_rmspe / self.pre_rmspe


@dataclass(frozen=True)
class PlaceboTest:
    """Placebos in space: each donor as if treated; the p-value is the treated unit's rank
    of post/pre RMSPE ratio among all units (Abadie et al. 2010)."""

    fit: SyntheticControl
    placebos: tuple[SyntheticControl, ...]
    p_value: float


def _unit_means(frame, unit, time, column, periods) -> dict[str, float]:
    rows = (
        frame.filter(pl.col(time).is_in(list(periods)))
        .group_by(unit)
        .agg(pl.col(column).mean().alias("value"))
    )
    return dict(zip(rows[unit].to_list(), rows["value"].to_list(), strict=True))


def _matrices(frame, unit, time, outcome, units, predictors, optimise_periods):
    for column in (unit, time, outcome, *[p.column for p in predictors]):
        if column not in frame.columns:
            raise ValueError(f"panel has no column {column!r}")
    x = np.empty((len(predictors), len(units)))
    for row, predictor in enumerate(predictors):
        means = _unit_means(frame, unit, time, predictor.column, predictor.periods)
        for col, name in enumerate(units):
            value = means.get(name)
            if value is None or not np.isfinite(value):
                raise ValueError(
                    f"unit {name!r} has no {predictor.column!r} in {min(predictor.periods)}"
                    f"-{max(predictor.periods)}"
                )
            x[row, col] = value
    wide = (
        frame.filter(pl.col(unit).is_in(units))
        .pivot(on=unit, index=time, values=outcome, aggregate_function=None)
        .sort(time)
    )
    periods = wide[time].to_numpy()
    y = wide.select(units).to_numpy().astype(float)
    pre = np.isin(periods, list(optimise_periods))
    return x, y, periods, pre


_SUM_PENALTY = 1e4


def _simplex_least_squares(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """min ||a w - b|| over w >= 0, sum w = 1: non-negative least squares (Lawson-Hanson's
    exact active set) with the sum constraint as a heavily weighted extra row, then
    renormalised (the row leaves the sum off 1 by about 1e-8)."""
    n = a.shape[1]
    scale = _SUM_PENALTY * max(1.0, float(np.abs(a).max()))
    w, _ = nnls(np.vstack([a, np.full((1, n), scale)]), np.append(b, scale), maxiter=50 * n)
    return w / w.sum()


def _fit_weights(x1, x0, z1, z0, maxiter):
    def weights_for(raw):
        v = np.abs(raw) / np.sum(np.abs(raw))
        root = np.sqrt(v)[:, None]
        return _simplex_least_squares(x0 * root, x1 * root[:, 0]), v

    def loss(raw):
        w, _ = weights_for(raw)
        gap = z1 - z0 @ w
        return gap @ gap / len(z1)

    k = x0.shape[0]
    best = minimize(loss, np.full(k, 1 / k), method="Nelder-Mead", options={"maxiter": maxiter})
    return weights_for(best.x)


def synthetic_control(
    frame: pl.DataFrame,
    *,
    unit: str,
    time: str,
    outcome: str,
    treated: str,
    treatment_start: int,
    predictors: Sequence[Predictor],
    optimise_periods: Sequence[int],
    donors: Sequence[str] | None = None,
    maxiter: int = 1000,
) -> SyntheticControl:
    """Fit the synthetic control for ``treated`` (a value of ``unit``) against ``donors``
    (default: every other unit)."""
    all_units = frame[unit].unique().sort().to_list()
    if treated not in all_units:
        raise ValueError(f"treated unit {treated!r} is not in column {unit!r}")
    donors = [u for u in all_units if u != treated] if donors is None else list(donors)
    if treated in donors or len(donors) < 2:
        raise ValueError("donors must be at least two units other than the treated one")
    units = [treated, *donors]
    x, y, periods, pre = _matrices(frame, unit, time, outcome, units, predictors, optimise_periods)
    sd = x.std(axis=1, ddof=1)
    sd[sd == 0] = 1.0
    x = x / sd[:, None]
    w, v = _fit_weights(x[:, 0], x[:, 1:], y[pre, 0], y[pre, 1:], maxiter)
    synthetic = y[:, 1:] @ w
    before = periods < treatment_start
    gap = y[:, 0] - synthetic
    return SyntheticControl(
        treated=treated,
        donors=tuple(donors),
        weights=tuple(float(a) for a in w),
        v=tuple(float(a) for a in v),
        periods=tuple(int(p) for p in periods),
        treated_path=tuple(float(a) for a in y[:, 0]),
        synthetic_path=tuple(float(a) for a in synthetic),
        treatment_start=treatment_start,
        pre_rmspe=float(np.sqrt(np.mean(gap[before] ** 2))),
        post_rmspe=float(np.sqrt(np.mean(gap[~before] ** 2))),
    )


def placebo_in_space(fit: SyntheticControl, frame: pl.DataFrame, **spec) -> PlaceboTest:
    """Re-fit with each donor as the treated unit (the real treated unit left out of every
    donor pool); ``spec`` repeats the keyword arguments given to ``synthetic_control``."""
    placebos = []
    for donor in fit.donors:
        pool = [d for d in fit.donors if d != donor]
        placebos.append(
            synthetic_control(
                frame, treated=donor, donors=pool, treatment_start=fit.treatment_start, **spec
            )
        )
    ratios = np.array([p.rmspe_ratio for p in placebos])
    p_value = (1 + np.sum(ratios >= fit.rmspe_ratio)) / (1 + len(ratios))
    return PlaceboTest(fit=fit, placebos=tuple(placebos), p_value=float(p_value))


def confidence_set(test: PlaceboTest, *, level: float = 0.95,
                   grid: Sequence[float] | None = None) -> tuple[float, float] | None:
    """The rate ratios r not rejected at ``level`` when the treated unit's post-period path
    is divided by r (a constant multiplicative effect), by inverting the placebo test
    (Firpo and Possebom 2018, with equal weights on the units): for each r the treated gaps
    after change and the weights, the placebos and the pre-period fit do not, so no re-fit.
    Returns the smallest and largest ratio not rejected (None if every ratio is, which
    happens when the placebos are too few for ``level``: fewer than 1 / (1 - level) - 1)."""
    fit = test.fit
    grid = np.geomspace(0.05, 5.0, 800) if grid is None else np.asarray(grid, dtype=float)
    ratios = np.array([p.rmspe_ratio for p in test.placebos])
    periods = np.array(fit.periods)
    after = periods >= fit.treatment_start
    treated = np.array(fit.treated_path)
    synthetic = np.array(fit.synthetic_path)
    kept = []
    for r in grid:
        gap = treated[after] / r - synthetic[after]
        post = float(np.sqrt(np.mean(gap**2)))
        own = np.inf if fit.pre_rmspe == 0 and post > 0 else (
            post / fit.pre_rmspe if fit.pre_rmspe else 0.0)
        p_value = (1 + np.sum(ratios >= own)) / (1 + len(ratios))
        if p_value > 1 - level:
            kept.append(float(r))
    return (min(kept), max(kept)) if kept else None

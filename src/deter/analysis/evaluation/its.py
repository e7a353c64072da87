"""Interrupted time series: segmented Poisson regression of monthly counts (or harm).

log E[y_t] = log(population_t) + b0 + b1 t + b2 post_t + b3 (t - t0) post_t + Fourier terms,
fitted by statsmodels' GLM (Bernal, Cummins and Gasparrini 2017).  Standard errors are
quasi-Poisson by default (the Poisson variance times the Pearson dispersion), or Newey-West
(HAC) sandwich errors allowing autocorrelation up to ``max_lags`` months
(``errors="newey_west"``).  The dispersion and a Ljung-Box test of the Pearson residuals are
always reported, so a reader can see whether overdispersion or autocorrelation mattered.
Newey-West errors are anti-conservative on short series: in 300 simulated 96-month series
with independent overdispersed counts their 95% CI for the level change covered the truth 83%
of the time, against 96% for quasi-Poisson (docs/evaluation.md); use them when the residuals
are autocorrelated and the series is long.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import polars as pl
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.diagnostic import acorr_ljungbox


@dataclass(frozen=True)
class RateRatio:
    estimate: float
    ci_low: float
    ci_high: float
    p_value: float


@dataclass(frozen=True)
class InterruptedTimeSeries:
    level_change: RateRatio  # immediate step at the interruption
    slope_change: RateRatio  # multiplicative change in the monthly trend
    post_period: RateRatio  # observed over counterfactual, summed over the post period
    pre_trend: RateRatio  # monthly rate ratio before the interruption
    dispersion: float  # Pearson chi^2 / df; above 1 means overdispersed
    residual_lag1_autocorrelation: float
    ljung_box_p_value: float
    errors: str
    max_lags: int
    n_pre: int
    n_post: int
    fitted: tuple[float, ...]
    counterfactual: tuple[float, ...]


def _design(n: int, start: int, harmonics: int, period: int) -> tuple[np.ndarray, list[str]]:
    t = np.arange(n, dtype=float)
    post = (t >= start).astype(float)
    columns = [np.ones(n), t, post, (t - start) * post]
    names = ["const", "time", "level", "slope"]
    for k in range(1, harmonics + 1):
        columns += [np.sin(2 * np.pi * k * t / period), np.cos(2 * np.pi * k * t / period)]
        names += [f"sin{k}", f"cos{k}"]
    return np.column_stack(columns), names


def _ratio(beta: float, se: float, level: float) -> RateRatio:
    z = stats.norm.ppf(0.5 + level / 2)
    return RateRatio(
        estimate=float(np.exp(beta)),
        ci_low=float(np.exp(beta - z * se)),
        ci_high=float(np.exp(beta + z * se)),
        p_value=float(2 * stats.norm.sf(abs(beta / se))),
    )


def _validate(frame, count, population, interruption_index):
    if count not in frame.columns:
        raise ValueError(f"series has no column {count!r} (columns: {frame.columns})")
    y = frame[count].cast(pl.Float64).to_numpy()
    if np.isnan(y).any() or (y < 0).any():
        row = int(np.where(np.isnan(y) | (y < 0))[0][0])
        raise ValueError(f"{count!r} is missing or negative at row {row}")
    if population is not None:
        if population not in frame.columns:
            raise ValueError(f"series has no column {population!r}")
        if (frame[population] <= 0).any():
            raise ValueError(f"{population!r} must be positive in every row")
    if not 3 <= interruption_index <= len(y) - 3:
        raise ValueError(
            f"the interruption (row {interruption_index}) needs at least 3 months on each side"
        )
    return y


def interrupted_time_series(
    frame: pl.DataFrame,
    *,
    count: str,
    interruption_index: int,
    population: str | None = None,
    harmonics: int = 2,
    period: int = 12,
    max_lags: int | None = None,
    errors: Literal["quasi_poisson", "newey_west"] = "quasi_poisson",
    level: float = 0.95,
) -> InterruptedTimeSeries:
    """Fit the segmented model to a series in time order (one row a month).

    ``interruption_index`` is the first row after the programme began; ``max_lags`` (the
    Ljung-Box lags, and Newey-West's) defaults to the rule floor(4 (n/100)^(2/9)).
    """
    y = _validate(frame, count, population, interruption_index)
    n = len(y)
    x, names = _design(n, interruption_index, harmonics, period)
    offset = np.log(frame[population].to_numpy()) if population else np.zeros(n)
    lags = int(np.floor(4 * (n / 100) ** (2 / 9))) if max_lags is None else max_lags
    model = sm.GLM(y, x, family=sm.families.Poisson(), offset=offset)
    if errors == "quasi_poisson":
        fit = model.fit(scale="X2")
    elif errors == "newey_west":
        fit = model.fit(cov_type="HAC", cov_kwds={"maxlags": lags})
    else:
        raise ValueError(f"errors must be quasi_poisson or newey_west: {errors!r}")
    beta, cov = fit.params, fit.cov_params()
    se = np.sqrt(np.diag(cov))
    index = {name: i for i, name in enumerate(names)}
    fitted = fit.predict(x, offset=offset)
    x_cf = x.copy()
    x_cf[:, [index["level"], index["slope"]]] = 0.0
    counterfactual = np.exp(x_cf @ beta + offset)
    pearson = (y - fitted) / np.sqrt(fitted)
    return InterruptedTimeSeries(
        level_change=_ratio(beta[index["level"]], se[index["level"]], level),
        slope_change=_ratio(beta[index["slope"]], se[index["slope"]], level),
        post_period=_post_period_ratio(x, x_cf, beta, cov, offset, interruption_index, level),
        pre_trend=_ratio(beta[index["time"]], se[index["time"]], level),
        dispersion=float(np.sum(pearson**2) / (n - x.shape[1])),
        residual_lag1_autocorrelation=float(np.corrcoef(pearson[:-1], pearson[1:])[0, 1]),
        ljung_box_p_value=float(acorr_ljungbox(pearson, lags=[lags])["lb_pvalue"].iloc[0]),
        errors=errors,
        max_lags=lags,
        n_pre=interruption_index,
        n_post=n - interruption_index,
        fitted=tuple(float(v) for v in fitted),
        counterfactual=tuple(float(v) for v in counterfactual),
    )


def _post_period_ratio(x, x_cf, beta, cov, offset, start, level) -> RateRatio:
    """log(sum observed-model / sum counterfactual) over the post period, delta method."""
    post = slice(start, None)
    mu = np.exp(x[post] @ beta + offset[post])
    mu_cf = np.exp(x_cf[post] @ beta + offset[post])
    log_ratio = np.log(mu.sum()) - np.log(mu_cf.sum())
    gradient = (mu @ x[post]) / mu.sum() - (mu_cf @ x_cf[post]) / mu_cf.sum()
    return _ratio(float(log_ratio), float(np.sqrt(gradient @ cov @ gradient)), level)

"""Random-effects meta-analysis: DerSimonian-Laird and REML, as R's metafor ``rma`` defines
them (z-tests, no Knapp-Hartung correction).

DerSimonian-Laird comes from statsmodels' ``combine_effects``; statsmodels has no REML
(its ``iterated`` method is Paule-Mandel), so REML is metafor's Fisher scoring, written here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import polars as pl
from scipy import stats
from statsmodels.stats.meta_analysis import combine_effects

Method = Literal["DL", "REML"]


@dataclass(frozen=True)
class MetaAnalysis:
    method: Method
    k: int
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    tau2: float
    tau2_se: float | None  # REML only (from the Fisher information)
    q: float  # Cochran's Q on k - 1 degrees of freedom
    q_p_value: float
    i2: float  # per cent
    h2: float

    @property
    def z(self) -> float:
        return self.estimate / self.se


def _inputs(frame: pl.DataFrame, effect: str, variance: str) -> tuple[np.ndarray, np.ndarray]:
    for column in (effect, variance):
        if column not in frame.columns:
            raise ValueError(f"studies have no column {column!r} (columns: {frame.columns})")
    y = frame[effect].cast(pl.Float64).to_numpy()
    v = frame[variance].cast(pl.Float64).to_numpy()
    if len(y) < 2:
        raise ValueError("a meta-analysis needs at least two studies")
    bad = np.where(~np.isfinite(y) | ~np.isfinite(v) | (v <= 0))[0]
    if bad.size:
        raise ValueError(
            f"study row {int(bad[0])} has a missing effect or a variance that is not positive"
        )
    return y, v


def _cochran_q(y: np.ndarray, v: np.ndarray) -> float:
    w = 1 / v
    return float(np.sum(w * (y - np.sum(w * y) / np.sum(w)) ** 2))


def _typical_variance(v: np.ndarray) -> float:
    """metafor's 'typical' within-study variance s^2, used for I^2 and H^2."""
    w = 1 / v
    k = len(v)
    return float((k - 1) * np.sum(w) / (np.sum(w) ** 2 - np.sum(w**2)))


def _dl_tau2(y: np.ndarray, v: np.ndarray) -> float:
    """DerSimonian-Laird tau^2, truncated at zero (statsmodels 0.15 returns the negative
    moment estimate when Q < k - 1, as for identical study effects)."""
    return max(0.0, float(combine_effects(y, v, method_re="chi2").tau2))


def _reml_tau2(y: np.ndarray, v: np.ndarray, tol: float = 1e-10, max_iter: int = 200):
    """REML tau^2 by Fisher scoring from the DL start, and its SE (metafor's algorithm)."""
    k = len(y)
    tau2 = _dl_tau2(y, v)
    for _ in range(max_iter):
        p = _projection(v, tau2)
        py = p @ y
        step = (py @ py - np.trace(p)) / np.trace(p @ p)
        new = max(0.0, tau2 + step)
        if abs(new - tau2) < tol:
            tau2 = new
            break
        tau2 = new
    else:
        raise ArithmeticError(f"REML did not converge in {max_iter} iterations (k={k})")
    p = _projection(v, tau2)
    return tau2, float(np.sqrt(2 / np.trace(p @ p)))


def _projection(v: np.ndarray, tau2: float) -> np.ndarray:
    w = np.diag(1 / (v + tau2))
    x = np.ones((len(v), 1))
    return w - w @ x @ np.linalg.inv(x.T @ w @ x) @ x.T @ w


def random_effects(
    frame: pl.DataFrame,
    *,
    effect: str = "yi",
    variance: str = "vi",
    method: Method = "REML",
    level: float = 0.95,
) -> MetaAnalysis:
    """Pool study effects (e.g. log rate ratios) and their sampling variances."""
    if method not in ("DL", "REML"):
        raise ValueError(f"method must be DL or REML: {method!r}")
    y, v = _inputs(frame, effect, variance)
    k = len(y)
    if method == "DL":
        tau2, tau2_se = _dl_tau2(y, v), None
    else:
        tau2, tau2_se = _reml_tau2(y, v)
    w = 1 / (v + tau2)
    estimate = float(np.sum(w * y) / np.sum(w))
    se = float(np.sqrt(1 / np.sum(w)))
    z = stats.norm.ppf(0.5 + level / 2)
    q = _cochran_q(y, v)
    s2 = _typical_variance(v)
    return MetaAnalysis(
        method=method,
        k=k,
        estimate=estimate,
        se=se,
        ci_low=estimate - z * se,
        ci_high=estimate + z * se,
        tau2=tau2,
        tau2_se=tau2_se,
        q=q,
        q_p_value=float(stats.chi2.sf(q, k - 1)),
        i2=100 * tau2 / (tau2 + s2),
        h2=(tau2 + s2) / s2,
    )

"""Planning: the smallest rate ratio a before/after comparison can detect, and the harm a
programme could expect to prevent if it matched the evidence base.

The test compares the rate after with the rate before (Poisson counts, optionally
overdispersed by ``dispersion``, the quasi-Poisson variance multiplier):
log RR_hat has variance dispersion * (1 / (lambda n_pre) + 1 / (lambda RR n_post)), and the
two-sided level-alpha Wald test has power Phi(|log RR| / sd - z_{1-alpha/2}) (ignoring the
negligible opposite tail).  The minimum detectable effect solves power = target for RR < 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

from deter.analysis.evaluation import evidence


@dataclass(frozen=True)
class MinimumDetectableEffect:
    rate_ratio: float  # the smallest reduction detectable (a rate ratio below 1)
    percent_reduction: float
    baseline_per_month: float
    months_before: int
    months_after: int
    power: float
    alpha: float
    dispersion: float


@dataclass(frozen=True)
class ExpectedImpact:
    model: evidence.Model
    rate_ratio: float
    harm_prevented: float
    baseline_harm: float  # over the months after, had nothing changed
    sources: tuple[str, ...]
    verified: bool


def _sd_log_ratio(rr, baseline, before, after, dispersion):
    return np.sqrt(dispersion * (1 / (baseline * before) + 1 / (baseline * rr * after)))


def _check(baseline, before, after, dispersion):
    if baseline <= 0:
        raise ValueError(f"baseline monthly count must be positive: {baseline}")
    if before < 1 or after < 1:
        raise ValueError(f"months before and after must be at least 1: {before}, {after}")
    if dispersion < 1:
        raise ValueError(f"dispersion is a variance multiplier of at least 1: {dispersion}")


def power_for(
    rate_ratio: float,
    *,
    baseline_per_month: float,
    months_before: int,
    months_after: int,
    alpha: float = 0.05,
    dispersion: float = 1.0,
) -> float:
    """Power of the two-sided test to detect ``rate_ratio``."""
    _check(baseline_per_month, months_before, months_after, dispersion)
    if rate_ratio <= 0:
        raise ValueError(f"rate ratio must be positive: {rate_ratio}")
    sd = _sd_log_ratio(rate_ratio, baseline_per_month, months_before, months_after, dispersion)
    z = stats.norm.ppf(1 - alpha / 2)
    return float(stats.norm.cdf(abs(np.log(rate_ratio)) / sd - z))


def minimum_detectable_effect(
    *,
    baseline_per_month: float,
    months_before: int,
    months_after: int,
    power: float = 0.80,
    alpha: float = 0.05,
    dispersion: float = 1.0,
) -> MinimumDetectableEffect:
    """The rate ratio below 1 detected with probability ``power``."""
    _check(baseline_per_month, months_before, months_after, dispersion)
    args = {
        "baseline_per_month": baseline_per_month,
        "months_before": months_before,
        "months_after": months_after,
        "alpha": alpha,
        "dispersion": dispersion,
    }
    # power is not monotone in the ratio: a very large reduction leaves too few events after
    # to measure it, so search between the most detectable ratio and 1
    peak = optimize.minimize_scalar(
        lambda r: -power_for(r, **args),
        bounds=(1e-9, 1 - 1e-9),
        method="bounded",
        options={"xatol": 1e-12},
    ).x
    if power_for(peak, **args) < power:
        raise ValueError("no reduction is detectable at this power: too few events")
    rr = optimize.brentq(lambda r: power_for(r, **args) - power, peak, 1 - 1e-12, xtol=1e-14)
    return MinimumDetectableEffect(
        rate_ratio=float(rr),
        percent_reduction=float(100 * (1 - rr)),
        baseline_per_month=baseline_per_month,
        months_before=months_before,
        months_after=months_after,
        power=power,
        alpha=alpha,
        dispersion=dispersion,
    )


def evidence_rate_ratio(model: evidence.Model, *, allow_unverified: bool = False):
    """The rate ratio the evidence base suggests for a programme model, and its sources.

    Overall: YEF's average reduction of 33% (verified).  A model's ratio scales the overall
    log rate ratio by its standardised mean difference over the overall one (Braga et al.
    2018), assuming the subgroups differ in proportion on the log scale; those differences
    are unverified, so they are refused unless ``allow_unverified``.
    """
    overall = evidence.figure("overall", "percent_reduction")
    rr = 1 - overall.value / 100
    if model == "overall":
        return rr, (overall.source,), overall.verified
    d_model = evidence.figure(model, "cohens_d")
    d_overall = evidence.figure("overall", "cohens_d")
    verified = d_model.verified and d_overall.verified
    if not verified and not allow_unverified:
        raise ValueError(
            f"the evidence base's effect for {model!r} is not verified "
            "(see deter.analysis.evaluation.evidence); pass allow_unverified=True to use it"
        )
    return rr ** (d_model.value / d_overall.value), (overall.source, d_model.source), verified


def expected_impact(
    model: evidence.Model,
    *,
    baseline_harm_per_month: float,
    months_after: int,
    allow_unverified: bool = False,
) -> ExpectedImpact:
    """Harm prevented over ``months_after`` if the programme matched the evidence base."""
    if baseline_harm_per_month < 0 or months_after < 1:
        raise ValueError("baseline harm must be non-negative and months after at least 1")
    rr, sources, verified = evidence_rate_ratio(model, allow_unverified=allow_unverified)
    baseline = baseline_harm_per_month * months_after
    return ExpectedImpact(
        model=model,
        rate_ratio=float(rr),
        harm_prevented=float(baseline * (1 - rr)),
        baseline_harm=float(baseline),
        sources=sources,
        verified=verified,
    )

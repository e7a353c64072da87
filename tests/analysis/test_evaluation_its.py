"""Interrupted time series: exact recovery from a noiseless series, and recovery within the
CI (coverage and false-positive rate measured) from a known simulated process."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from deter.analysis.evaluation.its import interrupted_time_series

N_PRE, N_POST = 60, 36


def _mean(level=0.7, slope=0.0, n_pre=N_PRE, n_post=N_POST):
    t = np.arange(n_pre + n_post)
    population = np.linspace(200_000, 210_000, len(t))
    post = t >= n_pre
    log_mu = (
        np.log(population / 1e5 * 20)
        + 0.002 * t
        + np.log(level) * post
        + slope * (t - n_pre) * post
        + 0.2 * np.sin(2 * np.pi * t / 12)
        + 0.1 * np.cos(2 * np.pi * t / 12)
    )
    return np.exp(log_mu), population


def _simulate(seed, level=0.7, slope=0.0, shape=5.0):
    """Negative binomial counts (overdispersed: variance mu + mu^2 / shape)."""
    mu, population = _mean(level, slope)
    rng = np.random.default_rng(seed)
    counts = rng.negative_binomial(shape, shape / (shape + mu))
    return pl.DataFrame({"violence": counts, "population": population})


def _fit(frame, **kwargs):
    return interrupted_time_series(
        frame, count="violence", interruption_index=N_PRE, population="population", **kwargs
    )


@pytest.mark.filterwarnings("ignore::statsmodels.tools.sm_exceptions.PerfectSeparationWarning")
def test_a_noiseless_series_is_recovered_exactly():
    mu, population = _mean(level=0.7, slope=-0.01)
    result = _fit(pl.DataFrame({"violence": mu, "population": population}))
    assert result.level_change.estimate == pytest.approx(0.7, rel=1e-6)
    assert result.slope_change.estimate == pytest.approx(np.exp(-0.01), rel=1e-6)
    assert result.pre_trend.estimate == pytest.approx(np.exp(0.002), rel=1e-6)
    observed = mu[N_PRE:].sum()
    assert result.post_period.estimate == pytest.approx(
        observed / sum(result.counterfactual[N_PRE:]), rel=1e-9
    )
    assert result.fitted == pytest.approx(tuple(mu), rel=1e-6)


def test_a_fixed_seed_recovers_the_planted_effect_within_its_ci_and_sees_overdispersion():
    result = _fit(_simulate(seed=2026))
    assert result.level_change.ci_low <= 0.7 <= result.level_change.ci_high
    assert result.slope_change.ci_low <= 1.0 <= result.slope_change.ci_high
    assert result.dispersion > 2  # NB(5) at ~40 a month: variance about 9 times the mean
    assert (result.n_pre, result.n_post) == (N_PRE, N_POST)


def test_poisson_counts_show_no_overdispersion():
    mu, population = _mean()
    counts = np.random.default_rng(5).poisson(mu)
    result = _fit(pl.DataFrame({"violence": counts, "population": population}))
    assert 0.7 < result.dispersion < 1.4


def test_coverage_and_false_positive_rate_over_200_seeds():
    covered = sum(
        r.level_change.ci_low <= 0.7 <= r.level_change.ci_high
        for r in (_fit(_simulate(seed)) for seed in range(200))
    )
    rejected = sum(_fit(_simulate(seed, level=1.0)).level_change.p_value < 0.05
                   for seed in range(1000, 1200))  # fmt: skip
    # measured 97% coverage and 4.5% rejection (docs/evaluation.md)
    assert 0.90 <= covered / 200 <= 0.995
    assert rejected / 200 <= 0.09


def test_autocorrelated_residuals_are_reported():
    mu, population = _mean(level=1.0)
    rng = np.random.default_rng(11)
    noise = np.zeros(len(mu))
    for t in range(1, len(mu)):
        noise[t] = 0.8 * noise[t - 1] + rng.normal(0, 0.15)
    counts = rng.poisson(mu * np.exp(noise))
    frame = pl.DataFrame({"violence": counts, "population": population})
    quasi = _fit(frame)
    newey_west = _fit(frame, errors="newey_west")
    assert quasi.ljung_box_p_value < 0.01
    assert quasi.residual_lag1_autocorrelation > 0.3
    assert newey_west.errors == "newey_west"
    assert newey_west.level_change.estimate == pytest.approx(quasi.level_change.estimate)
    assert newey_west.level_change.ci_low != pytest.approx(quasi.level_change.ci_low)


def test_bad_input_is_refused_with_its_place():
    frame = pl.DataFrame({"violence": [3, 4, -1, 5, 6, 7, 8], "population": [1.0] * 7})
    with pytest.raises(ValueError, match="negative at row 2"):
        interrupted_time_series(frame, count="violence", interruption_index=3)
    with pytest.raises(ValueError, match="at least 3 months on each side"):
        interrupted_time_series(frame.with_columns(pl.lit(1).alias("violence")),
                                count="violence", interruption_index=6)  # fmt: skip
    with pytest.raises(ValueError, match="errors must be"):
        _fit(_simulate(seed=1), errors="bootstrap")

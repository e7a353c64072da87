"""Minimum detectable effect and expected impact: analytical known answers and a simulation
of the test the MDE plans for."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from deter.analysis.evaluation import evidence
from deter.analysis.evaluation.power import (
    expected_impact,
    minimum_detectable_effect,
    power_for,
)


def test_power_at_the_mde_is_the_target():
    mde = minimum_detectable_effect(baseline_per_month=10, months_before=12, months_after=12)
    args = {"baseline_per_month": 10, "months_before": 12, "months_after": 12}
    assert power_for(mde.rate_ratio, **args) == pytest.approx(0.80, abs=1e-9)
    assert 0 < mde.rate_ratio < 1
    assert mde.percent_reduction == pytest.approx(100 * (1 - mde.rate_ratio))


def test_mde_solves_the_normal_approximation_by_fixed_point():
    # |log r| = (z_0.975 + z_0.80) sqrt((1/(lambda n0) + 1/(lambda r n1)) dispersion)
    z = stats.norm.ppf(0.975) + stats.norm.ppf(0.80)
    r = 0.5
    for _ in range(200):
        r = np.exp(-z * np.sqrt(2.0 * (1 / (10 * 24) + 1 / (10 * r * 12))))
    mde = minimum_detectable_effect(
        baseline_per_month=10, months_before=24, months_after=12, dispersion=2.0
    )
    assert mde.rate_ratio == pytest.approx(r, rel=1e-9)


def test_the_mde_is_detected_80_percent_of_the_time_in_simulation():
    mde = minimum_detectable_effect(baseline_per_month=8, months_before=24, months_after=24)
    rng = np.random.default_rng(42)
    before = rng.poisson(8 * 24, 40_000)
    after = rng.poisson(8 * mde.rate_ratio * 24, 40_000)
    ok = (before > 0) & (after > 0)
    log_rr = np.log(after[ok] / before[ok])
    sd = np.sqrt(1 / before[ok] + 1 / after[ok])
    power = np.mean(np.abs(log_rr / sd) > stats.norm.ppf(0.975))
    assert power == pytest.approx(0.80, abs=0.02)


def test_more_data_detects_smaller_effects_and_overdispersion_larger_ones():
    small = minimum_detectable_effect(baseline_per_month=5, months_before=12, months_after=12)
    large = minimum_detectable_effect(baseline_per_month=50, months_before=36, months_after=24)
    noisy = minimum_detectable_effect(
        baseline_per_month=5, months_before=12, months_after=12, dispersion=3
    )
    assert small.rate_ratio < large.rate_ratio  # a ratio nearer 1 is a smaller effect
    assert noisy.rate_ratio < small.rate_ratio


def test_too_few_events_or_bad_input_is_refused():
    with pytest.raises(ValueError, match="baseline monthly count"):
        minimum_detectable_effect(baseline_per_month=0, months_before=12, months_after=12)
    with pytest.raises(ValueError, match="dispersion"):
        minimum_detectable_effect(
            baseline_per_month=5, months_before=12, months_after=12, dispersion=0.5
        )


def test_expected_impact_overall_is_the_yef_third():
    impact = expected_impact("overall", baseline_harm_per_month=10, months_after=12)
    assert impact.rate_ratio == pytest.approx(0.67)
    assert impact.harm_prevented == pytest.approx(120 * 0.33)
    assert impact.verified
    assert impact.sources == (evidence.YEF_TOOLKIT,)


def test_a_model_effect_resting_on_unverified_figures_needs_consent_and_says_so():
    with pytest.raises(ValueError, match="'group' is not verified"):
        expected_impact("group", baseline_harm_per_month=10, months_after=12)
    group = expected_impact(
        "group", baseline_harm_per_month=10, months_after=12, allow_unverified=True
    )
    individual = expected_impact(
        "individual", baseline_harm_per_month=10, months_after=12, allow_unverified=True
    )
    assert not group.verified
    assert group.rate_ratio == pytest.approx(0.67 ** (0.657 / 0.383))
    assert group.harm_prevented > individual.harm_prevented  # group programmes did best


def test_a_handful_of_events_cannot_reach_80_percent_power():
    with pytest.raises(ValueError, match="too few events"):
        minimum_detectable_effect(baseline_per_month=0.05, months_before=3, months_after=3)

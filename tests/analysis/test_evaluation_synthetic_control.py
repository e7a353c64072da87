"""Synthetic control against Abadie and Gardeazabal's Basque Country (shared SOURCE.md)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from deter.analysis.evaluation.synthetic_control import (
    Predictor,
    SyntheticControl,
    confidence_set,
    placebo_in_space,
    synthetic_control,
)
from shared_data import needs_shared, shared_path

BASQUE = shared_path("evaluation", "basque.csv")
TREATED = "Basque Country (Pais Vasco)"
SCHOOLING = ["school.illit", "school.prim", "school.med", "school.high", "school.post.high"]
SECTORS = [
    "sec.agriculture", "sec.energy", "sec.industry", "sec.construction",
    "sec.services.venta", "sec.services.nonventa",
]  # fmt: skip
SPEC = {
    "unit": "regionname",
    "time": "year",
    "outcome": "gdpcap",
    "predictors": [
        *[Predictor(c, tuple(range(1964, 1970))) for c in [*SCHOOLING, "invest"]],
        Predictor("gdpcap", tuple(range(1960, 1970))),
        *[Predictor(c, tuple(range(1961, 1970, 2))) for c in SECTORS],
        Predictor("popdens", (1969,)),
    ],
    "optimise_periods": range(1960, 1970),
}


def _basque() -> pl.DataFrame:
    return pl.read_csv(BASQUE).with_columns(pl.col("year").cast(pl.Int64))


@needs_shared(BASQUE)
def test_basque_donor_weights_match_the_paper_and_pysyncon():
    fit = synthetic_control(_basque(), treated=TREATED, treatment_start=1970, **SPEC)
    # pysyncon's own test asserts 0.850816306 and 0.149183694; SOURCE.md 0.850813 / 0.149187
    assert fit.weight_of("Cataluna") == pytest.approx(0.850816306, rel=1e-4)
    assert fit.weight_of("Madrid (Comunidad De)") == pytest.approx(0.149183694, rel=1e-4)
    others = [
        w
        for d, w in zip(fit.donors, fit.weights, strict=True)
        if d not in ("Cataluna", "Madrid (Comunidad De)")
    ]
    assert max(others) < 1e-6
    assert sum(fit.weights) == pytest.approx(1.0)
    # the paper's finding: after the mid-1970s GDP per head fell about 10% below synthetic
    gaps = dict(zip(fit.periods, fit.gaps, strict=True))
    assert all(gaps[year] < 0 for year in range(1977, 1998))
    assert np.mean([gaps[year] for year in range(1980, 1998)]) < -0.5


@needs_shared(BASQUE)
def test_placebo_in_space_refits_every_donor_and_ranks_the_treated_unit():
    data = _basque()
    fit = synthetic_control(data, treated=TREATED, treatment_start=1970, **SPEC)
    test = placebo_in_space(fit, data, **SPEC)
    assert len(test.placebos) == len(fit.donors) == 17
    assert all(TREATED not in p.donors for p in test.placebos)
    ratios = [p.rmspe_ratio for p in test.placebos]
    expected = (1 + sum(r >= fit.rmspe_ratio for r in ratios)) / 18
    assert test.p_value == pytest.approx(expected)
    assert 1 / 18 <= test.p_value <= 1


def test_a_unit_that_is_an_exact_mix_of_donors_is_recovered():
    rng = np.random.default_rng(7)
    years = list(range(2000, 2020))
    donors = {f"d{i}": rng.normal(10, 2, len(years)).cumsum() for i in range(5)}
    treated = 0.6 * donors["d1"] + 0.4 * donors["d3"]
    treated = np.where(np.array(years) >= 2015, treated - 5.0, treated)  # planted effect -5
    rows = [
        (u, y, float(v))
        for u, path in {**donors, "t": treated}.items()
        for y, v in zip(years, path, strict=True)
    ]
    frame = pl.DataFrame(rows, schema=["unit", "year", "y"], orient="row")
    spec = {
        "unit": "unit",
        "time": "year",
        "outcome": "y",
        "predictors": [Predictor("y", (y,)) for y in range(2000, 2015, 3)],
        "optimise_periods": range(2000, 2015),
    }
    fit = synthetic_control(frame, treated="t", treatment_start=2015, **spec)
    assert fit.weight_of("d1") == pytest.approx(0.6, abs=1e-3)
    assert fit.weight_of("d3") == pytest.approx(0.4, abs=1e-3)
    assert np.mean(fit.gaps[15:]) == pytest.approx(-5.0, abs=1e-2)
    # no placebo donor is fitted as well and then moves as much: the treated unit ranks first
    test = placebo_in_space(fit, frame, **spec)
    assert test.p_value == pytest.approx(1 / 6)
    assert all(p.rmspe_ratio < fit.rmspe_ratio for p in test.placebos)


def test_a_donor_missing_a_predictor_is_named():
    frame = pl.DataFrame({"u": ["a", "b", "c"], "t": [1, 1, 1], "y": [1.0, 2.0, None]})
    with pytest.raises(ValueError, match="unit 'c' has no 'y'"):
        synthetic_control(
            frame,
            unit="u",
            time="t",
            outcome="y",
            treated="a",
            treatment_start=2,
            predictors=[Predictor("y", (1,))],
            optimise_periods=[1],
        )


def test_a_perfect_pre_period_fit_ranks_by_what_follows_not_a_division_by_zero():
    # a placebo donor that some blend of the others reproduces exactly before: infinitely
    # many pre-period errors if anything differs after (it ranks first), none if nothing does
    def fit(post_rmspe: float) -> SyntheticControl:
        return SyntheticControl(treated="t", donors=("a", "b"), weights=(0.5, 0.5), v=(1.0,),
                                periods=(1, 2), treated_path=(1.0, 1.0),
                                synthetic_path=(1.0, 1.0 - post_rmspe), treatment_start=2,
                                pre_rmspe=0.0, post_rmspe=post_rmspe)

    assert fit(0.5).rmspe_ratio == float("inf")
    assert fit(0.0).rmspe_ratio == 0.0


def _halved_mix(donor_count: int, seed: int = 11):
    """A treated unit that is an exact mix of two donors before and half of it after, among
    ``donor_count`` noisy donors: the rate ratio is 0.5 by construction."""
    rng = np.random.default_rng(seed)
    years = list(range(2000, 2024))
    donors = {f"d{i:02}": 20 + rng.normal(0, 1.5, len(years)).cumsum()
              for i in range(donor_count)}
    treated = 0.5 * donors["d01"] + 0.5 * donors["d02"]
    treated = np.where(np.array(years) >= 2016, treated * 0.5, treated)
    frame = pl.DataFrame([(u, y, float(v)) for u, path in {**donors, "t": treated}.items()
                          for y, v in zip(years, path, strict=True)],
                         schema=["unit", "year", "y"], orient="row")
    spec = {"unit": "unit", "time": "year", "outcome": "y",
            "predictors": [Predictor("y", tuple(range(a, a + 4))) for a in range(2000, 2016, 4)],
            "optimise_periods": range(2000, 2016)}
    fit = synthetic_control(frame, treated="t", treatment_start=2016, **spec)
    return placebo_in_space(fit, frame, **spec)


def test_the_confidence_set_inverts_the_placebo_test_around_the_planted_ratio():
    low, high = confidence_set(_halved_mix(24))
    assert low <= 0.5 <= high
    assert high < 1  # the halving is detected: no ratio near 1 survives


def test_too_few_placebos_for_the_level_reject_nothing():
    # 5 placebos: the smallest p-value is 1/6, so no ratio is rejected at 95%
    test = _halved_mix(5)
    assert confidence_set(test, grid=[0.1, 0.5, 1.0, 4.0]) == (0.1, 4.0)
    assert confidence_set(test, level=0.8, grid=[0.1, 0.5, 1.0, 4.0]) == (0.5, 0.5)

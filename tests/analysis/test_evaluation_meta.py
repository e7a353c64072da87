"""Random-effects meta-analysis against metafor on the BCG trials (shared SOURCE.md), and the
evidence base's bookkeeping."""

from __future__ import annotations

import polars as pl
import pytest

from deter.analysis.evaluation import evidence
from deter.analysis.evaluation.meta import random_effects
from shared_data import needs_shared, shared_path

BCG = shared_path("evaluation", "dat_bcg_with_yi_vi.csv")
RTOL = 1e-4


def _bcg() -> pl.DataFrame:
    return pl.read_csv(BCG)


@needs_shared(BCG)
def test_dersimonian_laird_matches_metafor():
    result = random_effects(_bcg(), method="DL")
    assert result.q == pytest.approx(152.2330, rel=RTOL)
    assert result.tau2 == pytest.approx(0.308760, rel=RTOL)
    assert result.estimate == pytest.approx(-0.714117, rel=RTOL)
    assert result.se == pytest.approx(0.178742, rel=RTOL)
    assert result.ci_low == pytest.approx(-1.0644, rel=RTOL)
    assert result.ci_high == pytest.approx(-0.3638, rel=RTOL)
    assert result.i2 == pytest.approx(92.12, abs=0.005)  # printed to 2 dp


@needs_shared(BCG)
def test_reml_matches_metafor():
    result = random_effects(_bcg(), method="REML")
    assert result.tau2 == pytest.approx(0.313243, rel=RTOL)
    assert result.tau2_se == pytest.approx(0.166426, rel=RTOL)
    assert result.estimate == pytest.approx(-0.714532, rel=RTOL)
    assert result.se == pytest.approx(0.179782, rel=RTOL)
    assert result.ci_low == pytest.approx(-1.0669, rel=RTOL)
    assert result.ci_high == pytest.approx(-0.3622, rel=RTOL)
    assert result.i2 == pytest.approx(92.22, abs=0.005)
    assert result.h2 == pytest.approx(12.86, abs=0.005)


def test_homogeneous_studies_give_no_heterogeneity_and_the_fixed_effect_mean():
    studies = pl.DataFrame({"yi": [0.1, 0.1, 0.1], "vi": [0.01, 0.04, 0.02]})
    for method in ("DL", "REML"):
        result = random_effects(studies, method=method)
        assert result.tau2 == 0.0
        assert result.estimate == pytest.approx(0.1)
        assert result.se == pytest.approx((1 / (100 + 25 + 50)) ** 0.5)


def test_a_variance_that_is_not_positive_is_refused_naming_the_row():
    studies = pl.DataFrame({"yi": [0.1, 0.2], "vi": [0.01, 0.0]})
    with pytest.raises(ValueError, match="study row 1"):
        random_effects(studies)


def test_every_evidence_figure_names_its_source_and_unverified_ones_say_so():
    assert evidence.EVIDENCE
    for item in evidence.EVIDENCE:
        assert item.source
        assert item.verified or item.note.startswith("UNVERIFIED")
    assert all(f.verified for f in evidence.figures(verified_only=True))
    assert evidence.figure("overall", "percent_reduction").value == 33.0
    with pytest.raises(LookupError, match="percent_reduction"):
        evidence.figure("drug_market", "percent_reduction")

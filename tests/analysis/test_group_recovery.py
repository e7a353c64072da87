"""On the synthetic county the analysis finds what was planted: the groups and the power few."""

import polars as pl
import pytest

from deter.analysis import synth
from deter.analysis.groups import adjusted_rand_index
from deter.analysis.pipeline import AnalysisResult, analyse

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def county():
    return synth.synthesise(1, "county")


@pytest.fixture(scope="module")
def result(county) -> AnalysisResult:
    return analyse(county.extract)


def test_planted_groups_are_recovered(county, result):
    found = result.people.select("person_id", "group_id")
    truth = county.truth_memberships
    assert adjusted_rand_index(found, truth) >= 0.8
    placed = truth.join(found, on="person_id", how="left", suffix="_found")
    assert placed["group_id_found"].null_count() <= 0.05 * truth.height


def test_top_ranked_people_are_group_members_or_the_power_few(county, result):
    truth = county.truth_people
    offenders = truth.filter(pl.col("propensity") > 0)
    power_few = offenders["propensity"].quantile(0.9)
    top = result.people.head(100).join(truth, on="person_id", how="left")
    planted = top["is_group_member"].fill_null(False) | (top["propensity"] >= power_few)
    assert planted.mean() >= 0.8
    # chance alone would give the share of such people among those with any offence
    scored = result.people.filter(pl.col("offence_count") > 0).join(truth, on="person_id")
    base = (scored["is_group_member"] | (scored["propensity"] >= power_few)).mean()
    assert planted.mean() > 2 * base


def test_harm_follows_planted_offending(county, result):
    joined = result.people.join(county.truth_people, on="person_id")
    offenders = joined.filter(pl.col("propensity") > 0)
    rho = offenders.select(pl.corr("harm_score", "propensity", method="spearman")).item()
    assert rho >= 0.4
    by_member = dict(
        joined.group_by("is_group_member").agg(pl.col("harm_score").mean()).iter_rows()
    )
    assert by_member[True] > 5 * by_member[False]
    # the power few: the top 5% of offenders carry a large share of all harm
    harm = offenders["harm_score"].sort(descending=True)
    assert harm.head(len(harm) // 20).sum() >= 0.4 * harm.sum()


def test_group_members_are_victims_too(county, result):
    # rival attacks and retaliation make members victims as well as offenders, more often than
    # other offenders
    joined = result.people.filter(pl.col("offence_count") > 0).join(
        county.truth_people, on="person_id"
    )
    rates = dict(
        joined.group_by("is_group_member")
        .agg((pl.col("victimisation_count") > 0).mean())
        .iter_rows()
    )
    assert rates[True] > rates[False]

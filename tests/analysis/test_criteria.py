"""Selection criteria and the victim-offender overlap, by hand and on the synthetic county."""

import json
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from deter.analysis.config import AnalysisConfig, SelectionCriteria
from deter.analysis.criteria import victim_offender_summary
from deter.analysis.extract import Extract
from deter.analysis.pipeline import AnalysisResult, analyse
from deter.analysis.synth import synthesise

AS_OF = datetime(2025, 6, 30, 12, 0, tzinfo=UTC)
BOTH = "violent offence in 24 months,harm >= 365 days"


def cast() -> Extract:
    """robber: a robbery today (365 days of harm, violent).
    shoplifter: one shoplifting today (1 day, not violent).
    burglar: two residential burglaries today (547 days, not violent) and an assault 1,000 days
      ago (violent, but outside 24 months and the three-year harm window).
    brawler: an assault without injury 100 days ago (violent, 10 x 0.83 days).
    victim: the victim of the robbery and the assault.
    retaliator: the victim of the robbery who, a week later, robs the robber (victim-offender).
    """
    events = [
        ("rob", 0, "34B"), ("shop", 0, "46"), ("bur1", 0, "28E"), ("bur2", 0, "28E"),
        ("old", 1000, "8N"), ("push", 100, "105A"), ("back", 7, "34B"),
    ]
    involvements = [
        ("rob", "robber", "offender"), ("rob", "victim", "victim"),
        ("rob", "retaliator", "victim"), ("shop", "shoplifter", "suspect"),
        ("bur1", "burglar", "offender"), ("bur2", "burglar", "offender"),
        ("old", "burglar", "offender"), ("push", "brawler", "offender"),
        ("push", "victim", "victim"), ("back", "retaliator", "offender"),
        ("back", "robber", "victim"),
    ]
    people = sorted({i[1] for i in involvements} | {"bystander"})
    return Extract.from_frames(
        people=pl.DataFrame({"person_id": people}),
        events=pl.DataFrame(
            {
                "event_id": [e[0] for e in events],
                "occurred_at": [AS_OF - timedelta(days=e[1]) for e in events],
                "offence_code": [e[2] for e in events],
            }
        ),
        involvements=pl.DataFrame(
            involvements, schema=["event_id", "person_id", "role"], orient="row"
        ),
    )


def run(**criteria) -> dict[str, dict]:
    config = AnalysisConfig(as_of=AS_OF, criteria=SelectionCriteria(**criteria))
    result = analyse(cast(), config)
    return {row["person_id"]: row for row in result.people.to_dicts()}


def test_default_criteria_need_violence_and_harm():
    people = run()
    met = {who: row["criteria_met"] for who, row in people.items()}
    assert met == {
        "robber": BOTH,
        "retaliator": "violent offence in 24 months",  # 365 x 0.5^(7/365) < 365 days
        "brawler": "violent offence in 24 months",
        "burglar": "harm >= 365 days",
        "shoplifter": "", "victim": "", "bystander": "",
    }
    assert {who for who, row in people.items() if row["proposed"]} == {"robber"}
    assert people["burglar"]["violent_offences"] == 0  # the assault is older than 24 months
    assert people["robber"]["violent_offences"] == 1


def test_any_rule_proposes_whoever_meets_one_and_never_whoever_meets_none():
    people = run(combine="any")
    proposed = {who for who, row in people.items() if row["proposed"]}
    assert proposed == {"robber", "retaliator", "brawler", "burglar"}
    for row in people.values():
        assert row["proposed"] == (row["criteria_met"] != "")


def test_each_criterion_can_be_changed_or_switched_off():
    people = run(violent_within_days=1095, min_harm_score=None)
    assert people["burglar"]["criteria_met"] == "violent offence in 36 months"
    assert people["burglar"]["proposed"]
    people = run(min_violent_offences=2, min_harm_score=None)
    assert not any(row["proposed"] for row in people.values())
    assert people["robber"]["criteria_met"] == ""
    # RFGV: robber R 5 + F 1 + G 4 + V 2 = 12; retaliator R 5 + F 1 + G 4 + V 1 = 11
    people = run(violent_within_days=None, min_harm_score=None, min_rfgv_score=12)
    assert {who for who, row in people.items() if row["proposed"]} == {"robber"}
    assert people["robber"]["criteria_met"] == "RFGV >= 12"
    assert (people["robber"]["rfgv_score"], people["retaliator"]["rfgv_score"]) == (12, 11)
    people = run(min_harm_score=5.5, combine="all")
    assert people["brawler"]["criteria_met"] == "violent offence in 24 months,harm >= 5.5 days"


def test_victim_offender_overlap():
    people = run()
    flagged = {who for who, row in people.items() if row["victim_offender"]}
    assert flagged == {"retaliator", "robber"}
    summary = victim_offender_summary(pl.DataFrame(list(people.values())))
    # offenders: robber, shoplifter, burglar, brawler, retaliator; victims: robber, victim,
    # retaliator (the burglar's 1,000-day-old assault is outside the window but he has others)
    assert summary == {
        "people": 2, "offenders": 5, "victims": 3,
        "share_of_victims_who_offend": pytest.approx(2 / 3, abs=1e-6),
        "share_of_offenders_who_are_victims": pytest.approx(2 / 5, abs=1e-6),
    }
    # victim harm never becomes offender harm
    assert people["victim"]["harm_score"] == 0 and people["victim"]["victim_harm_score"] > 0


def test_criteria_round_trip_and_validation():
    criteria = SelectionCriteria(violent_within_days=365, min_harm_score=None,
                                 min_rfgv_score=10.0, combine="any")
    assert SelectionCriteria.from_dict(json.loads(json.dumps(criteria.as_dict()))) == criteria
    assert criteria.names("days") == ["violent offence in 12 months", "RFGV >= 10"]
    assert criteria.describe("days") == (
        "Proposed when meeting at least one of: violent offence in 12 months; RFGV >= 10."
    )
    for bad, field in (
        ({"combine": "most"}, "criteria.combine"),
        ({"violent_within_days": 0}, "criteria.violent_within_days"),
        ({"min_violent_offences": 0}, "criteria.min_violent_offences"),
        ({"min_harm_score": -1.0}, "criteria.min_harm_score"),
        ({"min_rfgv_score": "high"}, "criteria.min_rfgv_score"),
        ({"violent_within_days": None, "min_harm_score": None}, "at least one"),
    ):
        with pytest.raises(ValueError, match=field):
            SelectionCriteria(**bad)
    with pytest.raises(ValueError, match="unknown"):
        SelectionCriteria.from_dict({"min_harm": 3})


@pytest.fixture(scope="module")
def county() -> tuple[AnalysisResult, pl.DataFrame, Extract]:
    synthetic = synthesise(1, "small")
    return analyse(synthetic.extract), synthetic.truth_people, synthetic.extract


def test_county_proposals_meet_the_rule(county):
    result, _, extract_ = county
    people = result.people
    proposed = people.filter(pl.col("proposed"))
    assert proposed.height > 20
    # under "all", every proposed person met every criterion and says so
    assert set(proposed["criteria_met"]) == {BOTH}
    assert people.filter(pl.col("criteria_met") == "")["proposed"].sum() == 0
    assert (proposed["violent_offences"] >= 1).all() and (proposed["harm_score"] >= 365).all()
    # people whose only offences are shoplifting are never proposed
    offences = extract_.involvements.filter(pl.col("role").is_in(["suspect", "offender"])).join(
        extract_.events.select("event_id", "offence_code"), on="event_id"
    )
    only_shoplifting = offences.group_by("person_id").agg(
        (pl.col("offence_code") == "46").all().alias("only")
    ).filter(pl.col("only"))
    assert only_shoplifting.height > 10
    assert not people.join(only_shoplifting, on="person_id")["proposed"].any()
    summary = result.summary["criteria"]
    assert summary["proposed"] == proposed.height
    assert summary["people_meeting"]["harm >= 365 days"] == int(
        (people["harm_score"] >= 365).sum()
    )


def test_county_proposals_find_the_planted_prolific_offenders(county):
    """The county plants each offender's yearly offending rate and street-group membership; the
    proposed cohort should be the prolific, group-involved few, not a random slice."""
    result, truth, _ = county
    offenders = result.people.filter(pl.col("offence_count") > 0).join(truth, on="person_id")
    by_proposed = {
        row["proposed"]: row
        for row in offenders.group_by("proposed")
        .agg(pl.col("propensity").median(), pl.col("is_group_member").mean())
        .to_dicts()
    }
    assert by_proposed[True]["propensity"] > 5 * by_proposed[False]["propensity"]
    assert by_proposed[True]["is_group_member"] > 4 * by_proposed[False]["is_group_member"]


def test_county_victim_offender_overlap_follows_the_planted_retaliation(county):
    """Rival street groups attack each other and retaliate, so group members are both victims and
    offenders far more often than other offenders, whose victims rarely offend."""
    result, truth, _ = county
    offenders = result.people.filter(pl.col("offence_count") > 0).join(truth, on="person_id")
    share = dict(
        offenders.group_by("is_group_member").agg(pl.col("victim_offender").mean()).iter_rows()
    )
    assert share[True] > 2 * share[False]
    overlap = result.summary["victim_offender"]
    assert overlap["people"] == int(result.people["victim_offender"].sum())
    assert 0 < overlap["share_of_victims_who_offend"] < overlap[
        "share_of_offenders_who_are_victims"
    ]

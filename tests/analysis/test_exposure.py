"""Network exposure to violence: the formula by hand, and the county's rival groups."""

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from deter.analysis.config import AnalysisConfig
from deter.analysis.exposure import EXPOSURE_COLUMNS, exposure_summary, network_exposure
from deter.analysis.extract import Extract
from deter.analysis.network import build_network
from deter.analysis.synth import synthesise

AS_OF = datetime(2025, 1, 1, tzinfo=UTC)
CONFIG = AnalysisConfig(as_of=AS_OF)


def constructed() -> Extract:
    """Network (drug-supply co-offending, not violence): a-b, b-c, c-d, b-e and a square
    p-q, p-r, q-t, r-t.  Violence: c attacked x (recent); d was assaulted 500 days ago with no
    suspect; e shoplifted (not violence); t was a victim (recent)."""
    events = [
        ("ab", 30, "92A"), ("bc", 30, "92A"), ("cd", 30, "92A"), ("be", 30, "92A"),
        ("pq", 30, "92A"), ("pr", 30, "92A"), ("qt", 30, "92A"), ("rt", 30, "92A"),
        ("attack", 10, "8N"), ("old", 500, "8N"), ("shop", 5, "46"), ("hurt", 20, "8N"),
    ]
    involvements = [
        (pair, person, "suspect")
        for pair, _, code in events if code == "92A" for person in pair
    ] + [
        ("attack", "c", "suspect"), ("attack", "x", "victim"), ("old", "d", "victim"),
        ("shop", "e", "suspect"), ("hurt", "t", "victim"),
    ]
    return Extract.from_frames(
        events=pl.DataFrame(
            [(e, AS_OF - timedelta(days=d), code) for e, d, code in events],
            schema={"event_id": pl.String, "occurred_at": pl.Datetime("us", "UTC"),
                    "offence_code": pl.String},
            orient="row",
        ),
        involvements=pl.DataFrame(involvements, schema=["event_id", "person_id", "role"],
                                  orient="row"),
    )


def by_person(frame: pl.DataFrame, column: str) -> dict[str, object]:
    return dict(frame.select("person_id", column).iter_rows())


def test_exposure_follows_the_formula_by_hand():
    ex = constructed()
    graph = build_network(ex, CONFIG)
    exposure = network_exposure(graph, ex, CONFIG)
    assert exposure.columns == list(EXPOSURE_COLUMNS)
    assert exposure["person_id"].to_list() == graph.vs["name"]
    # violence people in the last 365 days: c (suspect), x and t (victims); d's assault is
    # older and e's shoplifting is not violence
    assert {p for p, v in by_person(exposure, "violence_victim").items() if v} == {"x", "t"}
    assert {p for p, v in by_person(exposure, "violence_suspect").items() if v} == {"c"}
    # score = exposed_1 + 0.5 * exposed_2; the victim-suspect link c-x counts for one step
    # only, and nobody is exposed to themselves (c -> b -> c)
    assert by_person(exposure, "exposure_score") == {
        "a": 0.5,  # c two steps away
        "b": 1.0,  # c next to it; x only through the c-x link, which does not carry on
        "c": 1.0,  # x, its victim
        "d": 1.0,  # c
        "e": 0.5,  # c two steps away
        "x": 1.0,  # c, who attacked them
        "p": 0.5,  # t, reached two ways but one person
        "q": 1.0, "r": 1.0,  # t
        "t": 0.0,  # their own victimisation is victim harm, not exposure
    }
    assert by_person(exposure, "suspects_1")["b"] == 1
    assert by_person(exposure, "victims_1")["b"] == 0
    assert by_person(exposure, "exposed_2")["p"] == 1
    assert by_person(exposure, "steps_to_victim") == {
        "a": None, "b": None, "c": 1, "d": None, "e": None, "x": None,
        "p": 2, "q": 1, "r": 1, "t": None,
    }
    assert not exposure["at_risk"].any()  # nobody reaches the default threshold of 3
    low = network_exposure(graph, ex, CONFIG, at_risk_min_score=1.0)
    assert {p for p, v in by_person(low, "at_risk").items() if v} == {"b", "c", "d", "x", "q",
                                                                        "r"}


def test_exposure_settings_change_the_score_as_documented():
    ex = constructed()
    graph = build_network(ex, CONFIG)
    without_links = by_person(
        network_exposure(graph, ex, CONFIG, victim_suspect=False), "exposure_score"
    )
    assert without_links["x"] == 0.0 and without_links["c"] == 0.0 and without_links["b"] == 1.0
    longer = by_person(network_exposure(graph, ex, CONFIG, within_days=600), "exposure_score")
    assert longer["c"] == 2.0  # x and now d
    assert longer["b"] == 1.5  # c, and d two steps away
    flat = by_person(
        network_exposure(graph, ex, CONFIG, second_step_weight=1.0), "exposure_score"
    )
    assert flat["a"] == 1.0 and flat["p"] == 1.0
    every = by_person(network_exposure(graph, ex, CONFIG, violent=pl.lit(True)), "exposed_1")
    assert every["b"] == 3  # a, c and e: every offence now counts, drug supply too


def test_bad_exposure_settings_are_rejected():
    ex = constructed()
    graph = build_network(ex, CONFIG)
    for bad, match in (
        ({"within_days": 0}, "within_days"),
        ({"second_step_weight": 1.5}, "second_step_weight"),
        ({"at_risk_min_score": 0}, "at_risk_min_score"),
    ):
        with pytest.raises(ValueError, match=match):
            network_exposure(graph, ex, CONFIG, **bad)


def test_exposure_summary_counts_victims_in_the_network():
    ex = constructed()
    graph = build_network(ex, CONFIG)
    summary = exposure_summary(graph, network_exposure(graph, ex, CONFIG))
    # ten people; x is linked only by the attack, which is not a network link
    assert summary["people"] == 10 and summary["recent_violence_victims"] == 2
    assert summary["linked_people_share"] == pytest.approx(0.9)
    assert summary["linked_victims_share"] == pytest.approx(0.5)  # t, not x
    assert summary["largest_component_people_share"] == pytest.approx(0.5)  # a b c d e
    assert summary["largest_component_victims_share"] == pytest.approx(0.0)


def test_an_extract_without_events_has_no_exposure():
    ex = Extract.from_frames(
        people=pl.DataFrame({"person_id": ["a", "b"]}),
        associations=pl.DataFrame({"person_a": ["a"], "person_b": ["b"], "kind": ["sibling"]}),
    )
    graph = build_network(ex)
    exposure = network_exposure(graph, ex)
    assert exposure["exposure_score"].to_list() == [0.0, 0.0]
    assert exposure_summary(graph, exposure)["linked_victims_share"] is None


def test_rival_group_members_are_the_most_exposed_in_the_county():
    county = synthesise(1, "county")
    graph = build_network(county.extract)
    exposure = network_exposure(graph, county.extract)
    rivalries = county.truth_relations.filter(pl.col("kind") == "rivalry")
    rival_groups = pl.concat([rivalries["group_a"], rivalries["group_b"]]).unique()
    kind = county.truth_memberships.select(
        "person_id",
        pl.when(pl.col("group_id").is_in(rival_groups.implode()))
        .then(pl.lit("rival group"))
        .otherwise(pl.lit("other group"))
        .alias("kind"),
    )
    people = exposure.join(kind, on="person_id", how="left").with_columns(
        pl.col("kind").fill_null("no group")
    )
    stats = {
        row["kind"]: row
        for row in people.group_by("kind")
        .agg(
            pl.col("exposure_score").mean().alias("mean"),
            pl.col("exposure_score").median().alias("median"),
            pl.col("at_risk").mean().alias("at_risk"),
        )
        .iter_rows(named=True)
    }
    # seed 1 measured: mean 41.7 / 14.6 / 3.8, median 40 / 13 / 0, at risk 100% / 100% / 14%
    assert stats["rival group"]["mean"] > 3 * stats["no group"]["mean"]
    assert stats["rival group"]["mean"] > stats["other group"]["mean"]
    assert stats["rival group"]["median"] > 10 and stats["no group"]["median"] == 0
    assert stats["rival group"]["at_risk"] >= 0.95
    assert stats["no group"]["at_risk"] < 0.25
    assert people["at_risk"].mean() < 0.25

"""Group relations: rivalries from violence between members, alliances from co-offending."""

from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest

from deter.analysis.config import AnalysisConfig
from deter.analysis.extract import Extract
from deter.analysis.groups import find_groups
from deter.analysis.network import build_network, victim_suspect_links
from deter.analysis.relations import (
    RELATION_COLUMNS,
    group_relations,
    recorded_group_relations,
)
from deter.analysis.synth import synthesise

AS_OF = datetime(2025, 1, 1, tzinfo=UTC)
ASSAULT, SHOPLIFTING = "8N", "46"  # violent and not, in the default harm table
MEMBERS = {"a1": "A", "a2": "A", "a3": "A", "b1": "B", "b2": "B", "c1": "C", "c2": "C"}


def extract(events, involvements, associations=(), memberships=()) -> Extract:
    """events: (event_id, days before AS_OF, offence_code); involvements: (event, person, role);
    associations: (a, b, kind, observed_at); memberships: (person, group)."""
    return Extract.from_frames(
        events=pl.DataFrame(
            [(e, AS_OF - timedelta(days=d), code) for e, d, code in events],
            schema={"event_id": pl.String, "occurred_at": pl.Datetime("us", "UTC"),
                    "offence_code": pl.String},
            orient="row",
        ),
        involvements=pl.DataFrame(
            list(involvements), schema=["event_id", "person_id", "role"], orient="row"
        ),
        associations=pl.DataFrame(
            list(associations),
            schema={"person_a": pl.String, "person_b": pl.String, "kind": pl.String,
                    "observed_at": pl.Date},
            orient="row",
        ),
        memberships=pl.DataFrame(
            list(memberships), schema=["person_id", "group_id"], orient="row"
        ),
    )


def membership(groups: dict[str, str | None]) -> pl.DataFrame:
    return pl.DataFrame(
        {"person_id": list(groups), "group_id": list(groups.values())},
        schema={"person_id": pl.String, "group_id": pl.String},
    )


def rows(relations: pl.DataFrame) -> dict[tuple[str, str, str], dict]:
    return {(r["group_a"], r["group_b"], r["relation"]): r for r in relations.iter_rows(named=True)}


CONFIG = AnalysisConfig(as_of=AS_OF, half_life_days=100.0)


def constructed() -> Extract:
    return extract(
        events=[
            ("e1", 10, ASSAULT),  # B attacks A, two victims
            ("e2", 100, ASSAULT),  # A attacks B
            ("e3", 300, ASSAULT),  # A attacks B, and B attacks A on the same event
            ("e4", 5, SHOPLIFTING),  # a B member robs... shoplifting: not violence
            ("e5", 50, "92A"),  # A and C offend together
            ("e6", 200, ASSAULT),  # C member attacks a non-member: no relation
            ("e7", 5000, ASSAULT),  # outside the three-year window
            ("e8", 20, "92A"),  # a2 alone, suspect and offender: no self-alliance
        ],
        involvements=[
            ("e1", "b1", "suspect"), ("e1", "a1", "victim"), ("e1", "a2", "victim"),
            ("e2", "a1", "offender"), ("e2", "a3", "suspect"), ("e2", "b2", "victim"),
            ("e3", "a2", "suspect"), ("e3", "b1", "victim"), ("e3", "b2", "suspect"),
            ("e3", "a3", "victim"),
            ("e4", "b1", "suspect"), ("e4", "c1", "victim"),
            ("e5", "a1", "suspect"), ("e5", "c1", "suspect"), ("e5", "c2", "offender"),
            ("e6", "c2", "suspect"), ("e6", "loner", "victim"),
            ("e7", "c1", "suspect"), ("e7", "b2", "victim"),
            ("e8", "a2", "suspect"), ("e8", "a2", "offender"),
        ],
        associations=[
            ("a3", "c2", "seen_together", date(2024, 12, 1)),
            ("b2", "c2", "social_media", date(2024, 6, 1)),
            ("a1", "b1", "seen_together", None),
        ],
    )


def test_rivalries_count_violent_events_each_way_with_their_evidence():
    got = rows(group_relations(constructed(), membership(MEMBERS), CONFIG))
    rivalry = got[("A", "B", "rivalry")]
    assert rivalry["events"] == 3
    assert (rivalry["a_to_b"], rivalry["b_to_a"]) == (2, 2)  # e2, e3 and e1, e3
    assert rivalry["evidence_event_ids"] == "e1,e2,e3"  # most recent first
    assert rivalry["first_event"] == (AS_OF - timedelta(days=300)).date()
    assert rivalry["last_event"] == (AS_OF - timedelta(days=10)).date()
    # weight: each event's recency decay, half-life 100 days
    assert rivalry["weight"] == pytest.approx(0.5 ** 0.1 + 0.5 ** 1 + 0.5 ** 3)
    assert rivalry["basis"] == "violence"
    # shoplifting between B and C is no rivalry; nor is e7, outside the window
    assert ("B", "C", "rivalry") not in got
    assert {key for key in got if key[2] == "rivalry"} == {("A", "B", "rivalry")}


def test_alliances_come_from_co_offending_and_optionally_from_associations():
    ex = constructed()
    got = rows(group_relations(ex, membership(MEMBERS), CONFIG))
    alliance = got[("A", "C", "alliance")]
    assert (alliance["events"], alliance["association_links"]) == (1, 0)
    assert alliance["evidence_event_ids"] == "e5"
    assert alliance["a_to_b"] is None and alliance["b_to_a"] is None
    assert alliance["basis"] == "co-offending"
    assert alliance["weight"] == pytest.approx(0.5 ** 0.5)
    # no association is evidence of alliance by default; e8 (one person) links nobody
    assert {key for key in got if key[2] == "alliance"} == {("A", "C", "alliance")}

    with_links = rows(
        group_relations(
            ex, membership(MEMBERS), CONFIG,
            alliance_association_kinds={"seen_together"},
        )
    )
    alliance = with_links[("A", "C", "alliance")]
    assert (alliance["events"], alliance["association_links"]) == (1, 1)
    assert alliance["basis"] == "co-offending,association"
    assert alliance["first_event"] == (AS_OF - timedelta(days=50)).date()  # e5
    assert alliance["last_event"] == date(2024, 12, 1)  # the association
    assert alliance["weight"] == pytest.approx(0.5 ** 0.5 + 0.5 ** 0.31)
    # the undated A-B association makes an association-only alliance, with no events
    both = with_links[("A", "B", "alliance")]
    assert (both["events"], both["association_links"], both["weight"]) == (0, 1, 1.0)
    assert both["evidence_event_ids"] == "" and both["basis"] == "association"
    assert both["first_event"] is None
    # A and B are both rivals and (by association) allies: two rows
    assert ("A", "B", "rivalry") in with_links
    # social media is not a listed kind: no B-C alliance
    assert ("B", "C", "alliance") not in with_links


def test_violent_events_and_minimum_evidence_are_configurable():
    ex = constructed()
    everything = rows(group_relations(ex, membership(MEMBERS), CONFIG, violent=pl.lit(True)))
    assert everything[("B", "C", "rivalry")]["evidence_event_ids"] == "e4"
    strong = group_relations(ex, membership(MEMBERS), CONFIG, min_events=2)
    assert set(rows(strong)) == {("A", "B", "rivalry")}
    wide = AnalysisConfig(as_of=AS_OF, window_days=20 * 365)
    assert ("B", "C", "rivalry") in rows(group_relations(ex, membership(MEMBERS), wide))
    links = victim_suspect_links(ex, CONFIG)
    assert group_relations(ex, membership(MEMBERS), CONFIG, links=links).equals(
        group_relations(ex, membership(MEMBERS), CONFIG)
    )


def test_people_without_a_group_and_empty_inputs():
    ex = constructed()
    nobody = {person: None for person in MEMBERS}
    empty = group_relations(ex, membership(nobody), CONFIG)
    assert empty.height == 0 and empty.columns == list(RELATION_COLUMNS)
    assert group_relations(Extract.from_frames(), membership(MEMBERS)).height == 0


def test_bad_parameters_are_rejected():
    ex = constructed()
    with pytest.raises(ValueError, match="group_id"):
        group_relations(ex, pl.DataFrame({"person_id": ["a1"]}), CONFIG)
    with pytest.raises(ValueError, match="min_events"):
        group_relations(ex, membership(MEMBERS), CONFIG, min_events=0)


def test_recorded_group_relations_use_memberships_overlapping_the_window():
    base = constructed()
    ex = Extract.from_frames(
        **{
            **base.tables(),
            "memberships": pl.DataFrame(
                {
                    "person_id": ["a1", "a2", "a3", "b1", "b2"],
                    "group_id": ["RA", "RA", "RA", "RB", "RB"],
                    "start": [None, None, None, None, date(2025, 6, 1)],  # b2: not yet
                },
                schema={"person_id": pl.String, "group_id": pl.String, "start": pl.Date},
            ),
        }
    )
    rivalry = rows(recorded_group_relations(ex, CONFIG))[("RA", "RB", "rivalry")]
    # b2 is not yet a member on the analysis date: only e1 and e3 (b1) count
    assert rivalry["evidence_event_ids"] == "e1,e3"
    assert (rivalry["a_to_b"], rivalry["b_to_a"]) == (1, 1)


# The planted truth of the synthetic county


@pytest.fixture(scope="module")
def county():
    return synthesise(1, "county")


def planted(county, kind: str) -> set[tuple[str, str]]:
    truth = county.truth_relations.filter(pl.col("kind") == kind)
    return set(truth.select("group_a", "group_b").iter_rows())


def precision_recall(found: set, truth: set) -> tuple[float, float]:
    hits = len(found & truth)
    return hits / len(found), hits / len(truth)


def pairs(relations: pl.DataFrame, kind: str, min_events: int = 1) -> set[tuple[str, str]]:
    chosen = relations.filter((pl.col("relation") == kind) & (pl.col("events") >= min_events))
    return set(chosen.select("group_a", "group_b").iter_rows())


def test_planted_relations_are_recovered_from_planted_groups(county):
    # with the true memberships the method itself is measured: seed 1 gives rivalry
    # precision 0.94 and recall 1.0, alliance precision 1.0 and recall 0.65 (allies rarely
    # offend together in the county: about one shared event a pair)
    relations = group_relations(county.extract, county.truth_memberships, AnalysisConfig())
    precision, recall = precision_recall(pairs(relations, "rivalry"), planted(county, "rivalry"))
    assert precision >= 0.85 and recall >= 0.95
    precision, recall = precision_recall(pairs(relations, "alliance"), planted(county, "alliance"))
    assert precision >= 0.9 and recall >= 0.5
    # retaliation: most rivalries show attacks both ways
    rivalries = relations.filter(pl.col("relation") == "rivalry")
    both_ways = rivalries.filter((pl.col("a_to_b") > 0) & (pl.col("b_to_a") > 0)).height
    assert both_ways >= 0.8 * rivalries.height
    assert (rivalries["a_to_b"] + rivalries["b_to_a"] >= rivalries["events"]).all()


def test_planted_rivalries_are_recovered_from_found_groups(county):
    # end to end: found groups are mapped to the planted group most of their planted members
    # belong to.  Seed 1 measured: rivalries with 2+ events precision 0.77, recall 0.73;
    # alliances (any evidence) precision 0.26, ten times the 2.6% of group pairs that are allied
    config = AnalysisConfig()
    found = find_groups(build_network(county.extract, config), config).membership
    majority = (
        found.drop_nulls()
        .join(county.truth_memberships, on="person_id", suffix="_planted")
        .group_by("group_id", "group_id_planted")
        .len()
        .sort(["len", "group_id_planted"], descending=[True, False])
        .group_by("group_id", maintain_order=True)
        .first()
    )
    to_planted = dict(zip(majority["group_id"], majority["group_id_planted"], strict=True))
    relations = group_relations(county.extract, found, config)

    def mapped(kind: str, min_events: int) -> set[tuple[str, str]]:
        result = set()
        for a, b in pairs(relations, kind, min_events):
            x, y = to_planted.get(a), to_planted.get(b)
            if x and y and x != y:
                result.add((min(x, y), max(x, y)))
        return result

    precision, recall = precision_recall(mapped("rivalry", 2), planted(county, "rivalry"))
    assert precision >= 0.7 and recall >= 0.65
    groups = county.truth_memberships["group_id"].n_unique()
    base_rate = len(planted(county, "alliance")) / (groups * (groups - 1) / 2)
    precision, recall = precision_recall(mapped("alliance", 1), planted(county, "alliance"))
    assert precision >= 5 * base_rate and recall >= 0.3


def test_recorded_memberships_show_the_planted_rivalries(county):
    # recorded memberships are noisy samples of the planted groups, with the same ids
    relations = recorded_group_relations(county.extract, AnalysisConfig())
    precision, recall = precision_recall(pairs(relations, "rivalry"), planted(county, "rivalry"))
    assert recall >= 0.95 and precision >= 0.6  # measured 1.0 and 0.70, 0.80 with 2+ events
    precision, _ = precision_recall(pairs(relations, "rivalry", 2), planted(county, "rivalry"))
    assert precision >= 0.75

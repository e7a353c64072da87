"""The people network: co-offending edges from shared events, association edges by kind."""

import itertools
import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest

from deter.analysis.config import AnalysisConfig
from deter.analysis.extract import Extract
from deter.analysis.network import build_network, person_ids, victim_suspect_links

AS_OF = datetime(2025, 1, 1, tzinfo=UTC)


def make(involvements=(), associations=(), people=(), old_events=()) -> Extract:
    """involvements: (event_id, person_id, role); events are dated AS_OF unless in old_events
    (then ten years earlier); associations: (a, b, kind, weight, observed_at)."""
    event_ids = sorted({i[0] for i in involvements})
    frames = {
        "people": pl.DataFrame({"person_id": list(people)}, schema={"person_id": pl.String}),
        "events": pl.DataFrame(
            {
                "event_id": event_ids,
                "occurred_at": [
                    AS_OF - timedelta(days=3650) if e in old_events else AS_OF for e in event_ids
                ],
            },
            schema={"event_id": pl.String, "occurred_at": pl.Datetime("us", "UTC")},
        ),
        "involvements": pl.DataFrame(
            list(involvements), schema=["event_id", "person_id", "role"], orient="row"
        ),
        "associations": pl.DataFrame(
            list(associations),
            schema={"person_a": pl.String, "person_b": pl.String, "kind": pl.String,
                    "weight": pl.Float64, "observed_at": pl.Date},
            orient="row",
        ),
    }
    return Extract.from_frames(**frames)


def edges(graph) -> dict[tuple[str, str], tuple[float, str]]:
    names = graph.vs["name"]
    return {
        tuple(sorted((names[e.source], names[e.target]))): (e["weight"], e["kinds"])
        for e in graph.es
    }


def test_co_offending_weight_is_the_number_of_shared_events():
    ex = make(
        [
            ("e1", "a", "offender"), ("e1", "b", "offender"), ("e1", "c", "suspect"),
            ("e2", "a", "suspect"), ("e2", "b", "offender"),
            ("e3", "a", "offender"), ("e3", "b", "suspect"), ("e3", "d", "offender"),
        ]
    )
    graph = build_network(ex, AnalysisConfig(as_of=AS_OF))
    assert edges(graph) == {
        ("a", "b"): (3.0, "co-offending"),
        ("a", "c"): (1.0, "co-offending"),
        ("b", "c"): (1.0, "co-offending"),
        ("a", "d"): (1.0, "co-offending"),
        ("b", "d"): (1.0, "co-offending"),
    }
    assert not graph.is_directed()
    assert graph.es[graph.get_eid("a", "b")]["shared_events"] == 3


def test_victims_witnesses_and_others_are_not_co_offenders():
    ex = make(
        [
            ("e1", "a", "offender"), ("e1", "v", "victim"), ("e1", "w", "witness"),
            ("e1", "o", "other"),
            ("e2", "v", "victim"), ("e2", "w", "victim"),
        ]
    )
    graph = build_network(ex, AnalysisConfig(as_of=AS_OF))
    assert graph.ecount() == 0
    assert sorted(graph.vs["name"]) == ["a", "o", "v", "w"]  # still people of the network


def test_one_person_in_two_offending_roles_is_not_linked_to_themselves():
    ex = make([("e1", "a", "offender"), ("e1", "a", "suspect"), ("e1", "b", "suspect")])
    graph = build_network(ex, AnalysisConfig(as_of=AS_OF))
    assert edges(graph) == {("a", "b"): (1.0, "co-offending")}
    assert not any(graph.is_loop())


def test_associations_are_weighted_by_kind_and_weight():
    ex = make(
        [("e1", "a", "offender"), ("e1", "b", "offender"), ("e2", "a", "offender"),
         ("e2", "b", "offender")],
        [
            ("a", "b", "associate", None, None),
            ("a", "d", "sibling", None, None),
            ("e", "d", "associate", 2.0, None),  # reversed pair order is the same pair
            ("d", "e", "sibling", 1.0, None),
            ("f", "g", "unheard-of kind", 4.0, None),
            ("g", "h", "sibling", 0.0, None),  # zero weight makes no edge
        ],
    )
    config = AnalysisConfig(as_of=AS_OF, association_weights={"sibling": 3.0, "associate": 0.5})
    assert edges(build_network(ex, config)) == {
        ("a", "b"): (2.5, "co-offending,associate"),
        ("a", "d"): (3.0, "sibling"),
        ("d", "e"): (0.5 * 2 + 3.0, "associate,sibling"),
        ("f", "g"): (4.0, "unheard-of kind"),
    }
    scaled = AnalysisConfig(as_of=AS_OF, association_weights={"co-offending": 2.0})
    assert edges(build_network(ex, scaled))[("a", "b")] == (4 + 1.0, "co-offending,associate")


def test_the_window_applies_to_events_and_dated_associations():
    ex = make(
        [("new", "a", "offender"), ("new", "b", "offender"),
         ("old", "a", "offender"), ("old", "c", "offender")],
        [
            ("a", "d", "associate", None, date(2024, 6, 1)),
            ("a", "e", "associate", None, date(2010, 6, 1)),  # too old
            ("a", "f", "associate", None, None),  # undated: always counts
            ("a", "g", "associate", None, date(2025, 6, 1)),  # after as_of
        ],
        old_events={"old"},
    )
    graph = build_network(ex, AnalysisConfig(as_of=AS_OF))
    assert set(edges(graph)) == {("a", "b"), ("a", "d"), ("a", "f")}
    everything = build_network(ex, AnalysisConfig(as_of=AS_OF, window_days=20 * 365))
    assert set(edges(everything)) == {("a", "b"), ("a", "c"), ("a", "d"), ("a", "e"), ("a", "f")}


def test_vertices_are_every_person_named_sorted():
    ex = make([("e1", "b", "offender")], [("c", "a", "associate", None, None)], people=["z", "a"])
    ids = person_ids(ex).to_list()
    assert ids == ["a", "b", "c", "z"]
    assert build_network(ex, AnalysisConfig(as_of=AS_OF)).vs["name"] == ids


def test_empty_extract_gives_an_empty_graph():
    graph = build_network(Extract.from_frames(), AnalysisConfig())
    assert (graph.vcount(), graph.ecount()) == (0, 0)


def test_matches_a_brute_force_count_on_a_random_extract():
    rng = random.Random(7)
    rows = set()
    for event in range(3000):
        size = rng.choice([1, 1, 2, 2, 3, 4, 8])
        for person in rng.sample(range(800), size):
            rows.add((f"e{event}", f"p{person}", rng.choice(["suspect", "offender", "victim"])))
    ex = make(sorted(rows))
    expected: Counter = Counter()
    offenders: dict[str, set[str]] = {}
    for event, person, role in rows:
        if role in ("suspect", "offender"):
            offenders.setdefault(event, set()).add(person)
    for people in offenders.values():
        expected.update(itertools.combinations(sorted(people), 2))
    got = edges(build_network(ex, AnalysisConfig(as_of=AS_OF)))
    assert {pair: weight for pair, (weight, _) in got.items()} == pytest.approx(
        {pair: float(n) for pair, n in expected.items()}
    )
    assert len(got) == len(expected) > 1000


# Victim-suspect links (kept out of the network, used for rivalries and exposure)


def test_victim_suspect_links_pair_every_victim_with_every_suspect_of_the_event():
    ex = make(
        [
            ("e1", "s1", "suspect"), ("e1", "s2", "offender"), ("e1", "v1", "victim"),
            ("e1", "v2", "victim"), ("e1", "w", "witness"),
            ("e2", "x", "victim"), ("e2", "x", "suspect"),  # one person in both roles
            ("e3", "s1", "offender"), ("e3", "s1", "suspect"), ("e3", "v1", "victim"),
            ("old", "s1", "suspect"), ("old", "v9", "victim"),
        ],
        old_events={"old"},
    )
    config = AnalysisConfig(as_of=AS_OF)
    links = victim_suspect_links(ex, config)
    assert links.columns == [
        "victim", "suspect", "event_id", "occurred_at", "offence_code", "offence_category"
    ]
    assert sorted(links.select("event_id", "victim", "suspect").iter_rows()) == [
        ("e1", "v1", "s1"), ("e1", "v1", "s2"), ("e1", "v2", "s1"), ("e1", "v2", "s2"),
        ("e3", "v1", "s1"),  # offender and suspect roles of one person: one link
    ]
    # the links never become edges of the people network
    graph = build_network(ex, config)
    assert set(edges(graph)) == {("s1", "s2")}
    # a wider window takes the old event in too
    wide = victim_suspect_links(ex, AnalysisConfig(as_of=AS_OF, window_days=20 * 365))
    assert ("old", "v9", "s1") in set(wide.select("event_id", "victim", "suspect").iter_rows())


def test_victim_suspect_links_of_an_extract_without_involvements_is_empty():
    ex = make()
    assert victim_suspect_links(ex, AnalysisConfig(as_of=AS_OF)).height == 0
    assert victim_suspect_links(Extract.from_frames()).height == 0

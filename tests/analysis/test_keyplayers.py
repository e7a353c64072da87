"""Key players: centrality against textbook values, brokerage, and the call-in reach set."""

import itertools
import random

import igraph as ig
import networkx as nx
import numpy as np
import polars as pl
import pytest

from deter.analysis.keyplayers import KEY_PLAYER_COLUMNS, key_players, reach_sets


def named(graph: ig.Graph, names: list[str] | None = None) -> ig.Graph:
    graph.vs["name"] = names or [str(i) for i in range(graph.vcount())]
    return graph


def groups(assignment: dict[str, str | None]) -> pl.DataFrame:
    return pl.DataFrame(
        {"person_id": list(assignment), "group_id": list(assignment.values())},
        schema={"person_id": pl.String, "group_id": pl.String},
    )


def no_groups(graph: ig.Graph) -> pl.DataFrame:
    return groups({name: None for name in graph.vs["name"]})


def karate() -> ig.Graph:
    """Zachary's karate club, members numbered 1-34 as in Zachary (1977)."""
    return named(ig.Graph.Famous("Zachary"), [str(i) for i in range(1, 35)])


def column(players, name: str) -> dict[str, float]:
    return dict(players.people.select("person_id", name).iter_rows())


def test_betweenness_of_the_karate_club_matches_the_published_value():
    graph = karate()
    found = key_players(graph, no_groups(graph))
    assert found.betweenness_exact and found.betweenness_vertices == 34
    betweenness = column(found, "betweenness")
    # member 1 (the instructor) has the highest betweenness, 231.07 unnormalised (the
    # networkx and igraph documentation example); member 34 (the administrator) is second
    assert betweenness["1"] == pytest.approx(231.0714, abs=1e-3)
    assert sorted(betweenness, key=betweenness.get, reverse=True)[:2] == ["1", "34"]
    # every value agrees with an independent implementation
    reference = nx.betweenness_centrality(nx.karate_club_graph(), normalized=False)
    for vertex, value in reference.items():
        assert betweenness[str(vertex + 1)] == pytest.approx(value)
    assert column(found, "degree")["34"] == 17 and column(found, "degree")["1"] == 16


def test_betweenness_of_a_path_and_a_star_follows_the_formula():
    n = 7
    path = named(ig.Graph.Ring(n, circular=False))
    betweenness = column(key_players(path, no_groups(path)), "betweenness")
    # vertex i of a path lies between the i vertices on one side and n - 1 - i on the other
    assert [betweenness[str(i)] for i in range(n)] == [i * (n - 1 - i) for i in range(n)]
    star = named(ig.Graph.Star(n))
    betweenness = column(key_players(star, no_groups(star)), "betweenness")
    assert betweenness["0"] == (n - 1) * (n - 2) / 2
    assert all(betweenness[str(i)] == 0 for i in range(1, n))


def test_sampled_betweenness_is_an_unbiased_estimate():
    graph = karate()
    exact = np.asarray(key_players(graph, no_groups(graph)).people["betweenness"])
    runs = [
        key_players(graph, no_groups(graph), exact_max_vertices=10, samples=8, seed=seed)
        for seed in range(150)
    ]
    assert not runs[0].betweenness_exact
    assert (runs[0].betweenness_sources, runs[0].betweenness_vertices) == (8, 34)
    estimates = np.vstack([np.asarray(run.people["betweenness"]) for run in runs])
    # one run is rough; the mean over many seeds converges on the exact value
    assert np.abs(estimates[0] - exact).max() > 1.0
    assert estimates.mean(axis=0)[0] == pytest.approx(exact[0], rel=0.05)
    top = exact > 20  # the eight members who lie between the most pairs
    assert (np.abs(estimates.mean(axis=0)[top] - exact[top]) / exact[top]).max() < 0.15
    # the same seed gives the same estimate
    again = key_players(graph, no_groups(graph), exact_max_vertices=10, samples=8, seed=0)
    assert again.people.equals(runs[0].people)
    # as many samples as people is the exact computation
    full = key_players(graph, no_groups(graph), exact_max_vertices=10, samples=34)
    assert full.betweenness_exact
    assert np.asarray(full.people["betweenness"]) == pytest.approx(exact)


def test_small_components_and_isolates_have_no_betweenness():
    graph = named(ig.Graph(n=6, edges=[(0, 1), (2, 3), (3, 4)]))
    found = key_players(graph, no_groups(graph), exact_max_vertices=0, samples=3)
    assert column(found, "betweenness") == {"0": 0, "1": 0, "2": 0, "3": 1.0, "4": 0, "5": 0}
    # only the 3-vertex component has paths through anyone: 3 samples cover it exactly
    assert found.betweenness_exact
    assert (found.betweenness_sources, found.betweenness_vertices) == (3, 3)
    # one sampled source: the middle (0 through itself) or an end (1/2 each way, times 3)
    sampled = {
        column(key_players(graph, no_groups(graph), exact_max_vertices=0, samples=1,
                           seed=seed), "betweenness")["3"]
        for seed in range(20)
    }
    assert sampled == {0.0, 1.5}


def test_brokers_link_groups():
    #   G: g1 g2 g3 (a triangle)   H: h1 h2 (linked)   K: k1
    #   b (in G) links g1, g2, h1, h2; u (no group) links g3, h2, k1
    graph = ig.Graph()
    graph.add_vertices(["g1", "g2", "g3", "h1", "h2", "k1", "b", "u"])
    graph.add_edges([("g1", "g2"), ("g2", "g3"), ("g1", "g3"), ("h1", "h2"),
                     ("b", "g1"), ("b", "g2"), ("b", "h1"), ("b", "h2"),
                     ("u", "g3"), ("u", "h2"), ("u", "k1")])
    graph.es["weight"] = [2.0] * graph.ecount()
    membership = groups({"g1": "G", "g2": "G", "g3": "G", "h1": "H", "h2": "H", "k1": "K",
                         "b": "G", "u": None})
    people = key_players(graph, membership).people
    assert people.columns == list(KEY_PLAYER_COLUMNS)
    row = {r["person_id"]: r for r in people.iter_rows(named=True)}
    assert row["b"]["broker_groups"] == 1  # H (its own group G does not count)
    assert row["b"]["participation"] == pytest.approx(1 - (0.5**2 + 0.5**2))
    assert row["b"]["strength"] == 8.0 and row["b"]["degree"] == 4
    assert row["u"]["broker_groups"] == 3 and row["u"]["group_id"] is None
    assert row["u"]["participation"] == pytest.approx(1 - 3 * (1 / 3) ** 2)
    assert row["g3"]["broker_groups"] == 0  # u has no group: no group to broker to
    assert row["g3"]["participation"] == 0.0  # links into G only (u is in no group)
    assert row["k1"]["broker_groups"] == 0 and row["k1"]["participation"] == 0.0


def test_people_missing_from_the_membership_are_in_no_group_and_duplicates_are_refused():
    graph = named(ig.Graph.Star(4))
    people = key_players(graph, groups({"1": "G"})).people
    assert people["group_id"].to_list() == [None, "G", None, None]
    with pytest.raises(ValueError, match="more than one group"):
        key_players(graph, pl.DataFrame({"person_id": ["1", "1"], "group_id": ["G", "H"]}))
    with pytest.raises(ValueError, match="samples"):
        key_players(graph, no_groups(graph), samples=0)
    with pytest.raises(ValueError, match="group_id"):
        key_players(graph, pl.DataFrame({"person_id": ["1"]}))


def dominates(graph: ig.Graph, members: list[str], chosen: list[str]) -> bool:
    inside = set(members)
    reached = set(chosen)
    for person in chosen:
        reached |= {graph.vs[v]["name"] for v in graph.neighbors(person)} & inside
    return reached >= inside


def test_reach_set_of_a_star_is_its_centre_and_of_a_path_of_five_two_people():
    star = named(ig.Graph.Star(6), list("abcdef"))
    got = reach_sets(star, groups(dict.fromkeys("abcdef", "G"))).row(0, named=True)
    assert got == {"group_id": "G", "size": 6, "reach_set": "a", "reach_set_size": 1}
    path = named(ig.Graph.Ring(5, circular=False), list("abcde"))
    got = reach_sets(path, groups(dict.fromkeys("abcde", "P"))).row(0, named=True)
    assert got["reach_set"] == "b,d"  # ties go to the smaller id: b, then d reaches d and e


def test_reach_set_of_the_karate_club_is_a_smallest_dominating_set():
    graph = karate()
    members = graph.vs["name"]
    got = reach_sets(graph, groups(dict.fromkeys(members, "club"))).row(0, named=True)
    chosen = got["reach_set"].split(",")
    assert dominates(graph, members, chosen) and got["reach_set_size"] == len(chosen)
    assert chosen[0] == "34"  # the administrator reaches the most members
    # exhaustive search: no smaller set reaches everyone, so greedy found a minimum here
    assert not any(
        dominates(graph, members, list(subset))
        for subset in itertools.combinations(members, len(chosen) - 1)
    )


def test_reach_sets_only_count_links_within_the_group():
    # two triangles joined by one link, each its own group, plus g4 in G linked only into H:
    # g4 must be in G's set itself; links across groups reach nobody
    graph = ig.Graph()
    graph.add_vertices(["g1", "g2", "g3", "g4", "h1", "h2", "h3"])
    graph.add_edges([("g1", "g2"), ("g2", "g3"), ("g1", "g3"), ("g3", "h1"),
                     ("h1", "h2"), ("h2", "h3"), ("h1", "h3"), ("g4", "h2")])
    membership = groups({"g1": "G", "g2": "G", "g3": "G", "g4": "G", "h1": "H", "h2": "H",
                         "h3": "H", "x": None})
    got = {r["group_id"]: r for r in reach_sets(graph, membership).iter_rows(named=True)}
    assert set(got) == {"G", "H"}
    assert got["G"]["size"] == 4 and got["G"]["reach_set"] == "g1,g4"
    assert got["H"]["reach_set"] == "h1"
    assert reach_sets(graph, groups({"g1": None})).height == 0


def test_reach_sets_dominate_every_group_of_a_random_block_graph():
    sizes = [12, 16, 20, 30] * 5
    blocks = len(sizes)
    odds = [[0.4 if a == b else 0.005 for b in range(blocks)] for a in range(blocks)]
    random.seed(4)  # igraph's generators draw from Python's random module
    graph = named(ig.Graph.SBM(odds, sizes))
    labels = np.repeat(np.arange(blocks), sizes)
    membership = groups({str(i): f"G{label:02d}" for i, label in enumerate(labels)})
    sets = reach_sets(graph, membership)
    assert sets.height == blocks and sets["size"].sum() == sum(sizes)
    by_group = membership.group_by("group_id").agg(pl.col("person_id"))
    members = dict(by_group.iter_rows())
    for group_id, chosen, size in sets.select("group_id", "reach_set", "size").iter_rows():
        sub = graph.induced_subgraph(
            [graph.vs.find(name=p).index for p in members[group_id]]
        )
        assert dominates(sub, members[group_id], chosen.split(","))
        assert len(chosen.split(",")) < size / 2  # dense groups: far fewer than everyone

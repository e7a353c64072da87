"""Groups: Leiden communities, readable ids, small communities dropped; the ARI helper."""

import igraph as ig
import polars as pl
import pytest

from deter.analysis.config import AnalysisConfig
from deter.analysis.groups import adjusted_rand_index, find_groups


def two_cliques(extra: tuple[str, ...] = ()) -> ig.Graph:
    """Two 5-cliques (a1..a5, b1..b5) joined by one edge a1-b1, plus isolated ``extra``."""
    names = [f"a{i}" for i in range(1, 6)] + [f"b{i}" for i in range(1, 6)] + list(extra)
    edges = [(i, j) for i in range(5) for j in range(i + 1, 5)]
    edges += [(i + 5, j + 5) for i, j in edges] + [(0, 5)]
    graph = ig.Graph(n=len(names), edges=edges)
    graph.vs["name"] = names
    graph.es["weight"] = [1.0] * graph.ecount()
    return graph


def groups_of(finding) -> dict[str, str | None]:
    return dict(finding.membership.iter_rows())


def test_two_cliques_joined_by_one_edge_are_two_groups():
    finding = find_groups(two_cliques(("loner",)), AnalysisConfig())
    got = groups_of(finding)
    assert {got[f"a{i}"] for i in range(1, 6)} == {got["a1"]}
    assert {got[f"b{i}"] for i in range(1, 6)} == {got["b1"]}
    assert {got["a1"], got["b1"]} == {"N001", "N002"}
    assert got["loner"] is None
    # modularity of two 10-edge cliques joined by one edge: 2 * (10/21 - (21/42) ** 2)
    assert finding.modularity == pytest.approx(2 * (10 / 21 - (21 / 42) ** 2))
    assert finding.communities == 3
    # with no harm given, ties on size go to the group holding the smallest member id
    assert got["a1"] == "N001"


def test_group_ids_follow_group_harm():
    harm = pl.DataFrame({"person_id": ["b3", "a1"], "harm_score": [500.0, 10.0]})
    got = groups_of(find_groups(two_cliques(), AnalysisConfig(), person_harm=harm))
    assert got["b1"] == "N001" and got["a1"] == "N002"


def test_small_communities_are_no_group():
    graph = two_cliques(("x", "y"))
    graph.add_edge("x", "y", weight=1.0)
    got = groups_of(find_groups(graph, AnalysisConfig()))
    assert got["x"] is None and got["y"] is None
    assert groups_of(find_groups(graph, AnalysisConfig(min_group_size=2)))["x"] == "N003"
    assert set(groups_of(find_groups(graph, AnalysisConfig(min_group_size=6))).values()) == {None}


def test_weights_decide_between_partitions():
    # a 6-cycle; heavy edges 0-1, 2-3, 4-5 make those the communities, whatever the seed
    graph = ig.Graph.Ring(6)
    graph.vs["name"] = [str(i) for i in range(6)]
    graph.es["weight"] = [10.0 if e.source % 2 == 0 else 0.1 for e in graph.es]
    got = groups_of(find_groups(graph, AnalysisConfig(min_group_size=2)))
    assert got["0"] == got["1"] and got["2"] == got["3"] and got["4"] == got["5"]
    assert len({got["0"], got["2"], got["4"]}) == 3


def test_same_seed_same_groups_and_global_random_state_untouched():
    import random

    graph = ig.Graph.Erdos_Renyi(n=300, m=900)
    graph.vs["name"] = [f"p{i:03d}" for i in range(300)]
    graph.es["weight"] = [1.0] * graph.ecount()
    random.seed(123)
    before = random.random()
    random.seed(123)
    first = find_groups(graph, AnalysisConfig(seed=5)).membership
    assert random.random() == before
    second = find_groups(graph, AnalysisConfig(seed=5)).membership
    assert first.equals(second)


def test_higher_resolution_gives_more_communities():
    graph = ig.Graph.Erdos_Renyi(n=200, m=600)
    graph.vs["name"] = [str(i) for i in range(200)]
    graph.es["weight"] = [1.0] * graph.ecount()
    low = find_groups(graph, AnalysisConfig(resolution=0.5)).communities
    high = find_groups(graph, AnalysisConfig(resolution=3.0)).communities
    assert high > low


def test_graph_without_edges():
    graph = ig.Graph(n=3)
    graph.vs["name"] = ["a", "b", "c"]
    finding = find_groups(graph, AnalysisConfig())
    assert set(groups_of(finding).values()) == {None}
    assert finding.modularity == 0.0


def test_ari_identical_partitions_is_one():
    assert adjusted_rand_index([0, 0, 1, 1, 2], [0, 0, 1, 1, 2]) == pytest.approx(1.0)
    # labels are names, not numbers: a relabelling is the same partition
    assert adjusted_rand_index(["x", "x", "y", "y"], [1, 1, 0, 0]) == pytest.approx(1.0)
    # trivial partitions, where the formula divides 0 by 0
    assert adjusted_rand_index([0, 1, 2], ["a", "b", "c"]) == 1.0
    assert adjusted_rand_index([5, 5, 5], [0, 0, 0]) == 1.0
    assert adjusted_rand_index([7], [1]) == 1.0
    assert adjusted_rand_index([], []) == 1.0


def test_ari_textbook_values():
    # the scikit-learn documentation example: ARI = 0.24242424...
    assert adjusted_rand_index([0, 0, 1, 1, 2, 2], [0, 0, 0, 1, 1, 1]) == pytest.approx(
        0.2424242424
    )
    # Hubert & Arabie: every pair split in one and joined in the other gives 0
    assert adjusted_rand_index([0, 0, 0, 0], [0, 1, 2, 3]) == pytest.approx(0.0)
    assert adjusted_rand_index([0, 0, 1, 1], [0, 1, 0, 1]) == pytest.approx(-0.5)


def test_ari_on_frames_aligns_people_and_treats_no_group_as_singletons():
    truth = pl.DataFrame({"person_id": ["a", "b", "c", "d"], "group_id": ["T1", "T1", "T2", "T2"]})
    found = pl.DataFrame(
        {"person_id": ["d", "c", "b", "a", "zz"], "group_id": ["G2", "G2", "G1", "G1", "G1"]}
    )
    assert adjusted_rand_index(found, truth) == pytest.approx(1.0)
    missing = pl.DataFrame({"person_id": ["a", "b", "c"], "group_id": ["G1", "G1", None]})
    # c and d each alone => the found partition is {a, b}, {c}, {d}
    assert adjusted_rand_index(missing, truth) == pytest.approx(
        adjusted_rand_index([0, 0, 1, 2], [0, 0, 1, 1])
    )
    with pytest.raises(TypeError):
        adjusted_rand_index(found, [0, 1])
    with pytest.raises(ValueError):
        adjusted_rand_index([0, 1], [0, 1, 2])


def test_capped_leiden_iterations_still_find_the_cliques():
    got = groups_of(find_groups(two_cliques(), AnalysisConfig(leiden_iterations=1)))
    assert {got[f"a{i}"] for i in range(1, 6)} != {got[f"b{i}"] for i in range(1, 6)}
    assert len({got[f"a{i}"] for i in range(1, 6)}) == 1


def test_a_community_above_max_group_size_is_split_or_reported_as_a_loose_network():
    # Ten 5-cliques in a ring, each joined to the next by one edge: modularity on the whole
    # would find the cliques; with max_group_size 4 no clique can be a group.
    graph = ig.Graph()
    names = [f"c{c}p{p}" for c in range(10) for p in range(5)]
    graph.add_vertices(names)
    edges = [(f"c{c}p{a}", f"c{c}p{b}") for c in range(10) for a in range(5) for b in range(a)]
    edges += [(f"c{c}p0", f"c{(c + 1) % 10}p1") for c in range(10)]
    graph.add_edges(edges)
    graph.es["weight"] = 1.0
    found = find_groups(graph, AnalysisConfig(max_group_size=5))
    groups = groups_of(found)
    assert len({groups[n] for n in names}) == 10  # the ten cliques
    assert all(groups[f"c{c}p{p}"] == groups[f"c{c}p0"] for c in range(10) for p in range(5))
    tight = find_groups(graph, AnalysisConfig(max_group_size=4))
    assert set(groups_of(tight).values()) == {None}
    assert tight.loose_network_people == 50

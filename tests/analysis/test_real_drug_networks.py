"""Real covert networks (drug trafficking, drug users, vehicle theft, 'Ndrangheta) as extracts of
people and associations only, checked against the facts in their SOURCE.md; and real extracts
of only events, or only people and associations, through the whole analysis.

The data live outside the repository in ``../shared/data/real`` (provenance, citations and
licences in each folder's SOURCE.md); the tests skip when that folder is absent.

Betweenness is Freeman's, normalised here as SOURCE.md reports it: divided by the number of
pairs of other people, (n - 1)(n - 2) / 2.
"""


import polars as pl
import pytest

from deter.analysis.config import AnalysisConfig
from deter.analysis.extract import Extract
from deter.analysis.groups import find_groups
from deter.analysis.keyplayers import key_players, reach_sets
from deter.analysis.network import build_network
from deter.analysis.pipeline import analyse
from shared_data import needs_shared, shared_path

REAL = shared_path()
NETWORKS = shared_path("networks")
pytestmark = needs_shared(NETWORKS)


def associations_only(folder: str, edges: str, nodes: str | None = None) -> Extract:
    """People (from the nodes file, else every endpoint) and one association per edge row; a
    directed original gives one association per arc, which the network makes undirected."""
    raw = pl.read_csv(NETWORKS / folder / edges, infer_schema=False)
    if nodes:
        people = pl.read_csv(NETWORKS / folder / nodes, infer_schema=False).select(
            pl.col("name").alias("person_id")
        )
    else:
        people = pl.concat([raw["source"], raw["target"]]).unique().sort().to_frame("person_id")
    weight = pl.col("weight").cast(pl.Float64) if "weight" in raw.columns else pl.lit(1.0)
    return Extract.from_frames(
        people=people,
        associations=raw.select(
            pl.col("source").alias("person_a"),
            pl.col("target").alias("person_b"),
            pl.lit("communication").alias("kind"),
            weight.alias("weight"),
            pl.lit(folder).alias("source"),
        ),
    )


def analysed(extract: Extract):
    """(graph, people with key-player columns, reach sets) with the default settings."""
    config = AnalysisConfig()
    graph = build_network(extract, config)
    membership = find_groups(graph, config).membership
    players = key_players(graph, membership).people
    n = graph.vcount()
    players = players.with_columns(
        (pl.col("betweenness") / ((n - 1) * (n - 2) / 2)).alias("normalised_betweenness")
    )
    return graph, players, reach_sets(graph, membership)


def top(players: pl.DataFrame, column: str, k: int) -> list[tuple[str, float]]:
    ranked = players.sort([column, "person_id"], descending=[True, False]).head(k)
    return list(ranked.select("person_id", column).iter_rows())


def value(players: pl.DataFrame, person: str, column: str):
    return players.filter(pl.col("person_id") == person)[column].item()


def reach_set_of(players: pl.DataFrame, reach: pl.DataFrame, person: str) -> list[str]:
    group = value(players, person, "group_id")
    return reach.filter(pl.col("group_id") == group)["reach_set"].item().split(",")


def test_natarajan_cocaine_is_a_star_around_kay():
    # Natarajan (2000): 28 people, 151 wiretapped calls; Kay has degree 24 of 27 possible and
    # betweenness 0.89
    graph, players, reach = analysed(
        associations_only("natarajan_cocaine", "original_edges_directed.csv")
    )
    assert (graph.vcount(), graph.ecount()) == (28, 40)
    assert graph.is_connected()
    assert top(players, "degree", 1) == [("Kay", 24)]
    assert value(players, "Kay", "normalised_betweenness") == pytest.approx(0.89, abs=0.005)
    assert top(players, "normalised_betweenness", 1)[0][0] == "Kay"
    # the call-in for Kay's group starts with Kay
    assert reach_set_of(players, reach, "Kay")[0] == "Kay"


def test_natarajan_heroin_has_two_hubs():
    # Natarajan (2006): 38 people; 168 directed arcs are 87 linked pairs; Mr.DD (degree 20)
    # and Mr.X (18) are the hubs
    graph, players, _ = analysed(
        associations_only("natarajan_heroin", "original_edges_directed.csv")
    )
    assert (graph.vcount(), graph.ecount()) == (38, 87)
    assert graph.is_connected()
    assert top(players, "degree", 3) == [("Mr.DD", 20), ("Mr.X", 18), ("Ms.CC", 10)]
    assert [p for p, _ in top(players, "normalised_betweenness", 2)] == ["Mr.DD", "Mr.X"]
    assert value(players, "Mr.DD", "normalised_betweenness") == pytest.approx(0.375, abs=1e-3)
    assert value(players, "Mr.X", "normalised_betweenness") == pytest.approx(0.355, abs=1e-3)
    # the hubs sit in different groups, and Mr.X links the most groups
    assert value(players, "Mr.DD", "group_id") != value(players, "Mr.X", "group_id")
    assert top(players, "broker_groups", 1)[0][0] == "Mr.X"


def test_drugnet_hartford_has_many_components():
    # Weeks et al. (2002): 293 drug users; 90 components, the largest 193 (many isolates)
    graph, players, reach = analysed(
        associations_only("drugnet_hartford", "network_edges.csv", "network_nodes.csv")
    )
    assert (graph.vcount(), graph.ecount()) == (293, 284)
    components = graph.connected_components()
    assert len(components) == 90 and max(components.sizes()) == 193
    assert top(players, "degree", 1) == [("50", 15)]
    assert [p for p, _ in top(players, "normalised_betweenness", 3)] == ["83", "98", "130"]
    assert value(players, "83", "normalised_betweenness") == pytest.approx(0.158, abs=1e-3)
    # isolates are in no group and hold no betweenness
    isolates = players.filter(pl.col("degree") == 0)
    assert isolates["group_id"].null_count() == isolates.height
    assert (isolates["betweenness"] == 0).all()
    # every found group lies inside the largest component or a smaller one, never across
    component = dict(zip(graph.vs["name"], components.membership, strict=True))
    grouped = players.filter(pl.col("group_id").is_not_null())
    for _, members in grouped.group_by("group_id"):
        assert len({component[p] for p in members["person_id"]}) == 1
    assert reach["reach_set_size"].sum() < reach["size"].sum() / 2


def test_cielnet_leader_and_lieutenant():
    # Morselli (2009), Project Ciel: 25 participants; police saw a leader and a lieutenant.
    # N2 then N1 are by far the most central (degree 12 and 10, betweenness 0.64 and 0.59)
    graph, players, reach = analysed(associations_only("cielnet", "original_edges_directed.csv"))
    assert (graph.vcount(), graph.ecount()) == (25, 35)  # 45 arcs, 35 linked pairs
    assert top(players, "degree", 2) == [("N2", 12), ("N1", 10)]
    assert value(players, "N2", "normalised_betweenness") == pytest.approx(0.64, abs=0.005)
    assert value(players, "N1", "normalised_betweenness") == pytest.approx(0.59, abs=0.005)
    # the two lead separate groups, each first in its group's call-in
    assert value(players, "N1", "group_id") != value(players, "N2", "group_id")
    assert reach_set_of(players, reach, "N2") == ["N2"]
    assert reach_set_of(players, reach, "N1")[0] == "N1"
    assert top(players, "broker_groups", 1)[0][0] == "N2"
    # edge weights are the numbers of calls, both directions added (N1->N2 17, N2->N1 21)
    assert graph.es[graph.get_eid("N1", "N2")]["weight"] == 38.0


@pytest.mark.parametrize(
    ("folder", "people", "ties", "degree", "betweenness"),
    [
        # Morselli (2009), Project Siren: 44 participants, 103 ties; actor 1 degree 33, 0.80
        ("siren_auto_theft", 44, 103, 33, 0.80),
        # Project Togo: 33 participants, 47 ties; actor 1 degree 19, betweenness 0.78
        ("togo_auto_theft", 33, 47, 19, 0.78),
    ],
)
def test_vehicle_theft_networks_are_dominated_by_actor_one(
    folder, people, ties, degree, betweenness
):
    graph, players, reach = analysed(
        associations_only(folder, "original_edges_undirected.csv", "network_nodes.csv")
    )
    assert (graph.vcount(), graph.ecount()) == (people, ties)
    assert top(players, "degree", 1) == [("1", degree)]
    assert value(players, "1", "normalised_betweenness") == pytest.approx(betweenness, abs=0.005)
    # actor 1 alone reaches their whole group, and links the most other groups
    assert reach_set_of(players, reach, "1") == ["1"]
    assert top(players, "broker_groups", 1)[0][0] == "1"


def test_ndrangheta_oversize_wiretap_network():
    # Berlusconi et al. (2016), court-named subset: 89 people, 146 ties, components 85 + 4;
    # highest degree X9 (17), X27 (16), X39 (15); highest betweenness X49 (0.27), X9 (0.24)
    graph, players, _ = analysed(
        associations_only("ndrangheta_oversize", "original_edges_undirected.csv")
    )
    assert (graph.vcount(), graph.ecount()) == (89, 146)
    assert sorted(graph.connected_components().sizes()) == [4, 85]
    assert top(players, "degree", 3) == [("X9", 17), ("X27", 16), ("X39", 15)]
    assert [p for p, _ in top(players, "normalised_betweenness", 2)] == ["X49", "X9"]
    assert value(players, "X49", "normalised_betweenness") == pytest.approx(0.27, abs=0.005)
    assert value(players, "X9", "normalised_betweenness") == pytest.approx(0.24, abs=0.005)


def test_london_gang_betweenness():
    # Grund & Densley: 54 members; SOURCE.md computes betweenness 1 (0.109), 7 (0.075),
    # 4 (0.073), which the valued ties must not change (betweenness counts links, not values)
    _, players, _ = analysed(
        associations_only(
            "london_gang", "original_edges_undirected.csv", "network_nodes.csv"
        )
    )
    assert [p for p, _ in top(players, "normalised_betweenness", 3)] == ["1", "7", "4"]
    assert value(players, "1", "normalised_betweenness") == pytest.approx(0.109, abs=1e-3)


# Partial extracts through the whole analysis


def test_an_extract_of_people_and_associations_only_is_analysed():
    result = analyse(associations_only("natarajan_cocaine", "original_edges_directed.csv"))
    assert result.people.height == 28
    assert result.summary["edges"] == 40 and result.summary["events"] == 0
    kay = result.people.filter(pl.col("person_id") == "Kay").row(0, named=True)
    assert kay["degree"] == 24
    assert kay["betweenness"] == result.people["betweenness"].max()
    # no events: no harm, no violence, nobody exposed, no relations between groups
    assert result.people["harm_score"].sum() == 0
    assert not result.people["at_risk"].any()
    assert result.relations.height == 0
    assert result.groups.height >= 2


@needs_shared(REAL / "nyc_shootings_homicides")
def test_an_extract_of_events_only_is_analysed():
    # NYPD shootings 2019 (crimemappingdata): one row per victim, so an incident key can repeat
    rows = pl.read_csv(REAL / "nyc_shootings_homicides" / "nyc_shootings_2019.csv",
                       infer_schema=False)
    assert rows.height == 967
    events = rows.unique("incident_key", keep="first", maintain_order=True).select(
        pl.col("incident_key").alias("event_id"),
        pl.col("occur_date").str.to_datetime("%Y-%m-%d", time_zone="UTC").alias("occurred_at"),
        pl.col("latitude").cast(pl.Float64),
        pl.col("longitude").cast(pl.Float64),
    )
    result = analyse(Extract.from_frames(events=events))
    assert result.summary["events"] == rows["incident_key"].n_unique()
    assert result.summary["events_in_window"] == result.summary["events"]  # all in 2019
    assert result.people.height == 0 and result.groups.height == 0
    assert result.relations.height == 0

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
from deter.analysis.report import render_report
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
    assert kay["betweenness_raw"] == result.people["betweenness_raw"].max()
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


# The profile of a network-only extract: brokers named with published values, and disruption


def report_rows(html: str, caption: str) -> list[list[str]]:
    """The cells of the report table with this caption, row by row."""
    import re

    table = html[html.index(f"<caption>{caption}"):]
    table = table[: table.index("</table>")]
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row,
                                                                       re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", table[table.index("<tbody>"):], re.S)
    ]


@pytest.mark.parametrize(
    ("folder", "edges", "published"),
    [
        # Morselli (2009), Project Ciel wiretaps: N2 then N1, betweenness 0.64 and 0.59
        ("cielnet", "original_edges_directed.csv", {"N2": 0.64, "N1": 0.59}),
        # Operation Oversize wiretaps (Berlusconi et al. 2016): X49 (0.27), X9 (0.24)
        ("ndrangheta_oversize", "original_edges_undirected.csv", {"X49": 0.27, "X9": 0.24}),
        # Natarajan (2000): Kay, betweenness 0.89
        ("natarajan_cocaine", "original_edges_directed.csv", {"Kay": 0.89}),
    ],
)
def test_the_profile_of_a_wiretap_network_names_its_brokers(tmp_path, folder, edges, published):
    from deter.analysis.pipeline import write_outputs

    result = analyse(associations_only(folder, edges))
    assert not result.people["proposed"].any()  # no events: nobody is proposed
    write_outputs(result, tmp_path)
    html = (tmp_path / "report.html").read_text()
    assert "Nobody meets the selection criteria" in html
    rows = report_rows(html, "Brokers by normalised betweenness")
    for rank, (person, normalised) in enumerate(published.items()):
        assert rows[rank][1] == person
        assert float(rows[rank][4]) == pytest.approx(normalised, abs=0.005)
    people = pl.read_csv(tmp_path / "people.csv", schema_overrides={"person_id": pl.String})
    assert "betweenness" not in people.columns  # labelled: normalised and raw apart
    n = people.height
    for person, normalised in published.items():
        row = people.filter(pl.col("person_id") == person).row(0, named=True)
        assert row["betweenness_normalised"] == pytest.approx(normalised, abs=0.005)
        assert row["betweenness_raw"] == pytest.approx(
            row["betweenness_normalised"] * (n - 1) * (n - 2) / 2)


def networkx_disruption(graph, top: int) -> tuple[list, list]:
    """(at once, one at a time): (person removed, largest component after) per step, computed
    with networkx on the same links, ties to the smaller id."""
    import networkx as nx

    def ranked(g):
        values = nx.betweenness_centrality(g, normalized=False)
        return sorted(values, key=lambda v: (-round(values[v], 9), v)), values

    def largest(g):
        return max((len(c) for c in nx.connected_components(g)), default=0)

    whole = nx.Graph()
    whole.add_nodes_from(graph.vs["name"])
    whole.add_edges_from((graph.vs[a]["name"], graph.vs[b]["name"]) for a, b in
                         graph.get_edgelist())
    order, _ = ranked(whole)
    at_once, g = [], whole.copy()
    for person in order[:top]:
        g.remove_node(person)
        at_once.append((person, largest(g)))
    sequential, g = [], whole.copy()
    for _ in range(top):
        order, values = ranked(g)
        if values[order[0]] <= 0:
            break
        g.remove_node(order[0])
        sequential.append((order[0], largest(g)))
    return at_once, sequential


@pytest.mark.parametrize(
    ("folder", "edges"),
    [("cielnet", "original_edges_directed.csv"),
     ("ndrangheta_oversize", "original_edges_undirected.csv"),
     ("siren_auto_theft", "original_edges_undirected.csv"),
     ("drugnet_hartford", "network_edges.csv")],
)
def test_disruption_agrees_with_networkx(folder, edges):
    from deter.analysis.disruption import disruption

    graph = build_network(associations_only(folder, edges), AnalysisConfig())
    found = disruption(graph, 6)
    at_once, sequential = networkx_disruption(graph, 6)
    for strategy, expected in (("at_once", at_once), ("one_at_a_time", sequential)):
        steps = found.filter((pl.col("strategy") == strategy) & (pl.col("removed") > 0))
        assert list(steps.select("person_id", "largest_component").iter_rows()) == expected
    before = found.filter(pl.col("removed") == 0)["largest_component"]
    assert before.to_list() == [max(graph.connected_components().sizes())] * 2


def test_removing_two_brokers_breaks_project_ciel_apart():
    # Morselli (2009): the leader N2 and his lieutenant N1 hold the network together; without
    # them the 25 participants fall apart into pieces of at most 10
    result = analyse(associations_only("cielnet", "original_edges_directed.csv"))
    steps = result.disruption.filter(pl.col("strategy") == "one_at_a_time")
    assert steps["person_id"].to_list()[1:3] == ["N2", "N1"]
    assert steps["largest_component"].to_list()[:3] == [25, 19, 10]


def summits() -> Extract:
    """Operazione Infinito (Calderoni et al. 2017): 156 people x 47 summits, as the
    person-to-person links of a meetings network: one "meeting" association per pair of people
    at the same summit, dated by the summit (labels begin dd/mm/yyyy)."""
    folder = NETWORKS / "ndrangheta_infinito_summits"
    nodes = pl.read_csv(folder / "network_nodes.csv", infer_schema=False)
    attended = pl.read_csv(folder / "network_edges.csv", infer_schema=False).select(
        pl.col("source").alias("summit"), pl.col("target").alias("person_id")
    ).unique()
    pairs = attended.join(attended, on="summit").filter(
        pl.col("person_id") < pl.col("person_id_right"))
    return Extract.from_frames(
        people=nodes.filter(pl.col("type") == "False")
        .select(pl.col("name").alias("person_id")).unique(maintain_order=True),
        associations=pairs.select(
            pl.col("person_id").alias("person_a"), pl.col("person_id_right").alias("person_b"),
            pl.lit("meeting").alias("kind"),
            pl.col("summit").str.slice(0, 10).str.to_date("%d/%m/%Y", strict=False)
            .alias("observed_at"),
        ).unique(["person_a", "person_b", "kind", "observed_at"]),
    )


def test_meetings_between_groups_are_alliances():
    extract = summits()
    assert extract.people.height == 156
    result = analyse(extract)
    assert result.summary["events"] == 0 and result.groups.height >= 2
    alliances = result.relations.filter(pl.col("relation") == "alliance")
    assert alliances.height > 0 and result.summary["relations"]["alliances"] == alliances.height
    assert (alliances["basis"] == "association").all() and (alliances["events"] == 0).all()
    assert (alliances["association_links"] > 0).all()
    # not when meetings are left out of the alliance evidence
    plain = analyse(extract, AnalysisConfig(alliance_association_kinds=()))
    assert plain.relations.height == 0
    html = render_report(result)
    first = alliances.sort("weight", descending=True).row(0, named=True)
    assert f"{first['group_a']} – {first['group_b']}" in html
    assert f"{first['association_links']:,} recorded association links" in html
    # no group has harm: the circles are sized by members, not drawn with no area
    assert "area by members" in html


def test_a_network_only_profile_says_what_it_cannot_show():
    html = " ".join(render_report(analyse(
        associations_only("cielnet", "original_edges_directed.csv"))).split())
    assert 'aria-label="Hotspot map' not in html and 'aria-label="Harm by weekday' not in html
    assert 'aria-label="Concentration' not in html
    assert "no events (a network of people and their links only), so there are no places" in html
    assert "The extract has no events, so there is no pattern in time" in html
    assert "No harm to measure" in html
    assert "Peak hours" not in html
    assert "Nothing to compare: nobody has recorded offending" in html
    assert "<th>characteristic</th>" not in html  # no header-only table


def test_disruption_at_scale_removes_the_one_ranking_only():
    # with betweenness estimated (more linked people than exact_max_vertices), ranking again
    # after each removal would follow the sampling noise: only "at once" is run
    from deter.analysis.disruption import disruption

    graph = build_network(associations_only("drugnet_hartford", "network_edges.csv"),
                          AnalysisConfig())
    found = disruption(graph, 3, exact_max_vertices=50, samples=20)
    assert found["strategy"].unique().to_list() == ["at_once"] and found.height == 4
    assert found["largest_component"][0] == 193  # SOURCE.md: largest component 193

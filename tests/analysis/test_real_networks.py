"""Real criminal networks, loaded as extracts and checked against the facts in their SOURCE.md.

The data live outside the repository in ``../shared/data/real/networks`` (each folder's SOURCE.md
gives provenance, citation and licence); the tests skip when that folder is absent.

- London gang (Grund & Densley 2012, 2015): 54 members, 315 undirected valued ties
  (1 hang out, 2 co-offend, 3 co-offend serious crime, 4 serious crime + kin).
- Montreal street gangs (Descormiers & Morselli 2011): 35 gangs, 153 directed alliance arcs,
  78 undirected ties, 2 isolates.  The nodes are gangs, not people; they go through the people
  network builder as if they were, which is what the facts test.
- St. Louis crime events (Rosenfeld & White; UCI/Freeman collection): 870 participants, 557 crime
  events, roles victim / suspect / witness / both victim and suspect.
"""

import itertools
from collections import Counter
from datetime import UTC, datetime

import igraph as ig
import polars as pl
import pytest

from deter.analysis.config import AnalysisConfig
from deter.analysis.extract import Extract
from deter.analysis.network import build_network
from deter.analysis.pipeline import analyse
from shared_data import needs_shared, shared_path

NETWORKS = shared_path("networks")
pytestmark = needs_shared(NETWORKS)
LONDON_TIES = {1: "hang out", 2: "co-offend", 3: "co-offend serious", 4: "co-offend serious kin"}
ST_LOUIS_ROLES = {1: ["victim"], 2: ["suspect"], 3: ["witness"], 4: ["victim", "suspect"]}


def read(folder: str, name: str) -> pl.DataFrame:
    return pl.read_csv(NETWORKS / folder / name, infer_schema=False)


def london() -> Extract:
    nodes = read("london_gang", "network_nodes.csv")
    ties = read("london_gang", "original_edges_undirected.csv")
    return Extract.from_frames(
        people=nodes.select(pl.col("name").alias("person_id")),
        associations=ties.select(
            pl.col("source").alias("person_a"),
            pl.col("target").alias("person_b"),
            pl.col("weight").cast(pl.Int64).replace_strict(LONDON_TIES).alias("kind"),
            pl.col("weight").cast(pl.Float64),
            pl.lit("Grund & Densley, London gang").alias("source"),
        ),
    )


def montreal() -> Extract:
    nodes = read("montreal_street_gangs", "network_nodes.csv")
    arcs = read("montreal_street_gangs", "original_edges_directed.csv")
    return Extract.from_frames(
        people=nodes.select(pl.col("name").alias("person_id")),
        associations=arcs.select(
            pl.col("source").alias("person_a"),
            pl.col("target").alias("person_b"),
            pl.lit("alliance").alias("kind"),
        ),
    )


def st_louis() -> Extract:
    """Event ids are six digits whose first two are the year (92-97): dated 1 January."""
    nodes = read("stlouis_crime_events", "network_nodes.csv")
    links = read("stlouis_crime_events", "network_edges.csv")
    events = (
        nodes.filter(pl.col("type") == "True")
        .select(pl.col("name").alias("event_id"))
        .unique(maintain_order=True)
        .with_columns(
            pl.concat_str(pl.lit("19"), pl.col("event_id").str.slice(0, 2), pl.lit("-01-01"))
            .str.to_datetime("%Y-%m-%d", time_zone="UTC")
            .alias("occurred_at")
        )
    )
    involvements = (
        links.select(
            pl.col("source").alias("event_id"),
            pl.col("target").alias("person_id"),
            pl.col("weight").cast(pl.Float64).cast(pl.Int64)
            .replace_strict(ST_LOUIS_ROLES, return_dtype=pl.List(pl.String)).alias("role"),
        )
        .explode("role")
    )
    people = nodes.filter(pl.col("type") == "False").select(pl.col("name").alias("person_id"))
    return Extract.from_frames(people=people, events=events, involvements=involvements)


EVERYTHING = AnalysisConfig(window_days=100 * 365)


# London gang


def test_london_gang_network_has_the_published_size():
    graph = build_network(london(), AnalysisConfig())
    assert graph.vcount() == 54
    assert graph.ecount() == 315  # 630 non-zero cells of the symmetric matrix
    assert graph.density() == pytest.approx(315 / (54 * 53 / 2))
    assert graph.is_connected()
    # edge weight = tie value; the tie-value distribution survives the loader
    assert Counter(graph.es["weight"]) == {1.0: 182, 2.0: 92, 3.0: 25, 4.0: 16}
    # computed in SOURCE.md: members 1, 12 and 7 have the highest degree, 25
    degree = dict(zip(graph.vs["name"], graph.degree(), strict=True))
    assert max(degree.values()) == 25
    assert {name for name, d in degree.items() if d == 25} == {"1", "12", "7"}


def test_london_gang_co_offending_ties_by_kind_weight():
    # weighting "hang out" at zero keeps the co-offending ties only (values 2-4)
    config = AnalysisConfig(association_weights={"hang out": 0.0, "co-offend serious kin": 2.0})
    graph = build_network(london(), config)
    assert graph.ecount() == 92 + 25 + 16
    assert "hang out" not in set(graph.es["kinds"])
    assert Counter(graph.es["weight"])[8.0] == 16  # kin ties: value 4 x kind weight 2


def test_london_gang_analysis_groups_everyone():
    result = analyse(london())
    assert result.people.height == 54
    assert result.summary["edges"] == 315
    assert 2 <= result.groups.height <= 10
    assert result.groups["size"].sum() == 54  # one component, no small leftovers
    # the reported modularity is the weighted modularity of the reported partition, computed
    # here independently from the raw file
    raw = read("london_gang", "original_edges_undirected.csv")
    graph = ig.Graph.TupleList(
        raw.select("source", "target", pl.col("weight").cast(pl.Float64)).iter_rows(),
        weights=True,
    )
    group = dict(result.people.select("person_id", "group_id").iter_rows())
    labels = sorted(set(group.values()))
    membership = [labels.index(group[name]) for name in graph.vs["name"]]
    assert graph.modularity(membership, weights="weight") == pytest.approx(
        result.summary["modularity"], abs=1e-6
    )
    assert result.summary["modularity"] > 0.3
    # no events: nothing to score, everyone ties at 0 and degree breaks the tie
    assert result.summary["events"] == 0 and result.summary["as_of"] is None
    assert result.people["person_id"].head(3).to_list() == ["1", "12", "7"]


# Montreal street gangs


def test_montreal_street_gangs_network_has_the_published_size():
    graph = build_network(montreal(), AnalysisConfig())
    assert graph.vcount() == 35
    # 153 directed arcs collapse to the 78 undirected ties of the networkdata version
    assert graph.ecount() == 78
    assert sorted(v["name"] for v in graph.vs if v.degree() == 0) == ["Bronx", "V_Block"]
    components = graph.connected_components()
    assert len(components) == 4 and max(components.sizes()) == 29
    degree = dict(zip(graph.vs["name"], graph.degree(), strict=True))
    assert degree["BMF"] == 18 and degree["13th"] == 15 and degree["18th"] == 15
    assert max(degree.values()) == 18


def test_montreal_groups_stay_within_components():
    result = analyse(montreal())
    graph = result.graph
    component = dict(
        zip(graph.vs["name"], graph.connected_components().membership, strict=True)
    )
    grouped = result.people.filter(pl.col("group_id").is_not_null())
    for group_id, members in grouped.group_by("group_id"):
        assert len({component[p] for p in members["person_id"]}) == 1, group_id
    by_person = dict(result.people.select("person_id", "group_id").iter_rows())
    assert by_person["Bronx"] is None and by_person["V_Block"] is None
    # the 29-gang component is split into several groups
    giant = max(set(component.values()), key=list(component.values()).count)
    assert len({by_person[p] for p, c in component.items() if c == giant}) >= 2


# St. Louis crime events


def test_st_louis_extract_has_the_published_counts():
    ex = st_louis()
    assert ex.people.height == 870
    # 557 event vertices, two of whose ids (960247, 960267) occur twice
    assert ex.events.height == 557 - 2
    roles = Counter(ex.involvements["role"])
    # role appearances as documented: victim 569, suspect 682, witness 195, dual 41;
    # a dual appearance is one victim and one suspect involvement
    assert roles == {"victim": 569 + 41, "suspect": 682 + 41, "witness": 195}
    assert ex.involvements.height == 1487 + 41


def test_st_louis_co_offending_network_matches_a_direct_count():
    ex = st_louis()
    graph = build_network(ex, EVERYTHING)
    assert graph.vcount() == 870
    suspects: dict[str, set[str]] = {}
    for event, person, weight in read("stlouis_crime_events", "network_edges.csv").iter_rows():
        if weight in ("2.0", "4.0"):
            suspects.setdefault(event, set()).add(person)
    pairs = Counter(
        pair for people in suspects.values() for pair in itertools.combinations(sorted(people), 2)
    )
    got = {
        tuple(sorted((graph.vs[e.source]["name"], graph.vs[e.target]["name"]))): e["weight"]
        for e in graph.es
    }
    assert got == {pair: float(n) for pair, n in pairs.items()}
    assert set(graph.es["kinds"]) == {"co-offending"}
    # victims and witnesses never link: the full person x event projection has more pairs
    everyone: dict[str, set[str]] = {}
    for event, person, _ in read("stlouis_crime_events", "network_edges.csv").iter_rows():
        everyone.setdefault(event, set()).add(person)
    all_pairs = {
        pair for people in everyone.values() for pair in itertools.combinations(sorted(people), 2)
    }
    assert len(all_pairs) > len(got)


def test_st_louis_analysis_reports_unweighted_events():
    ex = st_louis()
    result = analyse(ex, EVERYTHING)
    assert result.summary["as_of"] == datetime(1997, 1, 1, tzinfo=UTC).isoformat()
    assert result.summary["events_in_window"] == 555
    # no offence codes or categories in this data: every event is reported as unweighted
    assert result.summary["events_unweighted"] == 555
    assert result.summary["unweighted_offences"] == [
        {"offence_code": None, "offence_category": None, "events": 555}
    ]
    assert result.people.height == 870
    assert result.people["harm_score"].sum() == 0
    assert result.people["offence_count"].sum() == len(
        ex.involvements.filter(pl.col("role") == "suspect").unique(["event_id", "person_id"])
    )
    assert result.groups.height > 0
    assert result.groups["size"].min() >= 3
    # the default three-year window keeps only the 1994-1997 events
    recent = analyse(ex)
    assert 0 < recent.summary["events_in_window"] < 555

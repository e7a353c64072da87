"""The comparison pipeline: Deter's analysis steps as a capable analyst would write them with
pandas and networkx.

Straightforward and idiomatic, not deliberately slow: vectorised pandas for the tables
(``merge``, ``groupby``, ``map``), networkx for the graph.  It does the same work as
``deter.analysis`` on the same Parquet extract, with the same settings as ``AnalysisConfig()``:

* harm per person: the CCHI days of each event's Home Office offence code (from Deter's own table
  file ``harm_cchi_2026.csv``), falling back to its police.uk category
  (``harm_cchi_2026_by_policeuk_category.csv``), else 0; events at most 3 years before the latest
  event, decayed by ``0.5 ** (age_days / 365)``; offender harm over suspect/offender roles and
  victim harm over victim roles, one term per person, event and side;
* the people network: co-offending (a self-merge on ``event_id`` of suspect/offender
  involvements; weight = shared events) plus recorded associations in the window (weight column,
  1.0 when blank), every person named in the extract a node;
* groups: ``networkx.community.louvain_communities(core, weight="weight", seed=1)`` on the
  people in components of three or more (a copy of that subgraph): a smaller component cannot
  hold a group, and 93% of a force's people are in one (most of them alone), so, as Deter
  does, Louvain skips them; a community above 100 people is split again by Louvain, as
  Deter's ``max_group_size`` does, and communities of three to 100 are the groups;
* sampled betweenness: ``networkx.betweenness_centrality(core, k=K, seed=1)`` over the same
  people, the vertices Deter samples its sources from, on a copy of the subgraph (a
  ``subgraph`` view filters every neighbour lookup, a third slower).

What it leaves out, in Deter's favour: it validates nothing (Deter's ``read_extract`` checks
every key, reference and value), and it does no ranking, RFGV scoring or selection.
``tests/test_benchmark_equivalence.py`` checks that its harm scores and edges equal Deter's.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

DATA = Path(__file__).resolve().parents[1] / "src" / "deter" / "analysis" / "data"
TABLES = ("people", "events", "involvements", "associations", "groups", "memberships")
OFFENDING_ROLES = ("suspect", "offender")
WINDOW_DAYS = 3 * 365
HALF_LIFE_DAYS = 365.0
BETWEENNESS_SAMPLES = 256  # Deter's default: AnalysisConfig().betweenness_samples
MIN_COMPONENT = 3  # Deter's min_group_size: smaller components hold no group
MAX_GROUP_SIZE = 100  # Deter's max_group_size: a larger community is split again


def read_tables(folder: str | Path) -> dict[str, pd.DataFrame]:
    """Every table's Parquet file in ``folder`` (an absent table is an empty frame)."""
    folder = Path(folder)
    return {
        name: pd.read_parquet(folder / f"{name}.parquet")
        if (folder / f"{name}.parquet").exists()
        else pd.DataFrame()
        for name in TABLES
    }


def harm_weights() -> tuple[dict[str, float], dict[str, float]]:
    """CCHI days by Home Office offence code and by police.uk category (lower case)."""
    codes = pd.read_csv(DATA / "harm_cchi_2026.csv", dtype={"offence_code": str})
    categories = pd.read_csv(DATA / "harm_cchi_2026_by_policeuk_category.csv")
    by_code = dict(zip(codes["offence_code"].str.strip().str.upper(), codes["cchi_days"],
                       strict=True))
    by_category = dict(zip(categories["policeuk_category"].str.lower(),
                           categories["cchi_days"], strict=True))
    return by_code, by_category


def windowed_events(events: pd.DataFrame) -> pd.DataFrame:
    """Events at most ``WINDOW_DAYS`` before the latest one, with ``age_days`` and ``decay``."""
    as_of = events["occurred_at"].max()
    age = (as_of - events["occurred_at"]) / pd.Timedelta(days=1)
    events = events.assign(age_days=age)
    events = events[(events["age_days"] >= 0) & (events["age_days"] <= WINDOW_DAYS)]
    return events.assign(decay=0.5 ** (events["age_days"] / HALF_LIFE_DAYS))


def harm_per_person(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """person_id, harm_score, victim_harm_score, offence_count, victimisation_count."""
    by_code, by_category = harm_weights()
    events = windowed_events(tables["events"])
    weight = events["offence_code"].str.strip().str.upper().map(by_code)
    weight = weight.fillna(events["offence_category"].str.lower().str.strip().map(by_category))
    events = events.assign(harm_weight=weight.fillna(0.0).astype(float))
    involvements = tables["involvements"]
    role = involvements["role"]
    side = np.select(
        [role.isin(OFFENDING_ROLES), role == "victim"], ["offender", "victim"], default=""
    )
    scored = (
        involvements.assign(side=side)
        .query("side != ''")
        .drop_duplicates(["person_id", "event_id", "side"])
        .merge(events[["event_id", "harm_weight", "decay"]], on="event_id", how="inner")
    )
    scored["contribution"] = scored["harm_weight"] * scored["decay"]
    sums = (
        scored.groupby(["person_id", "side"])["contribution"].agg(["sum", "count"])
        .unstack("side", fill_value=0)
        .reindex(columns=pd.MultiIndex.from_product([["sum", "count"], ["offender", "victim"]]),
                 fill_value=0)
    )
    return pd.DataFrame(
        {
            "harm_score": sums[("sum", "offender")],
            "victim_harm_score": sums[("sum", "victim")],
            "offence_count": sums[("count", "offender")],
            "victimisation_count": sums[("count", "victim")],
        }
    ).reset_index()


def co_offending_edges(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """a, b (person ids, a < b), shared_events: pairs both suspect/offender on a windowed event."""
    events = windowed_events(tables["events"])
    involvements = tables["involvements"]
    offending = involvements[
        involvements["role"].isin(OFFENDING_ROLES)
        & involvements["event_id"].isin(events["event_id"])
    ][["event_id", "person_id"]].drop_duplicates()
    pairs = offending.merge(offending, on="event_id", suffixes=("_a", "_b"))
    pairs = pairs[pairs["person_id_a"] < pairs["person_id_b"]]
    return (
        pairs.groupby(["person_id_a", "person_id_b"]).size().rename("shared_events")
        .reset_index().rename(columns={"person_id_a": "a", "person_id_b": "b"})
    )


def association_edges(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """a, b (a < b), weight: summed associations observed in the window (or undated)."""
    associations = tables["associations"]
    as_of = tables["events"]["occurred_at"].max()
    start = (as_of - pd.Timedelta(days=WINDOW_DAYS)).tz_localize(None).normalize()
    end = as_of.tz_localize(None).normalize()
    observed = pd.to_datetime(associations["observed_at"])
    keep = observed.isna() | ((observed >= start) & (observed <= end))
    associations = associations[keep & (associations["person_a"] != associations["person_b"])]
    first = associations["person_a"] < associations["person_b"]
    a = associations["person_a"].where(first, associations["person_b"])
    b = associations["person_b"].where(first, associations["person_a"])
    return (
        pd.DataFrame({"a": a, "b": b, "weight": associations["weight"].fillna(1.0)})
        .groupby(["a", "b"], as_index=False)["weight"].sum()
    )


def people_network(tables: dict[str, pd.DataFrame]) -> nx.Graph:
    """Every person named in the extract, linked by co-offending and associations."""
    co = co_offending_edges(tables)
    edges = pd.concat(
        [co.assign(weight=co["shared_events"].astype(float))[["a", "b", "weight"]],
         association_edges(tables)]
    ).groupby(["a", "b"], as_index=False)["weight"].sum()
    edges = edges[edges["weight"] > 0]
    people = pd.concat(
        [tables["people"]["person_id"], tables["involvements"]["person_id"],
         tables["associations"]["person_a"], tables["associations"]["person_b"],
         tables["memberships"]["person_id"]]
    ).dropna().unique()
    graph = nx.Graph()
    graph.add_nodes_from(people)
    graph.add_weighted_edges_from(edges.itertuples(index=False, name=None))
    return graph


def core_network(graph: nx.Graph) -> nx.Graph:
    """A copy of the subgraph of the people in components of ``MIN_COMPONENT`` or more."""
    return graph.subgraph(
        node for part in nx.connected_components(graph) if len(part) >= MIN_COMPONENT
        for node in part
    ).copy()


def louvain_groups(core: nx.Graph, seed: int = 1) -> dict[str, int]:
    """person_id -> group number.  As Deter's method says: a community above
    ``MAX_GROUP_SIZE`` is split again by Louvain on its own subgraph (one that cannot be split
    is a loose network, no group), and communities of ``MIN_COMPONENT`` to ``MAX_GROUP_SIZE``
    people are the groups."""
    groups: list[set] = []
    queue = list(nx.community.louvain_communities(core, weight="weight", seed=seed))
    while queue:
        community = queue.pop()
        if len(community) <= MAX_GROUP_SIZE:
            groups.append(community)
            continue
        parts = nx.community.louvain_communities(
            core.subgraph(community), weight="weight", seed=seed
        )
        if len(parts) > 1:
            queue.extend(parts)
    big = (g for g in groups if len(g) >= MIN_COMPONENT)
    return {person: number for number, members in enumerate(big) for person in members}


def sampled_betweenness(
    core: nx.Graph, k: int = BETWEENNESS_SAMPLES, seed: int = 1
) -> dict[str, float]:
    """Betweenness from ``k`` sampled sources (exact when ``k`` covers everyone), on Deter's
    scale: unnormalised, each unordered pair once, a sample scaled up by n/k."""
    n = core.number_of_nodes()
    return nx.betweenness_centrality(
        core, k=None if k >= n else k, seed=seed, normalized=False
    )


def run(
    folder: str | Path,
    k: int = BETWEENNESS_SAMPLES,
    report: Callable[[dict[str, float]], None] | None = None,
    outputs: dict | None = None,
) -> dict[str, float]:
    """The whole pipeline on the Parquet extract in ``folder``: seconds per step.

    ``report`` is called with the seconds so far after every step, so a run stopped by a
    timeout still tells which steps finished and how long they took.  ``outputs``, when
    given, receives the ``groups`` (person -> group) and ``betweenness`` (person -> value).
    """
    seconds: dict[str, float] = {}
    started = time.perf_counter()

    def step(name: str) -> None:
        nonlocal started
        now = time.perf_counter()
        seconds[name] = round(now - started, 3)
        started = now
        if report:
            report(dict(seconds))

    tables = read_tables(folder)
    step("read")
    harm_per_person(tables)
    step("harm")
    graph = people_network(tables)
    step("network")
    core = core_network(graph)
    groups = louvain_groups(core)
    step("groups")
    betweenness = sampled_betweenness(core, k)
    step("betweenness")
    if outputs is not None:
        outputs.update(groups=groups, betweenness=betweenness)
    seconds["total"] = round(sum(seconds.values()), 3)
    return seconds

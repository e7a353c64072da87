"""Key players: who holds the network together, who bridges groups, and whom to call in.

Per person (``key_players``):

* ``degree``: how many people they are linked to; ``strength``: the summed link weight.
* ``betweenness``: on how many shortest paths between two other people they lie (Freeman; each
  unordered pair counted once, paths split evenly when several are shortest; links unweighted).
  Exact (Brandes' algorithm) when the people in components of three or more number at most
  ``exact_max_vertices``; beyond that it is *estimated* from ``samples`` source people drawn at
  random (seeded) from those components: the betweenness counted over paths from the sampled
  sources only, times n/k (n people in those components, k sampled).  The estimate is unbiased
  (Brandes & Pich 2007) but noisy, the more so the larger n is against k: on the force-scale
  synthetic extract (60,000 such people, 256 sources) the highest values were off by about a
  third, and 87 of the estimated top 100 were in the top 500 of a 4,096-source estimate.  It
  picks out the high-betweenness few, not their order; raise ``samples`` for more precision
  (time grows in proportion: about 1 s per 100 sources there).
* ``betweenness_normalised``: the same divided by the number of pairs of other people,
  ``(n - 1)(n - 2) / 2`` for the ``n`` people in the graph (Freeman 1977; what UCINET and networkx
  report as normalised betweenness): the share of all pairs of others whose shortest paths run
  through the person, from 0 to 1 (1 for the centre of a star).  Estimated when ``betweenness``
  is.
* ``broker_groups``: how many groups, other than their own, they are directly linked to.
* ``participation``: the participation coefficient (Guimera & Amaral 2005),
  ``1 - sum over groups s of (k_s / k)**2`` where ``k`` counts their links to people in a group
  (their own included) and ``k_s`` those into group ``s``: 0 when all their links into groups go
  into one group, towards 1 the more evenly they spread over many.  Links to people in no group
  are left out; with none it is 0.

Per group (``reach_sets``): a small set of members such that every member is in the set or
directly linked to someone in it, counting only links between members (a dominating set of the
group's own network): the people to invite to a call-in so that the message can reach everyone
through someone they know.  A smallest such set is NP-hard to find, so it is built greedily: take
the member linked to the most members not yet reached (ties: more links in the group, then the
smaller id) until all are reached.  The greedy set is at most about ln(size) + 1 times the size of
the smallest (Johnson 1974), and usually close to it.  A member with no link to any other member
is always in the set.

Caveats: centrality follows the recorded links, so it reflects police attention as well as real
position; a broker may simply be better known to the police.
"""

from __future__ import annotations

from dataclasses import dataclass

import igraph as ig
import numpy as np
import polars as pl
import scipy.sparse as sp

from deter.analysis.prepared import component_sizes, connected_components

KEY_PLAYER_COLUMNS = (
    "person_id", "group_id", "degree", "strength", "betweenness", "betweenness_normalised",
    "broker_groups", "participation",
)
REACH_COLUMNS = ("group_id", "size", "reach_set", "reach_set_size")


@dataclass
class KeyPlayers:
    """``people``: ``KEY_PLAYER_COLUMNS``, one row per vertex in vertex order.
    ``betweenness_exact``: False when betweenness was estimated from ``betweenness_sources``
    sampled sources among ``betweenness_vertices`` people (those in components of 3 or more)."""

    people: pl.DataFrame
    betweenness_exact: bool
    betweenness_sources: int
    betweenness_vertices: int


def key_players(
    graph: ig.Graph,
    membership: pl.DataFrame,
    *,
    exact_max_vertices: int = 5_000,
    samples: int = 256,
    seed: int = 1,
    components: np.ndarray | None = None,
) -> KeyPlayers:
    """Degree, strength, betweenness and brokerage of every person in ``graph``.

    ``membership``: person_id, group_id (null = no group), at most one row per person, e.g.
    ``find_groups(...).membership``; people of the graph missing from it are in no group.
    ``components``: each vertex's connected component, when already known.
    """
    if exact_max_vertices < 0:
        raise ValueError("exact_max_vertices must not be negative")
    if samples < 1:
        raise ValueError("samples must be at least 1")
    groups = vertex_groups(graph, membership)
    degree = np.asarray(graph.degree(), dtype=np.int64)
    weights = graph.es["weight"] if "weight" in graph.es.attributes() else None
    strength = np.asarray(graph.strength(weights=weights), dtype=np.float64)
    betweenness, sources, vertices = _betweenness(
        graph, exact_max_vertices, samples, seed, components
    )
    brokerage = _brokerage(graph, groups)
    people = pl.DataFrame(
        {
            "person_id": pl.Series(vertex_names(graph), dtype=pl.String),
            "group_id": groups,
            "degree": degree,
            "strength": strength,
            "betweenness": betweenness,
        },
        schema={"person_id": pl.String, "group_id": pl.String, "degree": pl.Int64,
                "strength": pl.Float64, "betweenness": pl.Float64},
    ).with_columns(
        (pl.col("betweenness") / freeman_pairs(graph.vcount())).alias("betweenness_normalised"),
        *brokerage,
    )
    return KeyPlayers(
        people=people.select(KEY_PLAYER_COLUMNS),
        betweenness_exact=sources == vertices,
        betweenness_sources=sources,
        betweenness_vertices=vertices,
    )


def freeman_pairs(n: int) -> float:
    """Freeman's normaliser of betweenness for ``n`` people: the pairs of other people,
    ``(n - 1)(n - 2) / 2`` (1 when there are fewer than three, whose betweenness is 0)."""
    return max((n - 1) * (n - 2) / 2, 1.0)


def vertex_names(graph: ig.Graph) -> list[str]:
    """The ``name`` of each vertex (the person id), or its index when unnamed."""
    if "name" in graph.vs.attributes():
        return [str(name) for name in graph.vs["name"]]
    return [str(i) for i in range(graph.vcount())]


def vertex_groups(graph: ig.Graph, membership: pl.DataFrame) -> pl.Series:
    """The group of each vertex of ``graph`` (null = none), from a membership frame."""
    missing = [c for c in ("person_id", "group_id") if c not in membership.columns]
    if missing:
        raise ValueError(f"membership frame lacks column(s) {', '.join(missing)}")
    grouped = membership.select("person_id", pl.col("group_id").cast(pl.String)).drop_nulls()
    twice = grouped.filter(pl.col("person_id").is_duplicated())
    if twice.height:
        raise ValueError(
            f"membership gives person {twice['person_id'][0]!r} more than one group; "
            "key players need one group (or none) per person"
        )
    names = pl.DataFrame({"person_id": vertex_names(graph)}, schema={"person_id": pl.String})
    return names.join(grouped, on="person_id", how="left", maintain_order="left")["group_id"]


def raw_betweenness(
    graph: ig.Graph, *, exact_max_vertices: int = 5_000, samples: int = 256, seed: int = 1,
) -> tuple[np.ndarray, bool]:
    """(Freeman's betweenness per vertex, unnormalised, as ``key_players`` computes it; whether
    it is exact rather than estimated from ``samples`` sources)."""
    values, sources, vertices = _betweenness(graph, exact_max_vertices, samples, seed, None)
    return values, sources == vertices


def _betweenness(
    graph: ig.Graph, exact_max_vertices: int, samples: int, seed: int,
    components: np.ndarray | None,
) -> tuple[np.ndarray, int, int]:
    """(betweenness per vertex, sources used, vertices in components of 3 or more)."""
    result = np.zeros(graph.vcount())
    if graph.ecount() == 0:
        return result, 0, 0
    if components is None:
        components = connected_components(graph)
    # a vertex in a component of one or two lies between no pair: leave those out
    candidates = np.flatnonzero(component_sizes(components) >= 3)
    n = candidates.size
    if n == 0:
        return result, 0, 0
    core = graph.induced_subgraph(candidates.tolist(), implementation="create_from_scratch")
    if n <= exact_max_vertices or samples >= n:
        result[candidates] = core.betweenness(directed=False)
        return result, n, n
    rng = np.random.default_rng(seed)
    sources = np.sort(rng.choice(n, size=samples, replace=False))
    # igraph counts each source's paths once (half of each unordered pair): scaling by n/k
    # gives an unbiased estimate of the exact value
    partial = np.asarray(core.betweenness(directed=False, sources=sources.tolist()))
    result[candidates] = partial * (n / samples)
    return result, samples, n


def _incidences(graph: ig.Graph) -> tuple[np.ndarray, np.ndarray]:
    """Every edge in both directions: (from, to) vertex index arrays."""
    edges = np.asarray(graph.get_edgelist(), dtype=np.int64).reshape(-1, 2)
    return (
        np.concatenate([edges[:, 0], edges[:, 1]]),
        np.concatenate([edges[:, 1], edges[:, 0]]),
    )


def _brokerage(graph: ig.Graph, groups: pl.Series) -> list[pl.Series]:
    """broker_groups and participation per vertex, in vertex order."""
    source, target = _incidences(graph)
    group_of = groups.to_frame("group").with_row_index("v")
    links = (
        pl.DataFrame({"v": source, "u": target}, schema={"v": pl.UInt32, "u": pl.UInt32})
        .join(group_of.rename({"v": "u", "group": "neighbour_group"}), on="u", how="left")
        .join(group_of, on="v", how="left")
        .filter(pl.col("neighbour_group").is_not_null())
    )
    per_group = links.group_by("v", "neighbour_group").agg(
        pl.len().alias("k_s"), pl.col("group").first()
    )
    summary = per_group.group_by("v").agg(
        (
            1.0 - ((pl.col("k_s") / pl.col("k_s").sum()) ** 2).sum()
        ).alias("participation"),
        (pl.col("neighbour_group") != pl.col("group")).fill_null(True).sum()
        .cast(pl.Int64).alias("broker_groups"),
    )
    every = group_of.select("v").join(summary, on="v", how="left", maintain_order="left")
    return [
        every["broker_groups"].fill_null(0),
        every["participation"].fill_null(0.0).clip(lower_bound=0.0),
    ]


def reach_sets(graph: ig.Graph, membership: pl.DataFrame) -> pl.DataFrame:
    """Per group, the greedy reach set: ``REACH_COLUMNS``, ``reach_set`` comma-joined person
    ids in the order they were chosen (the widest reach first), sorted by group id."""
    groups = vertex_groups(graph, membership)
    names = np.asarray(vertex_names(graph), dtype=object)
    grouped = np.flatnonzero(groups.is_not_null().to_numpy())
    schema = {"group_id": pl.String, "size": pl.Int64, "reach_set": pl.String,
              "reach_set_size": pl.Int64}
    if grouped.size == 0:
        return pl.DataFrame(schema=schema)
    # local index 0..m-1 over grouped vertices, ordered by group so each group is one segment
    labels = groups.to_numpy()[grouped].astype(str)
    order = np.lexsort((names[grouped].astype(str), labels))
    vertices, labels = grouped[order], labels[order]
    m = vertices.size
    local = np.full(graph.vcount(), -1, dtype=np.int64)
    local[vertices] = np.arange(m)
    source, target = _incidences(graph)
    a, b = local[source], local[target]
    inside = (a >= 0) & (b >= 0)
    a, b = a[inside], b[inside]
    inside = labels[a] == labels[b]
    a, b = a[inside], b[inside]
    within_degree = np.bincount(a, minlength=m)
    # the closed neighbourhood within the group: each member reaches itself and its neighbours
    rows, columns = np.concatenate([a, np.arange(m)]), np.concatenate([b, np.arange(m)])
    reach = sp.csr_matrix((np.ones(rows.size), (rows, columns)), shape=(m, m))
    reach.data[:] = 1.0
    starts = np.flatnonzero(np.r_[True, labels[1:] != labels[:-1]])
    segment = np.repeat(np.arange(starts.size), np.diff(np.r_[starts, m]))
    # ties: more links within the group, then the smaller id (earlier in the segment)
    tie = np.lexsort((-np.arange(m), within_degree))
    tie_rank = np.empty(m, dtype=np.int64)
    tie_rank[tie] = np.arange(m)
    uncovered = np.ones(m)
    picks: list[np.ndarray] = []
    while True:
        gain = (reach @ uncovered).astype(np.int64)
        key = gain * m + tie_rank
        best = np.maximum.reduceat(key, starts)
        active = best // m > 0
        if not active.any():
            break
        chosen = np.flatnonzero((key == best[segment]) & active[segment])
        picks.append(chosen)
        uncovered[reach[chosen].indices] = 0.0
    picked = np.concatenate(picks) if picks else np.zeros(0, dtype=np.int64)
    step = np.concatenate([np.full(p.size, i) for i, p in enumerate(picks)]) if picks else picked
    chosen_frame = pl.DataFrame(
        {"group_id": labels[picked], "person_id": names[vertices[picked]].astype(str),
         "step": step},
        schema={"group_id": pl.String, "person_id": pl.String, "step": pl.Int64},
    )
    sizes = pl.DataFrame({"group_id": labels}).group_by("group_id").agg(
        pl.len().cast(pl.Int64).alias("size")
    )
    sets = chosen_frame.sort("step").group_by("group_id", maintain_order=True).agg(
        pl.col("person_id").str.join(",").alias("reach_set"),
        pl.len().cast(pl.Int64).alias("reach_set_size"),
    )
    return sizes.join(sets, on="group_id", how="left").select(REACH_COLUMNS).sort("group_id")

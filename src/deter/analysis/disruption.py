"""Disruption: how far the network falls apart when its brokers are taken out of it.

Network-disruption studies of criminal networks (e.g. Duijn, Kashirin & Sloot 2014; Bright,
Greenhill, Britz, Ritter & Morselli 2017) remove the people with the highest betweenness and
watch the largest connected component shrink: the fewer removals it takes to break the network
into pieces, the more it depends on a few brokers.  Two strategies, both here:

* **at once** (``"at_once"``): rank everyone by betweenness in the whole network once and
  remove the top 1, 2, ... ``top`` of that one ranking;
* **one at a time** (``"one_at_a_time"``): remove the person with the highest betweenness,
  compute betweenness again on what remains, remove the highest of the new ranking, and so on,
  so that a second broker who only becomes critical once the first is gone is found.

Betweenness is Freeman's, unweighted, computed as in ``deter.analysis.keyplayers`` (exact up to
``exact_max_vertices`` people in linked components, estimated from ``samples`` sources beyond);
ties go to the smaller person id.  After a removal it is computed again only in the component
the person was in: no one else's shortest paths ran through them.  Where betweenness is
estimated (more than ``exact_max_vertices`` linked people), only the "at once" strategy is
run: ranking again on a fresh estimate would follow its sampling noise, and each estimate costs
about 10 s at force scale (where, besides, removing five people out of 57,721 in the largest
component leaves 99.9% of it).  Removing a person removes their links; nothing is re-linked.
``disruption`` returns ``DISRUPTION_COLUMNS``: per strategy one row with nobody removed
(``removed`` 0) and one per removal, ``person_id`` the person removed at that step,
``betweenness_normalised`` their betweenness in the ranking that chose them,
``largest_component`` the people in the largest connected component afterwards,
``largest_share`` that as a share of the largest component before any removal, and
``components`` the connected components of two or more people left.

Removing someone from a graph is a thought experiment about the recorded links: arrest or
diversion rarely takes a person out of every relationship, and the recorded network is partial.
"""

from __future__ import annotations

import igraph as ig
import numpy as np
import polars as pl
import scipy.sparse as sp
from scipy.sparse import csgraph

from deter.analysis.keyplayers import freeman_pairs, raw_betweenness, vertex_names

AT_ONCE, ONE_AT_A_TIME = "at_once", "one_at_a_time"
DISRUPTION_COLUMNS = (
    "strategy", "removed", "person_id", "betweenness_normalised", "largest_component",
    "largest_share", "components",
)
DISRUPTION_SCHEMA = {
    "strategy": pl.String, "removed": pl.Int64, "person_id": pl.String,
    "betweenness_normalised": pl.Float64, "largest_component": pl.Int64,
    "largest_share": pl.Float64, "components": pl.Int64,
}


def disruption(
    graph: ig.Graph,
    top: int = 5,
    *,
    betweenness: np.ndarray | None = None,
    exact_max_vertices: int = 5_000,
    samples: int = 256,
    seed: int = 1,
) -> pl.DataFrame:
    """The largest component after removing the ``top`` brokers at once and one at a time.

    ``betweenness``: the whole network's raw betweenness per vertex, when already computed (the
    key players'), so the first ranking is not computed twice.
    """
    if top < 0:
        raise ValueError("top must not be negative")
    if graph.ecount() == 0 or top == 0:
        return pl.DataFrame(schema=DISRUPTION_SCHEMA)
    settings = {"exact_max_vertices": exact_max_vertices, "samples": samples, "seed": seed}
    if betweenness is None:
        betweenness = raw_betweenness(graph, **settings)[0]
    n = graph.vcount()
    betweenness = np.asarray(betweenness, dtype=np.float64)
    edges = np.asarray(graph.get_edgelist(), dtype=np.int64).reshape(-1, 2)
    removed = np.zeros(n, dtype=bool)
    sizes = _sizes(edges, removed)
    baseline = int(sizes.max())
    rows = [_at(AT_ONCE, 0, None, None, sizes, baseline)]
    for step, vertex in enumerate(_top(graph, betweenness, top), start=1):
        removed[vertex] = True
        rows.append(_at(AT_ONCE, step, graph.vs[vertex]["name"] if "name" in
                        graph.vs.attributes() else str(vertex),
                        betweenness[vertex] / freeman_pairs(n), _sizes(edges, removed),
                        baseline))
    if not _exact(sizes, exact_max_vertices, samples):
        # ranking again on estimates would follow the sampling noise, at the cost of a
        # betweenness estimate (about 10 s at force scale) per removal
        return pl.DataFrame(rows, schema=DISRUPTION_SCHEMA, orient="row")
    # people with no link change no component: leave them out, counting them back in only for
    # the normaliser
    linked = np.flatnonzero(np.asarray(graph.degree()) > 0)
    isolated = n - linked.size
    everyone = vertex_names(graph)
    betweenness = betweenness[linked]
    graph = graph.induced_subgraph(linked.tolist(), implementation="create_from_scratch")
    graph = ig.Graph(n=linked.size, edges=graph.get_edgelist())
    graph.vs["name"] = [everyone[v] for v in linked]
    rows.append(_row(ONE_AT_A_TIME, 0, None, None, graph, baseline))
    remaining, values = graph.copy(), betweenness
    for step in range(1, top + 1):
        if remaining.ecount() == 0:
            break
        current = vertex_names(remaining)
        vertex = _ranking(current, values)[0]
        if values[vertex] <= 0:
            break  # nobody left lies between two others: removing anyone splits nothing
        chosen = values[vertex] / freeman_pairs(remaining.vcount() + isolated)
        remaining, values = _remove(remaining, values, vertex, settings)
        rows.append(_row(ONE_AT_A_TIME, step, current[vertex], chosen, remaining, baseline))
    return pl.DataFrame(rows, schema=DISRUPTION_SCHEMA, orient="row")


def _remove(graph: ig.Graph, values: np.ndarray, vertex: int, settings: dict
            ) -> tuple[ig.Graph, np.ndarray]:
    """``graph`` without ``vertex`` and the betweenness of what remains: computed again only
    for the people of the component it was in (nobody else's shortest paths ran through it)."""
    membership = _labels(graph)
    affected = membership == membership[vertex]
    affected[vertex] = False
    graph = graph.copy()
    graph.delete_vertices(vertex)
    values, affected = np.delete(values, vertex), np.delete(affected, vertex)
    inside = np.flatnonzero(affected)
    if inside.size:
        piece = graph.induced_subgraph(inside.tolist(), implementation="create_from_scratch")
        values[inside] = raw_betweenness(piece, **settings)[0]
    return graph, values


def _labels(graph: ig.Graph) -> np.ndarray:
    """Each vertex's connected component, by SciPy on the edge list (the network's own
    components are computed once, by the prepared analysis: these are of what remains)."""
    n = graph.vcount()
    edges = np.asarray(graph.get_edgelist(), dtype=np.int64).reshape(-1, 2)
    adjacency = sp.coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n))
    return csgraph.connected_components(adjacency, directed=False)[1]


def _sizes(edges: np.ndarray, removed: np.ndarray) -> np.ndarray:
    """The sizes of the connected components once the ``removed`` vertices are gone."""
    n = removed.size
    keep = ~removed[edges[:, 0]] & ~removed[edges[:, 1]]
    kept = edges[keep]
    adjacency = sp.coo_matrix((np.ones(len(kept)), (kept[:, 0], kept[:, 1])), shape=(n, n))
    _count, labels = csgraph.connected_components(adjacency, directed=False)
    sizes = np.bincount(labels[~removed])
    return sizes[sizes > 0] if sizes.size else np.zeros(1, dtype=np.int64)


def _at(strategy: str, removed: int, person: str | None, normalised: float | None,
        sizes: np.ndarray, baseline: int) -> tuple:
    largest = int(sizes.max())
    return (strategy, removed, person, None if normalised is None else float(normalised),
            largest, largest / baseline if baseline else None, int((sizes >= 2).sum()))


def _top(graph: ig.Graph, values: np.ndarray, top: int) -> list[int]:
    """The ``top`` vertices by betweenness (``_ranking``'s order), without naming everyone."""
    rounded = np.round(values, 9)
    if top < rounded.size:
        cut = np.partition(rounded, rounded.size - top)[rounded.size - top]
        candidates = np.flatnonzero(rounded >= cut)
    else:
        candidates = np.arange(rounded.size)
    names = vertex_names(graph.induced_subgraph(candidates.tolist())) if (
        "name" in graph.vs.attributes()) else [str(v) for v in candidates]
    return [int(candidates[i]) for i in _ranking(names, values[candidates])[:top]]


def _exact(sizes: np.ndarray, exact_max_vertices: int, samples: int) -> bool:
    """Whether betweenness is computed exactly on a graph of components of these ``sizes``
    (see ``keyplayers``)."""
    linked = int(sizes[sizes >= 3].sum())
    return linked <= exact_max_vertices or samples >= linked


def _ranking(names: list[str], values: np.ndarray) -> list[int]:
    """Vertices by betweenness, highest first; ties (to 9 decimals, so that rounding in the
    path counts cannot break them) to the smaller person id."""
    return np.lexsort((np.asarray(names, dtype=str), -np.round(values, 9))).tolist()


def _row(strategy: str, removed: int, person: str | None, normalised: float | None,
         graph: ig.Graph, baseline: int) -> tuple:
    sizes = np.bincount(_labels(graph)) if graph.vcount() else np.zeros(1, dtype=np.int64)
    return _at(strategy, removed, person, normalised, sizes, baseline)

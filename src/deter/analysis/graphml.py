"""The people network as GraphML, for Gephi, i2 Analyst's Notebook (via its GraphML import),
Cytoscape or yEd.

Only people with at least one link are written: an isolate carries no network information and
at force scale they are most of the vertices.  Each node has ``label`` (the person id, which
Gephi shows), ``group_id`` ("" when in no group) and the person's scores; each edge its
``weight``, ``shared_events`` and the ``kinds`` of link behind it.
"""

from __future__ import annotations

import os
from pathlib import Path

import igraph as ig
import polars as pl

NODE_COLUMNS = (
    "group_id", "harm_score", "victim_harm_score", "rank", "betweenness_normalised",
    "betweenness_raw", "exposure_score", "proposed", "at_risk",
)


def linked_graph(graph: ig.Graph, people: pl.DataFrame) -> ig.Graph:
    """``graph`` without isolates, with the people frame's columns as vertex attributes."""
    keep = [v for v, degree in enumerate(graph.degree()) if degree > 0]
    linked = graph.induced_subgraph(keep, implementation="create_from_scratch")
    names = pl.DataFrame({"person_id": linked.vs["name"] if keep else []},
                         schema={"person_id": pl.String})
    columns = [c for c in NODE_COLUMNS if c in people.columns]
    attributes = names.join(people.select("person_id", *columns), on="person_id",
                            how="left", maintain_order="left")
    linked.vs["label"] = attributes["person_id"].to_list()
    for column in columns:
        values = attributes[column]
        if values.dtype == pl.String:
            values = values.fill_null("")
        linked.vs[column] = values.to_list()
    return linked


def write_graphml(graph: ig.Graph, people: pl.DataFrame, path: Path) -> int:
    """Write the linked people network; returns the number of nodes written."""
    path = Path(path)
    linked = linked_graph(graph, people)
    partial = path.with_name(f".{path.name}.partial")
    linked.write_graphml(str(partial))
    os.replace(partial, path)
    return linked.vcount()

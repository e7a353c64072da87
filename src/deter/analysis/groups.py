"""Groups: communities of the people network found by Leiden (modularity objective).

Communities smaller than ``min_group_size`` (and isolates) are reported as no group.  A
community larger than ``max_group_size`` is split again by Leiden on its own subgraph (modularity
has a resolution limit: on a large sparse network it merges small groups); one that still cannot
be split below the limit is a loose network of co-offenders rather than a group, and is reported
as no group too.  Found-group ids are readable and stable for a given input and seed: ``N001``,
``N002``... ("N" for found in the network, unlike recorded group ids) in order of group harm
(when harm is given), then size, then the smallest member id.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import igraph as ig
import numpy as np
import polars as pl

from deter.analysis.config import AnalysisConfig
from deter.analysis.prepared import component_sizes, connected_components


@dataclass
class GroupFinding:
    """``membership``: person_id, group_id (null = no group), one row per vertex, in vertex
    order; ``modularity`` of the full Leiden partition (with the configured resolution);
    ``communities``: how many communities Leiden found, including those too small to report;
    ``loose_network_people``: people in communities too large to be a group."""

    membership: pl.DataFrame
    modularity: float
    communities: int
    loose_network_people: int = 0


def leiden_membership(
    graph: ig.Graph, config: AnalysisConfig, components: np.ndarray | None = None
) -> list[int]:
    """Leiden community of each vertex, reproducible for ``config.seed``.

    Leiden only ever moves a person into a neighbour's community, so no community spans two
    connected components, and a component smaller than ``min_group_size`` can never hold a
    group: each such component (most are isolates: people seen once, alone) is kept as one
    community and Leiden runs on the rest only.  On a
    force-sized network that is most of the vertices, and each Leiden iteration costs time in
    proportion to the vertices, so this cuts the step from minutes to seconds.
    ``components``: each vertex's connected component, when already known.
    """
    if graph.vcount() == 0:
        return []
    if components is None:
        components = connected_components(graph)
    large = component_sizes(components) >= config.min_group_size
    membership = components.copy()
    if graph.ecount() == 0 or not large.any():
        return membership.tolist()
    keep = np.flatnonzero(large)
    core = graph.induced_subgraph(keep.tolist(), implementation="create_from_scratch")
    found = _split_oversized(core, _leiden(core, config), config)
    membership[keep] = found
    membership[~large] = components[~large] + int(found.max()) + 1
    return membership.tolist()


def _leiden(graph: ig.Graph, config: AnalysisConfig) -> np.ndarray:
    weights = "weight" if "weight" in graph.es.attributes() else None
    state = random.getstate()
    random.seed(config.seed)  # igraph draws from Python's random module
    try:
        clustering = graph.community_leiden(
            objective_function="modularity",
            weights=weights,
            resolution=config.resolution,
            n_iterations=config.leiden_iterations,
        )
    finally:
        random.setstate(state)
    return np.asarray(clustering.membership, dtype=np.int64)


def _split_oversized(graph: ig.Graph, membership: np.ndarray, config: AnalysisConfig) -> np.ndarray:
    """Run Leiden again inside each community above ``max_group_size`` until none can split."""
    membership = membership.copy()
    next_label = int(membership.max()) + 1
    sizes = np.bincount(membership)
    queue = [int(c) for c in np.flatnonzero(sizes > config.max_group_size)]
    while queue:
        members = np.flatnonzero(membership == queue.pop())
        parts = _leiden(graph.induced_subgraph(members.tolist()), config)
        if parts.max() == 0:
            continue  # cannot be split: stays one (oversized) community
        for part in range(int(parts.max()) + 1):
            inside = members[parts == part]
            membership[inside] = next_label
            if inside.size > config.max_group_size:
                queue.append(next_label)
            next_label += 1
    return membership


def find_groups(
    graph: ig.Graph,
    config: AnalysisConfig | None = None,
    person_harm: pl.DataFrame | None = None,
    *,
    components: np.ndarray | None = None,
) -> GroupFinding:
    """Leiden communities of ``graph`` as groups.

    ``person_harm`` (person_id, harm_score), when given, orders the group ids by the summed
    harm of their members, so ``N001`` is the group with the most harm.  ``components``: each
    vertex's connected component, when already known (``deter.analysis.prepared``).
    """
    config = config or AnalysisConfig()
    membership = leiden_membership(graph, config, components)
    weights = "weight" if "weight" in graph.es.attributes() else None
    modularity = (
        graph.modularity(membership, weights=weights, resolution=config.resolution)
        if graph.ecount()
        else 0.0
    )
    if "name" in graph.vs.attributes():
        names = graph.vs["name"]
    else:
        names = [str(i) for i in range(graph.vcount())]
    frame = pl.DataFrame(
        {"person_id": pl.Series(names, dtype=pl.String), "community": membership},
        schema={"person_id": pl.String, "community": pl.Int64},
    )
    if person_harm is not None:
        frame = frame.join(
            person_harm.select("person_id", "harm_score"), on="person_id", how="left",
            maintain_order="left",
        )
    else:
        frame = frame.with_columns(pl.lit(0.0).alias("harm_score"))
    communities = (
        frame.group_by("community")
        .agg(
            pl.len().alias("size"),
            pl.col("harm_score").fill_null(0.0).sum().alias("harm"),
            pl.col("person_id").min().alias("first"),
        )
        .filter(pl.col("size").is_between(config.min_group_size, config.max_group_size))
        .sort(["harm", "size", "first"], descending=[True, True, False])
    )
    width = max(3, len(str(communities.height)))
    communities = communities.with_columns(
        ("N" + pl.int_range(1, pl.len() + 1).cast(pl.String).str.zfill(width)).alias("group_id")
    )
    result = frame.join(
        communities.select("community", "group_id"), on="community", how="left",
        maintain_order="left",
    ).select("person_id", "group_id")
    sizes = np.bincount(np.asarray(membership, dtype=np.int64)) if membership else np.zeros(0)
    return GroupFinding(
        membership=result, modularity=float(modularity), communities=len(set(membership)),
        loose_network_people=int(sizes[sizes > config.max_group_size].sum()),
    )


def _labels(values: Sequence[Any] | pl.Series) -> list[int]:
    """Integer codes for labels; each null becomes its own singleton label."""
    series = pl.Series("label", values)
    codes = series.cast(pl.String).rank("dense").cast(pl.Int64) - 1
    top = int(codes.max()) + 1 if codes.drop_nulls().len() else 0
    singletons = pl.int_range(top, top + series.len(), eager=True)
    return codes.fill_null(singletons).to_list() if series.len() else []


def adjusted_rand_index(
    found: Sequence[Any] | pl.Series | pl.DataFrame,
    truth: Sequence[Any] | pl.Series | pl.DataFrame,
) -> float:
    """Adjusted Rand index of two partitions (1.0 = identical, about 0 = chance agreement).

    Either two label sequences of equal length, or two frames with ``person_id`` and
    ``group_id``: then the comparison covers the people in ``truth``; a person missing from
    ``found`` or with a null group there counts as a group of their own, as does a null group
    in ``truth``.
    """
    if isinstance(found, pl.DataFrame) or isinstance(truth, pl.DataFrame):
        if not (isinstance(found, pl.DataFrame) and isinstance(truth, pl.DataFrame)):
            raise TypeError("give two frames (person_id, group_id) or two label sequences")
        truth_frame = truth.select("person_id", pl.col("group_id").cast(pl.String)).unique(
            "person_id", keep="first", maintain_order=True
        )
        found_frame = found.select("person_id", pl.col("group_id").cast(pl.String).alias("found"))
        found_frame = found_frame.unique("person_id", keep="first", maintain_order=True)
        joined = truth_frame.join(found_frame, on="person_id", how="left", maintain_order="left")
        found, truth = joined["found"], joined["group_id"]
    if len(found) != len(truth):
        raise ValueError(f"partitions differ in length: {len(found)} and {len(truth)}")
    first, second = _labels(found), _labels(truth)
    if len(set(zip(first, second, strict=True))) == len(set(first)) == len(set(second)):
        return 1.0  # the same partition (also when it is trivial, where the formula is 0/0)
    return float(ig.compare_communities(first, second, method="adjusted_rand"))

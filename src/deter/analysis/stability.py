"""How far to trust the groups: stability across random seeds, and agreement with the recorded
groups.

**Stability.** Leiden is randomised: another seed can give other groups.  ``leiden_stability``
finds the groups again (``deter.analysis.groups.find_groups``, every other setting unchanged)
with the next ``seeds - 1`` seeds after the configured one and compares the groups as reported
(communities outside the group size limits are no group) with the run being checked:

* ``mean_ari``: the mean adjusted Rand index over every pair of runs (no group counts as a
  group of one), over the people Leiden actually partitions: those in connected components of
  at least ``min_group_size`` people (smaller ones are the same in every run and would only
  inflate the figure);
* per found group, ``stability``: for each other run, the best Jaccard overlap
  (shared / either) between the group's members and any group of that run (0 when none of them
  is in a group there), averaged over the runs.  1 means the same members were grouped
  together in every run; 0.5 means a typical run kept, say, 6 of 12 together with nobody added,
  or 8 of 12 with 4 others added.

**Recorded groups.** ``compare_recorded`` sets the found groups beside the recorded memberships
that overlap the analysis window (``recorded_memberships``; the same rule as the pipeline's
"mostly recorded as").  For each recorded group it counts the recorded members and where the
analysis placed them:

* ``split``: its members who are in a found group are spread over two or more found groups,
  each holding at least ``split_share`` (default 0.25) of them and at least
  ``min_members`` (default 2) people;
* ``kept together``: otherwise, when at least ``min_members`` members are in found groups;
* ``not found as a group``: fewer than ``min_members`` of its members are in any found group
  (not seen offending or associating with each other in the window, or stale records).

For each found group, ``merges``: two or more recorded groups each contribute at least
``split_share`` of the found group's recorded members and at least ``min_members`` people: the
found group joins what the records keep apart (an alliance, a recording error or an
out-of-date record).  A person recorded in several groups counts in each.

Caveat: recorded memberships are intelligence, often partial or out of date; disagreement is a
prompt to look, not proof that either side is wrong.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from datetime import timedelta

import igraph as ig
import numpy as np
import polars as pl

from deter.analysis.config import AnalysisConfig
from deter.analysis.extract import Extract
from deter.analysis.groups import adjusted_rand_index, find_groups
from deter.analysis.harm import EventWindow, resolve_as_of
from deter.analysis.keyplayers import vertex_groups
from deter.analysis.prepared import component_sizes, connected_components

SPLIT, KEPT, NOT_FOUND = "split", "kept together", "not found as a group"
RECORDED_COLUMNS = (
    "recorded_group", "members", "members_in_found_groups", "found_group_count",
    "largest_found_group", "largest_share", "outcome", "found_groups",
)
FOUND_COLUMNS = (
    "group_id", "size", "recorded_members", "recorded_group_count", "largest_recorded_group",
    "largest_share", "merges", "recorded_groups",
)


@dataclass
class Stability:
    """``seeds``: the seeds compared; ``mean_ari`` over all pairs of runs (``pairs``: seed_a,
    seed_b, ari); ``groups``: group_id, size, stability (one row per found group)."""

    seeds: list[int]
    mean_ari: float
    pairs: pl.DataFrame
    groups: pl.DataFrame

    def summary(self) -> dict[str, object]:
        return {"seeds": len(self.seeds), "mean_ari": round(self.mean_ari, 6)}


def leiden_stability(
    graph: ig.Graph, membership: pl.DataFrame, config: AnalysisConfig, *, seeds: int = 5,
    components: np.ndarray | None = None,
) -> Stability:
    """Find groups again with seeds ``config.seed + 1`` ... ``config.seed + seeds - 1`` and
    score their agreement with ``membership`` (the groups found with ``config.seed``:
    ``find_groups(graph, config).membership``) and with each other.  ``components``: each
    vertex's connected component, when already known."""
    if seeds < 2:
        raise ValueError("seeds must be at least 2: stability compares runs")
    seed_list = [config.seed + i for i in range(seeds)]
    if components is None:
        components = connected_components(graph)
    runs = [vertex_groups(graph, membership)] + [
        find_groups(graph, replace(config, seed=s), components=components).membership["group_id"]
        for s in seed_list[1:]
    ]
    partitioned = component_sizes(components) >= config.min_group_size
    rows = [
        (seed_list[i], seed_list[j],
         adjusted_rand_index(runs[i].filter(partitioned), runs[j].filter(partitioned)))
        for i, j in itertools.combinations(range(len(runs)), 2)
    ]
    pairs = pl.DataFrame(rows, schema={"seed_a": pl.Int64, "seed_b": pl.Int64,
                                       "ari": pl.Float64}, orient="row")
    found = runs[0].to_frame("group_id").with_row_index("v").filter(
        pl.col("group_id").is_not_null()
    )
    sizes = found.group_by("group_id").agg(pl.len().cast(pl.Int64).alias("size"))
    if found.height:
        stability = (
            pl.concat([_best_jaccard(found, run) for run in runs[1:]])
            .group_by("group_id")
            .agg(pl.col("jaccard").mean().alias("stability"))
        )
    else:
        stability = pl.DataFrame(schema={"group_id": pl.String, "stability": pl.Float64})
    return Stability(
        seed_list,
        float(pairs["ari"].mean()),  # type: ignore[arg-type]
        pairs,
        sizes.join(stability, on="group_id", how="left").sort("group_id"),
    )


def _best_jaccard(found: pl.DataFrame, run: pl.Series) -> pl.DataFrame:
    """group_id, jaccard: each found group's best overlap (shared / either) with a group of
    another run; 0 when none of its members is in a group there."""
    other = run.rename("other").to_frame()
    other_size = other.drop_nulls().group_by("other").agg(pl.len().alias("other_size"))
    members = found.with_columns(other["other"].gather(found["v"]))
    group_size = members.group_by("group_id").agg(pl.len().alias("group_size"))
    best = (
        members.drop_nulls("other")
        .group_by("group_id", "other")
        .agg(pl.len().alias("shared"))
        .join(other_size, on="other")
        .join(group_size, on="group_id")
        .group_by("group_id")
        .agg(
            (
                pl.col("shared")
                / (pl.col("group_size") + pl.col("other_size") - pl.col("shared"))
            ).max().alias("jaccard")
        )
    )
    return group_size.join(best, on="group_id", how="left").select(
        "group_id", pl.col("jaccard").fill_null(0.0)
    )


def recorded_memberships(
    extract: Extract, config: AnalysisConfig, window: EventWindow | None = None
) -> pl.DataFrame:
    """person_id, group_id: recorded memberships overlapping the window (started by the
    analysis date and not ended before the window opens); all of them when undated.
    ``window``: the run's ``event_window``, when built (it gives the analysis date)."""
    memberships = extract.memberships
    as_of = window.as_of if window else resolve_as_of(extract, config)
    if as_of is not None:
        first = (as_of - timedelta(days=config.window_days)).date()
        memberships = memberships.filter(
            (pl.col("start").is_null() | (pl.col("start") <= as_of.date()))
            & (pl.col("end").is_null() | (pl.col("end") >= first))
        )
    return memberships.select("person_id", "group_id").unique().sort("person_id", "group_id")


@dataclass
class RecordedComparison:
    """``recorded``: ``RECORDED_COLUMNS`` per recorded group; ``found``: ``FOUND_COLUMNS`` per
    found group.  ``found_groups`` / ``recorded_groups`` read like "N001 (7), N004 (3)"."""

    recorded: pl.DataFrame
    found: pl.DataFrame


def compare_recorded(
    membership: pl.DataFrame,
    extract: Extract,
    config: AnalysisConfig,
    *,
    split_share: float = 0.25,
    min_members: int = 2,
    window: EventWindow | None = None,
) -> RecordedComparison:
    """Which recorded groups the analysis splits, keeps together or does not find, and which
    found groups merge recorded groups.  ``membership``: the found groups (person_id,
    group_id, null = no group)."""
    if not 0 < split_share <= 0.5:
        raise ValueError("split_share must be above 0 and at most 0.5")
    if min_members < 1:
        raise ValueError("min_members must be at least 1")
    found = membership.select("person_id", pl.col("group_id").cast(pl.String))
    recorded = recorded_memberships(extract, config, window).rename({"group_id": "recorded_group"})
    both = recorded.join(found.drop_nulls(), on="person_id", how="inner")
    counts = both.group_by("recorded_group", "group_id").agg(
        pl.len().cast(pl.Int64).alias("n")
    )
    return RecordedComparison(
        recorded=_recorded_side(recorded, counts, split_share, min_members),
        found=_found_side(found, counts, split_share, min_members),
    )


def _listing(label: str) -> pl.Expr:
    """"N001 (7), N004 (3)": the largest first, then by id."""
    return (
        pl.concat_str(pl.col(label), pl.lit(" ("), pl.col("n").cast(pl.String), pl.lit(")"))
        .sort_by([pl.col("n"), pl.col(label)], descending=[True, False])
        .str.join(", ")
    )


def _spread(label: str, split_share: float, min_members: int) -> list[pl.Expr]:
    total = pl.col("n").sum()
    substantial = (pl.col("n") >= split_share * total) & (pl.col("n") >= min_members)
    return [
        total.alias("placed"),
        pl.len().cast(pl.Int64).alias("count"),
        pl.col(label).sort_by([pl.col("n"), pl.col(label)], descending=[True, False])
        .first().alias("largest"),
        (pl.col("n").max() / total).alias("largest_share"),
        substantial.sum().alias("substantial"),
        _listing(label).alias("listing"),
    ]


def _recorded_side(
    recorded: pl.DataFrame, counts: pl.DataFrame, split_share: float, min_members: int
) -> pl.DataFrame:
    members = recorded.group_by("recorded_group").agg(pl.len().cast(pl.Int64).alias("members"))
    spread = counts.group_by("recorded_group").agg(*_spread("group_id", split_share, min_members))
    return (
        members.join(spread, on="recorded_group", how="left")
        .with_columns(
            pl.col("placed").fill_null(0).cast(pl.Int64).alias("members_in_found_groups"),
            pl.col("count").fill_null(0).alias("found_group_count"),
            pl.col("largest").alias("largest_found_group"),
            pl.when(pl.col("placed").fill_null(0) < min_members)
            .then(pl.lit(NOT_FOUND))
            .when(pl.col("substantial") >= 2)
            .then(pl.lit(SPLIT))
            .otherwise(pl.lit(KEPT))
            .alias("outcome"),
            pl.col("listing").fill_null("").alias("found_groups"),
        )
        .select(RECORDED_COLUMNS)
        .sort("recorded_group")
    )


def _found_side(
    found: pl.DataFrame, counts: pl.DataFrame, split_share: float, min_members: int
) -> pl.DataFrame:
    sizes = found.drop_nulls().group_by("group_id").agg(pl.len().cast(pl.Int64).alias("size"))
    spread = counts.group_by("group_id").agg(*_spread("recorded_group", split_share, min_members))
    return (
        sizes.join(spread, on="group_id", how="left")
        .with_columns(
            pl.col("placed").fill_null(0).cast(pl.Int64).alias("recorded_members"),
            pl.col("count").fill_null(0).alias("recorded_group_count"),
            pl.col("largest").alias("largest_recorded_group"),
            (pl.col("substantial").fill_null(0) >= 2).alias("merges"),
            pl.col("listing").fill_null("").alias("recorded_groups"),
        )
        .select(FOUND_COLUMNS)
        .sort("group_id")
    )

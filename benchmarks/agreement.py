"""How far two pipelines' outputs agree: their groups and their key players.

* groups: the adjusted Rand index of the two partitions over the people in components of three
  or more (the people either pipeline partitions; everyone else is no group in both), a person
  in no group counting as a group of their own;
* betweenness: how many of each pipeline's top 100 the other also ranks in its top 100, and
  Spearman's rank correlation over everyone in those components.  Both pipelines estimate
  betweenness from their own random sample of sources, so two estimates agree only as well as
  the sampling lets them; with every source (exact) they must agree to rounding.
"""

from __future__ import annotations

import polars as pl

from deter.analysis.groups import adjusted_rand_index

TOP = 100


def group_agreement(ours: pl.DataFrame, theirs: pl.DataFrame) -> float:
    """ARI of two frames person_id, group_id (null = no group) over the people in ``ours``."""
    return adjusted_rand_index(theirs, ours)


def betweenness_agreement(ours: pl.DataFrame, theirs: pl.DataFrame, top: int = TOP) -> dict:
    """``ours``, ``theirs``: person_id, betweenness over the same people."""
    both = ours.select("person_id", pl.col("betweenness").alias("a")).join(
        theirs.select("person_id", pl.col("betweenness").alias("b")), on="person_id",
        how="inner",
    )
    top_a = set(both.sort("a", "person_id", descending=[True, False]).head(top)["person_id"])
    top_b = set(both.sort("b", "person_id", descending=[True, False]).head(top)["person_id"])
    spearman = both.select(pl.corr("a", "b", method="spearman")).item()
    return {
        "people": both.height,
        "top": top,
        "top_overlap": len(top_a & top_b),
        "spearman": round(float(spearman), 4) if spearman is not None else None,
    }

"""The people network: co-offending plus recorded associations, as one weighted igraph graph.

Two people are linked as co-offenders when both were suspect or offender on the same event in
the window; the edge counts the shared events (times ``association_weights["co-offending"]``,
1.0 unless set).  Victims, witnesses and ``other`` roles never make a co-offending link.  Each
recorded association adds ``association_weights[kind]`` (1.0 for an unlisted kind) times its
``weight`` column (1.0 when blank).  One undirected edge per pair of people carries the summed
``weight``, the number of ``shared_events`` and the ``kinds`` behind it (comma-joined,
co-offending first, then association kinds sorted: ``"co-offending,sibling"``).

Vertices are every person the extract names (people table, involvements, associations,
memberships), sorted by ``person_id``; vertex attribute ``name`` is the ``person_id``.
Everything is vectorised in Polars: the co-offending pairs come from one self-join on event id.

Victim-suspect links (``victim_suspect_links``: a victim and a suspect or offender of the same
event) are deliberately *not* edges of this network.  Violence between rival groups would join
them into one community, so they are kept apart and used only where they mean what they say:
rivalries between groups (``deter.analysis.relations``) and exposure to violence
(``deter.analysis.exposure``).
"""

from __future__ import annotations

import igraph as ig
import numpy as np
import polars as pl

from deter.analysis.config import AnalysisConfig
from deter.analysis.extract import OFFENDING_ROLES, Extract
from deter.analysis.harm import EventWindow, event_window, window_associations

CO_OFFENDING = "co-offending"
EDGE_COLUMNS = ("a", "b", "weight", "shared_events", "kinds")
LINK_COLUMNS = ("victim", "suspect", "event_id", "occurred_at", "offence_code", "offence_category")


def person_ids(extract: Extract) -> pl.Series:
    """Every person the extract names, sorted: the vertices of the network, in order."""
    return (
        pl.concat(
            [
                extract.people["person_id"],
                extract.involvements["person_id"],
                extract.associations["person_a"],
                extract.associations["person_b"],
                extract.memberships["person_id"],
            ]
        )
        .drop_nulls()
        .unique()
        .sort()
        .rename("person_id")
    )


def _kind_weight(kinds: pl.Expr, weights: dict[str, float]) -> pl.Expr:
    return kinds.replace_strict(weights, default=1.0, return_dtype=pl.Float64)


def edge_table(
    extract: Extract, config: AnalysisConfig, ids: pl.Series, window: EventWindow | None = None
) -> pl.DataFrame:
    """One row per linked pair: a < b (vertex indices into ``ids``), weight, shared_events,
    kinds."""
    window = window or event_window(extract, config)
    as_of = window.as_of
    weights = dict(config.association_weights)
    # each person's vertex index: their place in ``ids`` (a join: an Enum of a million
    # categories costs seconds to build)
    index = ids.to_frame("person_id").with_row_index("v").lazy().with_columns(
        pl.col("v").cast(pl.Int64)
    )

    def vertex(frame: pl.LazyFrame, column: str, alias: str) -> pl.LazyFrame:
        return frame.join(index.rename({"person_id": column, "v": alias}), on=column,
                          how="left", maintain_order="left")

    in_window = window.events.select("event_id")
    offending = (
        extract.involvements.lazy()
        .filter(pl.col("role").is_in(OFFENDING_ROLES))
        .join(in_window.lazy(), on="event_id", how="semi")
        .pipe(vertex, "person_id", "v")
        .select("event_id", "v")
        .unique()
    )
    co_offending = (
        offending.join(offending, on="event_id", how="inner", suffix="_b")
        .filter(pl.col("v") < pl.col("v_b"))
        .group_by(pl.col("v").alias("a"), pl.col("v_b").alias("b"))
        .agg(pl.len().cast(pl.Int64).alias("shared_events"))
        .with_columns(
            (pl.col("shared_events") * weights.get(CO_OFFENDING, 1.0)).alias("co_weight")
        )
    )
    associations = (
        window_associations(extract.associations, as_of, config)
        .lazy()
        .pipe(vertex, "person_a", "p")
        .pipe(vertex, "person_b", "q")
        .select(
            "p",
            "q",
            pl.col("kind"),
            (_kind_weight(pl.col("kind"), weights) * pl.col("weight").fill_null(1.0)).alias(
                "w"
            ),
        )
        .filter(pl.col("p") != pl.col("q"))
        .group_by(
            pl.min_horizontal("p", "q").alias("a"), pl.max_horizontal("p", "q").alias("b")
        )
        .agg(
            pl.col("w").sum().alias("association_weight"),
            pl.col("kind").unique().sort().str.join(",").alias("association_kinds"),
        )
    )
    edges = (
        co_offending.join(associations, on=["a", "b"], how="full", coalesce=True)
        .with_columns(
            (pl.col("co_weight").fill_null(0.0) + pl.col("association_weight").fill_null(0.0))
            .alias("weight"),
            pl.col("shared_events").fill_null(0),
            pl.concat_str(
                pl.when(pl.col("shared_events").is_not_null()).then(pl.lit(CO_OFFENDING)),
                pl.col("association_kinds"),
                separator=",",
                ignore_nulls=True,
            ).alias("kinds"),
        )
        .filter(pl.col("weight") > 0)
        .select(EDGE_COLUMNS)
        .sort("a", "b")
    )
    return edges.collect()


def build_network(
    extract: Extract, config: AnalysisConfig | None = None, *, window: EventWindow | None = None
) -> ig.Graph:
    """The undirected people network: vertex attr ``name``; edge attrs ``weight``,
    ``shared_events`` and ``kinds``.  ``window``: the run's ``event_window``, when built."""
    config = config or AnalysisConfig()
    ids = person_ids(extract)
    edges = edge_table(extract, config, ids, window)
    pairs = edges.select("a", "b").to_numpy().astype(np.int64, copy=False)
    graph = ig.Graph(n=ids.len(), edges=pairs.reshape(-1, 2), directed=False)
    graph.vs["name"] = ids.to_list()
    graph.es["weight"] = edges["weight"].to_list()
    graph.es["shared_events"] = edges["shared_events"].to_list()
    graph.es["kinds"] = edges["kinds"].to_list()
    return graph


def victim_suspect_links(
    extract: Extract, config: AnalysisConfig | None = None, *, window: EventWindow | None = None
) -> pl.DataFrame:
    """One row per event in the window and (victim, suspect) pair on it: ``LINK_COLUMNS``.

    ``suspect`` is a person in the suspect or offender role; a person recorded as both victim
    and suspect of one event is never linked to themselves.  Sorted by event, victim, suspect.
    These links are not part of ``build_network`` (see the module text).
    """
    window = window or event_window(extract, config)
    events = window.events.select(
        "event_id", "occurred_at", "offence_code", "offence_category"
    )
    involved = extract.involvements.lazy().join(events.lazy(), on="event_id", how="semi")
    victims = (
        involved.filter(pl.col("role") == "victim")
        .select("event_id", pl.col("person_id").alias("victim"))
        .unique()
    )
    suspects = (
        involved.filter(pl.col("role").is_in(OFFENDING_ROLES))
        .select("event_id", pl.col("person_id").alias("suspect"))
        .unique()
    )
    return (
        victims.join(suspects, on="event_id", how="inner")
        .filter(pl.col("victim") != pl.col("suspect"))
        .join(events.lazy(), on="event_id", how="left")
        .select(LINK_COLUMNS)
        .sort("event_id", "victim", "suspect")
        .collect()
    )

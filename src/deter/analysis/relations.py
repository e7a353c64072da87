"""Relations between groups: rivalries from violence between their members, alliances from
offending together, each with the events behind it.

* **Rivalry**: a violent event in the window where a member of one group is a victim and a
  member of the other is a suspect or offender.  Direction matters for the evidence: ``a_to_b``
  counts the events where a member of ``group_a`` is suspect and a member of ``group_b`` victim
  (an attack by A on B), ``b_to_a`` the reverse; an event with both directions counts in both.
  *Violent* is the harm table's definition (``HarmTable.is_violent``) unless ``violent`` says
  otherwise.
* **Alliance**: an event in the window (of any offence) with suspects or offenders from both
  groups, unless it is also evidence of their rivalry (a fight where both sides were recorded as
  suspects); optionally also recorded associations across the groups, of the kinds listed in
  ``alliance_association_kinds`` (none by default here; the pipeline passes
  ``AnalysisConfig.alliance_association_kinds``, by default meetings, summits and recorded
  alliances: links of cooperation, so that a meetings or intelligence network with no events
  still shows its alliances.  Other kinds stay out: intelligence links between members of rival
  groups are often threats or disputes, so a sighting together is not by itself evidence of an
  alliance).  ``basis`` says which kinds of evidence the alliance rests on.

A pair of groups can be both rivals and allies (one row each): members of two groups can fight
and offend together, or the groups as found may mix two real ones.  Evidence is what was
*recorded*: one event can make a rivalry, and a victim recorded as a group member may have been
a bystander.  Read the events before acting on a relation; ``events`` and ``weight`` say how
much evidence there is.

``weight`` sums each evidence event's recency decay, ``0.5 ** (age_days / half_life_days)`` (1.0
when the extract has no dates), as for harm; an association link counts likewise by its
``observed_at`` (an undated one as 1.0).  ``evidence_event_ids`` lists every evidence event,
most recent first, comma-joined ("" for an alliance resting on associations only).

Groups come from a membership frame (``person_id``, ``group_id``; a null group is no group):
the found groups of ``deter.analysis.groups`` or, through ``recorded_group_relations``, the
recorded memberships.  A person in two groups links both; one person never makes an alliance
with themselves.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

import polars as pl

from deter.analysis.config import AnalysisConfig
from deter.analysis.extract import OFFENDING_ROLES, Extract
from deter.analysis.harm import EventWindow, age_days, event_window, window_associations
from deter.analysis.network import victim_suspect_links
from deter.analysis.stability import recorded_memberships

RIVALRY, ALLIANCE = "rivalry", "alliance"
RELATION_COLUMNS = (
    "group_a", "group_b", "relation", "events", "a_to_b", "b_to_a", "association_links",
    "first_event", "last_event", "evidence_event_ids", "weight", "basis",
)
RELATION_SCHEMA = {
    "group_a": pl.String, "group_b": pl.String, "relation": pl.String, "events": pl.Int64,
    "a_to_b": pl.Int64, "b_to_a": pl.Int64, "association_links": pl.Int64,
    "first_event": pl.Date, "last_event": pl.Date, "evidence_event_ids": pl.String,
    "weight": pl.Float64, "basis": pl.String,
}


def group_relations(
    extract: Extract,
    membership: pl.DataFrame,
    config: AnalysisConfig | None = None,
    *,
    violent: pl.Expr | None = None,
    alliance_association_kinds: Collection[str] = (),
    min_events: int = 1,
    links: pl.DataFrame | None = None,
    window: EventWindow | None = None,
) -> pl.DataFrame:
    """Rivalries and alliances between the groups of ``membership``: ``RELATION_COLUMNS``, one
    row per unordered pair (``group_a`` < ``group_b``) and relation, rivalries first, then by
    weight.

    ``violent``: a boolean expression over the events' ``offence_code`` and
    ``offence_category`` choosing the events that count as violence (default: the configured
    harm table's violent offences; ``pl.lit(True)`` counts every event).
    ``alliance_association_kinds``: association kinds that count as evidence of an alliance.
    ``min_events``: the least evidence for a relation to be reported (events, plus association
    links for an alliance); 1 reports every relation seen once.
    ``links``: ``deter.analysis.network.victim_suspect_links`` for this extract and config, when
    already computed; ``window``: the run's ``deter.analysis.harm.event_window``, when built.
    """
    config = config or AnalysisConfig()
    _check_membership(membership)
    if min_events < 1:
        raise ValueError("min_events must be at least 1")
    members = (
        membership.select("person_id", pl.col("group_id").cast(pl.String))
        .drop_nulls()
        .unique()
    )
    window = window or event_window(extract, config)
    as_of = window.as_of
    if violent is None:
        violent = window.table.is_violent()
    if links is None:
        links = victim_suspect_links(extract, config, window=window)
    attacks = _attacks(links.filter(violent), members, as_of, config).collect().lazy()
    rivalries = _rivalries(attacks)
    alliances = _alliances(
        extract, window, members, config, frozenset(alliance_association_kinds), attacks
    )
    return (
        pl.concat([rivalries, alliances], how="vertical")
        .filter(pl.col("events") + pl.col("association_links") >= min_events)
        .sort(["relation", "weight", "group_a", "group_b"], descending=[True, True, False, False])
        .select(RELATION_COLUMNS)
    )


def recorded_group_relations(
    extract: Extract,
    config: AnalysisConfig | None = None,
    *,
    violent: pl.Expr | None = None,
    alliance_association_kinds: Collection[str] = (),
    min_events: int = 1,
    links: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """``group_relations`` over the recorded memberships that overlap the window (recorded
    group ids), as a check of recorded intelligence against the events."""
    config = config or AnalysisConfig()
    window = event_window(extract, config)
    return group_relations(
        extract, recorded_memberships(extract, config, window), config, violent=violent,
        alliance_association_kinds=alliance_association_kinds, min_events=min_events,
        links=links, window=window,
    )


def _check_membership(membership: pl.DataFrame) -> None:
    missing = [c for c in ("person_id", "group_id") if c not in membership.columns]
    if missing:
        raise ValueError(f"membership frame lacks column(s) {', '.join(missing)}")


def _decay(column: str, as_of: datetime | None, config: AnalysisConfig) -> pl.Expr:
    if as_of is None:
        return pl.lit(1.0)
    return (pl.lit(0.5) ** (age_days(column, as_of) / config.half_life_days)).fill_null(1.0)


def _pair(left: str, right: str) -> list[pl.Expr]:
    return [
        pl.min_horizontal(left, right).alias("group_a"),
        pl.max_horizontal(left, right).alias("group_b"),
    ]


def _evidence() -> list[pl.Expr]:
    """Aggregations over one row per (pair, event): count, dates, ids (most recent first)."""
    return [
        pl.len().cast(pl.Int64).alias("events"),
        pl.col("occurred_at").min().dt.date().alias("first_event"),
        pl.col("occurred_at").max().dt.date().alias("last_event"),
        pl.col("event_id")
        .sort_by(["occurred_at", "event_id"], descending=[True, False])
        .str.join(",")
        .alias("evidence_event_ids"),
        pl.col("decay").sum().alias("weight"),
    ]


def _attacks(
    links: pl.DataFrame, members: pl.DataFrame, as_of: datetime | None, config: AnalysisConfig
) -> pl.LazyFrame:
    """One row per pair of groups and violent event between them, with its direction."""
    victim_groups = members.lazy().rename({"person_id": "victim", "group_id": "victim_group"})
    suspect_groups = members.lazy().rename({"person_id": "suspect", "group_id": "suspect_group"})
    return (
        links.lazy()
        .join(victim_groups, on="victim", how="inner")
        .join(suspect_groups, on="suspect", how="inner")
        .filter(pl.col("victim_group") != pl.col("suspect_group"))
        .select("event_id", "occurred_at", "victim_group", "suspect_group")
        .unique()
        .with_columns(*_pair("victim_group", "suspect_group"))
        .group_by("group_a", "group_b", "event_id")
        .agg(
            pl.col("occurred_at").first(),
            (pl.col("suspect_group") == pl.col("group_a")).any().alias("a_attacks"),
            (pl.col("suspect_group") == pl.col("group_b")).any().alias("b_attacks"),
        )
        .with_columns(_decay("occurred_at", as_of, config).alias("decay"))
    )


def _rivalries(attacks: pl.LazyFrame) -> pl.DataFrame:
    return (
        attacks.group_by("group_a", "group_b")
        .agg(
            *_evidence(),
            pl.col("a_attacks").sum().cast(pl.Int64).alias("a_to_b"),
            pl.col("b_attacks").sum().cast(pl.Int64).alias("b_to_a"),
        )
        .with_columns(
            pl.lit(RIVALRY).alias("relation"),
            pl.lit(0, dtype=pl.Int64).alias("association_links"),
            pl.lit("violence").alias("basis"),
        )
        .select(RELATION_COLUMNS)
        .collect()
        .cast(RELATION_SCHEMA)  # type: ignore[arg-type]
    )


def _alliances(
    extract: Extract,
    window: EventWindow,
    members: pl.DataFrame,
    config: AnalysisConfig,
    association_kinds: frozenset[str],
    attacks: pl.LazyFrame,
) -> pl.DataFrame:
    as_of = window.as_of
    events = window.events.select("event_id", "occurred_at")
    offending = (
        extract.involvements.lazy()
        .filter(pl.col("role").is_in(OFFENDING_ROLES))
        .select("event_id", "person_id")
        .unique()
        .join(members.lazy(), on="person_id", how="inner")
        .join(events.lazy(), on="event_id", how="inner")
    )
    together = (
        offending.join(offending.select("event_id", "person_id", "group_id"), on="event_id",
                       suffix="_b")
        .filter(
            (pl.col("group_id") < pl.col("group_id_b"))
            & (pl.col("person_id") != pl.col("person_id_b"))
        )
        .select("event_id", "occurred_at", *_pair("group_id", "group_id_b"))
        .unique()
        # a fight where both sides are recorded as suspects is violence, not an alliance
        .join(attacks, on=["group_a", "group_b", "event_id"], how="anti")
        .with_columns(_decay("occurred_at", as_of, config).alias("decay"))
    )
    co_offending = together.group_by("group_a", "group_b").agg(*_evidence())
    associations = (
        window_associations(extract.associations, as_of, config)
        .lazy()
        .filter(pl.col("kind").is_in(list(association_kinds)))
        .join(members.lazy().rename({"person_id": "person_a", "group_id": "group_p"}),
              on="person_a", how="inner")
        .join(members.lazy().rename({"person_id": "person_b", "group_id": "group_q"}),
              on="person_b", how="inner")
        .filter(pl.col("group_p") != pl.col("group_q"))
        .with_columns(*_pair("group_p", "group_q"))
        .group_by("group_a", "group_b")
        .agg(
            pl.len().cast(pl.Int64).alias("association_links"),
            pl.col("observed_at").min().alias("first_link"),
            pl.col("observed_at").max().alias("last_link"),
            _decay("observed_at", as_of, config).sum().alias("link_weight"),
        )
    )
    return (
        co_offending.join(associations, on=["group_a", "group_b"], how="full", coalesce=True)
        .with_columns(
            pl.col("events").fill_null(0),
            pl.col("association_links").fill_null(0),
            pl.min_horizontal("first_event", "first_link").alias("first_event"),
            pl.max_horizontal("last_event", "last_link").alias("last_event"),
            pl.col("evidence_event_ids").fill_null(""),
            (pl.col("weight").fill_null(0.0) + pl.col("link_weight").fill_null(0.0))
            .alias("weight"),
            pl.concat_str(
                pl.when(pl.col("events").fill_null(0) > 0).then(pl.lit("co-offending")),
                pl.when(pl.col("association_links").fill_null(0) > 0).then(
                    pl.lit("association")
                ),
                separator=",",
                ignore_nulls=True,
            ).alias("basis"),
            pl.lit(ALLIANCE).alias("relation"),
            pl.lit(None, dtype=pl.Int64).alias("a_to_b"),
            pl.lit(None, dtype=pl.Int64).alias("b_to_a"),
        )
        .select(RELATION_COLUMNS)
        .collect()
        .cast(RELATION_SCHEMA)  # type: ignore[arg-type]
    )

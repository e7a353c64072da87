"""Crime harm: the harm table's weight per event, decayed by recency, summed per person.

Every event in the window gets the weight of its Home Office ``offence_code`` in the configured
harm table (``AnalysisConfig.harm_table``; by default the Cambridge Crime Harm Index 2026, in
days of imprisonment; see ``deter.analysis.harm_tables``).  An event with no known code falls
back to its police.uk ``offence_category`` (matched case-insensitively, e.g. data.police.uk
imports); an event with neither known gets weight 0 and is counted and reported as
*unweighted*, never silently.

A person's offender harm sums, over the events where they are suspect or offender, the event's
weight times ``0.5 ** (age_days / half_life_days)``; victim harm does the same over the events
where they are a victim.  The two are never added together: being harmed is not the same as
causing harm.  Witnesses and ``other`` roles count on neither side.  The ``harm_events`` frame
lists every term of every sum (``harm_weight`` x ``decay`` = ``contribution``) so each score can
be explained line by line.

Caveat: a suspect is not a convicted offender.  The score counts recorded suspicion, so it
reflects police attention as well as offending.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import polars as pl

from deter.analysis.config import AnalysisConfig, to_utc
from deter.analysis.extract import OFFENDING_ROLES, Extract
from deter.analysis.harm_tables import DEFAULT_TABLE, HarmTable, load_harm_table

OFFENDER, VICTIM = "offender", "victim"
HARM_EVENT_COLUMNS = (
    "person_id", "side", "event_id", "occurred_at", "offence_code", "offence_category", "role",
    "harm_weight", "decay", "contribution", "weighted_by",
)
SCORE_COLUMNS = (
    "person_id", "harm_score", "victim_harm_score", "offence_count", "victimisation_count",
)


def event_harm(events: pl.DataFrame, table: HarmTable | None = None) -> pl.DataFrame:
    """``events`` plus ``harm_weight`` (0 when unknown) and ``weighted_by``: "offence_code",
    "offence_category", or null for an unweighted event."""
    table = table or load_harm_table(DEFAULT_TABLE)
    return (
        events.with_columns(
            table.weight_by_code(events).alias("_by_code"),
            table.weight_by_category(events).alias("_by_category"),
        )
        .with_columns(
            pl.coalesce("_by_code", "_by_category", pl.lit(0.0)).alias("harm_weight"),
            pl.when(pl.col("_by_code").is_not_null())
            .then(pl.lit("offence_code"))
            .when(pl.col("_by_category").is_not_null())
            .then(pl.lit("offence_category"))
            .otherwise(pl.lit(None, dtype=pl.String))
            .alias("weighted_by"),
        )
        .drop("_by_code", "_by_category")
    )


def resolve_as_of(extract: Extract, config: AnalysisConfig) -> datetime | None:
    """The analysis date: the configured one, else the latest event, else the latest observed
    association; None when the extract has no dates at all (then nothing is windowed)."""
    if config.as_of is not None:
        return to_utc(config.as_of)
    latest = extract.events["occurred_at"].max()
    if latest is None:
        latest = extract.associations["observed_at"].max()
    return to_utc(latest)  # type: ignore[arg-type]


def age_days(column: str, as_of: datetime) -> pl.Expr:
    return (pl.lit(as_of) - pl.col(column)).dt.total_microseconds() / 86_400_000_000


def window_events(
    events: pl.DataFrame, as_of: datetime | None, config: AnalysisConfig
) -> pl.DataFrame:
    """Events at most ``window_days`` old on ``as_of`` (events after ``as_of`` are not yet known),
    with their ``age_days`` and recency ``decay``."""
    if as_of is None:
        return events.with_columns(
            pl.lit(None, dtype=pl.Float64).alias("age_days"), pl.lit(1.0).alias("decay")
        )
    return (
        events.with_columns(age_days("occurred_at", as_of).alias("age_days"))
        .filter(pl.col("age_days").is_between(0, config.window_days))
        .with_columns(
            (pl.lit(0.5) ** (pl.col("age_days") / config.half_life_days)).alias("decay")
        )
    )


def window_associations(
    associations: pl.DataFrame, as_of: datetime | None, config: AnalysisConfig
) -> pl.DataFrame:
    """Associations observed within the window; undated ones always count."""
    if as_of is None:
        return associations
    start = (as_of - timedelta(days=config.window_days)).date()
    observed = pl.col("observed_at")
    return associations.filter(
        observed.is_null() | ((observed >= start) & (observed <= as_of.date()))
    )


def side_of_role() -> pl.Expr:
    return (
        pl.when(pl.col("role").is_in(OFFENDING_ROLES))
        .then(pl.lit(OFFENDER))
        .when(pl.col("role") == VICTIM)
        .then(pl.lit(VICTIM))
        .otherwise(pl.lit(None, dtype=pl.String))
    )


@dataclass(frozen=True, eq=False)
class EventWindow:
    """The events one analysis looks at: ``as_of`` (``resolve_as_of``), the harm ``table``, and
    ``events``: the extract's events in the window (UTC) with ``age_days``, ``decay``,
    ``harm_weight`` and ``weighted_by``.  Built once a run (``event_window``) and shared by
    harm, the network, relations and places."""

    as_of: datetime | None
    table: HarmTable
    events: pl.DataFrame


def event_window(
    extract: Extract, config: AnalysisConfig | None = None, table: HarmTable | None = None
) -> EventWindow:
    config = config or AnalysisConfig()
    table = table or load_harm_table(config.harm_table)
    as_of = resolve_as_of(extract, config)
    events = event_harm(window_events(extract.events, as_of, config), table)
    return EventWindow(as_of, table, events)


@dataclass
class PersonHarm:
    """Per-person harm and its explanation.

    ``scores``: person_id, harm_score, victim_harm_score, offence_count, victimisation_count
    (only people with at least one scored involvement in the window).
    ``harm_events``: one row per person, side and event, the terms of those sums, in no
    particular order (sorting two million rows by person costs a second; sort when showing).
    ``events``: the events in the window with their ``harm_weight``, ``decay`` and
    ``weighted_by`` (for places and time).
    """

    scores: pl.DataFrame
    harm_events: pl.DataFrame
    events: pl.DataFrame
    table: HarmTable
    as_of: datetime | None
    events_in_window: int
    events_unweighted: int
    unweighted: list[dict]  # the unknown (offence_code, offence_category) values, most common first


def person_harm(
    extract: Extract,
    config: AnalysisConfig | None = None,
    table: HarmTable | None = None,
    *,
    window: EventWindow | None = None,
) -> PersonHarm:
    """Offender and victim harm per person over the window, with the per-event explanation.

    ``table``: the harm table (default: ``load_harm_table(config.harm_table)``); ``window``:
    the run's ``event_window``, when already built (it then gives the table).
    """
    window = window or event_window(extract, config, table)
    table, as_of, events = window.table, window.as_of, window.events
    unweighted_events = events.filter(pl.col("weighted_by").is_null())
    unweighted = (
        unweighted_events.group_by("offence_code", "offence_category")
        .len("events")
        .sort("events", "offence_code", "offence_category", descending=[True, False, False],
              nulls_last=True)
        .head(50)
        .to_dicts()
    )
    scored = (
        extract.involvements.with_columns(side_of_role().alias("side"))
        .filter(pl.col("side").is_not_null())
        # one row per person, event and side: "offender" is preferred to "suspect"
        .group_by("person_id", "event_id", "side")
        .agg(pl.col("role").min())
        .join(
            events.select(
                "event_id", "occurred_at", "offence_code", "offence_category", "harm_weight",
                "decay", "weighted_by",
            ),
            on="event_id",
            how="inner",
        )
        .with_columns((pl.col("harm_weight") * pl.col("decay")).alias("contribution"))
        .select(HARM_EVENT_COLUMNS)
    )
    is_offender = pl.col("side") == OFFENDER
    is_victim = pl.col("side") == VICTIM
    scores = (
        scored.group_by("person_id")
        .agg(
            pl.col("contribution").filter(is_offender).sum().alias("harm_score"),
            pl.col("contribution").filter(is_victim).sum().alias("victim_harm_score"),
            is_offender.sum().cast(pl.Int64).alias("offence_count"),
            is_victim.sum().cast(pl.Int64).alias("victimisation_count"),
        )
        .select(SCORE_COLUMNS)
    )
    return PersonHarm(
        scores=scores,
        harm_events=scored,
        events=events,
        table=table,
        as_of=as_of,
        events_in_window=events.height,
        events_unweighted=unweighted_events.height,
        unweighted=unweighted,
    )

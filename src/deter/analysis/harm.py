"""Crime harm: Cambridge Crime Harm Index days per event, decayed by recency, summed per person.

Every event in the window gets the CCHI 2026 value (days of imprisonment; subgroup medians) of
its Home Office ``offence_code``; an event with no known code falls back to its police.uk
``offence_category`` (matched case-insensitively, e.g. data.police.uk imports); an event with
neither known gets 0 days and is counted and reported as *unweighted*, never silently.

A person's offender harm sums, over the events where they are suspect or offender, the event's
days times ``0.5 ** (age_days / half_life_days)``; victim harm does the same over the events
where they are a victim.  Witnesses and ``other`` roles count on neither side.  The
``harm_events`` frame lists every term of every sum so each score can be explained line by line.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from typing import TYPE_CHECKING

import polars as pl

from deter.analysis.extract import OFFENDING_ROLES, Extract

if TYPE_CHECKING:
    from deter.analysis.pipeline import AnalysisConfig

HARM_TABLE = "harm_cchi_2026.csv"
CATEGORY_TABLE = "harm_cchi_2026_by_policeuk_category.csv"
HARM_SOURCE = (
    "Cambridge Crime Harm Index 2026 (Sherman, Neyroud & Neyroud 2016), medians per Home Office "
    "offence subgroup; police.uk category fallback = volume-weighted mean of subgroup medians"
)
# Spellings of police.uk categories other than the "Crime type" column of the street files
# (e.g. the police.uk API slugs), after lower-casing and turning - and _ into spaces.
CATEGORY_ALIASES = {
    "violent crime": "violence and sexual offences",
    "violence": "violence and sexual offences",
    "criminal damage arson": "criminal damage and arson",
    "theft from person": "theft from the person",
    "weapons": "possession of weapons",
}
OFFENDER, VICTIM = "offender", "victim"
HARM_EVENT_COLUMNS = (
    "person_id", "side", "event_id", "occurred_at", "offence_code", "offence_category", "role",
    "cchi_days", "decay", "contribution", "weighted_by",
)
SCORE_COLUMNS = (
    "person_id", "harm_score", "victim_harm_score", "offence_count", "victimisation_count",
)


@functools.cache
def harm_table() -> pl.DataFrame:
    """The offence-code table: offence_code, description, subgroup, category, cchi_days..."""
    source = resources.files("deter.analysis.data").joinpath(HARM_TABLE)
    with source.open("rb") as handle:
        return pl.read_csv(handle.read(), infer_schema=False).with_columns(
            pl.col("cchi_days").cast(pl.Float64)
        )


@functools.cache
def category_table() -> pl.DataFrame:
    """The police.uk category table: policeuk_category (lower case), cchi_days."""
    source = resources.files("deter.analysis.data").joinpath(CATEGORY_TABLE)
    with source.open("rb") as handle:
        return pl.read_csv(handle.read(), infer_schema=False).select(
            pl.col("policeuk_category").str.to_lowercase(), pl.col("cchi_days").cast(pl.Float64)
        )


@functools.cache
def _code_days() -> dict[str, float]:
    """Normalised offence code -> days; a combined code such as ``1/4.1/4.10/4.2`` also matches
    each of its parts."""
    table = harm_table()
    days: dict[str, float] = {}
    for code, value in zip(table["offence_code"], table["cchi_days"], strict=True):
        key = code.strip().upper()
        days.setdefault(key, value)
        if "/" in key:
            for part in key.split("/"):
                days.setdefault(part.strip(), value)
    return days


@functools.cache
def _category_days() -> dict[str, float]:
    table = category_table()
    days = dict(zip(table["policeuk_category"], table["cchi_days"], strict=True))
    days.update({alias: days[target] for alias, target in CATEGORY_ALIASES.items()})
    return days


def normalise_code(expr: pl.Expr) -> pl.Expr:
    return expr.str.strip_chars().str.to_uppercase()


def normalise_category(expr: pl.Expr) -> pl.Expr:
    return (
        expr.str.to_lowercase()
        .str.replace_all(r"[-_\s]+", " ")
        .str.strip_chars()
    )


def event_harm(events: pl.DataFrame) -> pl.DataFrame:
    """``events`` plus ``cchi_days`` (0 when unknown) and ``weighted_by``: "offence_code",
    "offence_category", or null for an unweighted event."""
    by_code = normalise_code(pl.col("offence_code")).replace_strict(
        _code_days(), default=None, return_dtype=pl.Float64
    )
    by_category = normalise_category(pl.col("offence_category")).replace_strict(
        _category_days(), default=None, return_dtype=pl.Float64
    )
    return (
        events.with_columns(by_code.alias("_by_code"), by_category.alias("_by_category"))
        .with_columns(
            pl.coalesce("_by_code", "_by_category", pl.lit(0.0)).alias("cchi_days"),
            pl.when(pl.col("_by_code").is_not_null())
            .then(pl.lit("offence_code"))
            .when(pl.col("_by_category").is_not_null())
            .then(pl.lit("offence_category"))
            .otherwise(pl.lit(None, dtype=pl.String))
            .alias("weighted_by"),
        )
        .drop("_by_code", "_by_category")
    )


def to_utc(moment: datetime | date | None) -> datetime | None:
    """A UTC-aware datetime (naive values are taken as UTC; a date as its midnight)."""
    if moment is None:
        return None
    if not isinstance(moment, datetime):
        moment = datetime.combine(moment, time(), tzinfo=UTC)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


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


@dataclass
class PersonHarm:
    """Per-person harm and its explanation.

    ``scores``: person_id, harm_score, victim_harm_score, offence_count, victimisation_count
    (only people with at least one scored involvement in the window).
    ``harm_events``: one row per person, side and event, the terms of those sums, in no
    particular order (sorting two million rows by person costs a second; sort when showing).
    """

    scores: pl.DataFrame
    harm_events: pl.DataFrame
    as_of: datetime | None
    events_in_window: int
    events_unweighted: int
    unweighted: list[dict]  # the unknown (offence_code, offence_category) values, most common first


def person_harm(extract: Extract, config: AnalysisConfig | None = None) -> PersonHarm:
    """Offender and victim harm per person over the window, with the per-event explanation."""
    if config is None:
        from deter.analysis.pipeline import AnalysisConfig

        config = AnalysisConfig()
    as_of = resolve_as_of(extract, config)
    events = event_harm(window_events(extract.events, as_of, config))
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
                "event_id", "occurred_at", "offence_code", "offence_category", "cchi_days",
                "decay", "weighted_by",
            ),
            on="event_id",
            how="inner",
        )
        .with_columns((pl.col("cchi_days") * pl.col("decay")).alias("contribution"))
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
        as_of=as_of,
        events_in_window=events.height,
        events_unweighted=unweighted_events.height,
        unweighted=unweighted,
    )

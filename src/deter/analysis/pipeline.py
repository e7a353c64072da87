"""Problem analysis end to end: harm per person, the people network, groups, ranking, outputs.

    result = analyse(read_extract("extract/"), AnalysisConfig(window_days=730))
    write_outputs(result, Path("run/"))

Every setting that changes a result is in ``AnalysisConfig`` and is saved with the run
(``summary.json``), so a score can be reproduced and explained later.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import igraph as ig
import polars as pl

from deter.analysis.config import AnalysisConfig
from deter.analysis.criteria import (
    apply_criteria,
    criteria_summary,
    victim_offender,
    victim_offender_summary,
    violent_offences,
)
from deter.analysis.disproportionality import breakdown
from deter.analysis.disruption import DISRUPTION_COLUMNS, disruption
from deter.analysis.exposure import exposure_summary, network_exposure
from deter.analysis.extract import Extract
from deter.analysis.groups import find_groups
from deter.analysis.harm import event_window, person_harm
from deter.analysis.harm_tables import HarmTable
from deter.analysis.keyplayers import key_players, reach_sets
from deter.analysis.places import (
    concentration_table,
    places_summary,
    places_table,
    read_lsoa_population,
)
from deter.analysis.prepared import prepare
from deter.analysis.relations import RELATION_COLUMNS, group_relations
from deter.analysis.rfg import rfg_scores
from deter.analysis.stability import compare_recorded, leiden_stability, recorded_memberships
from deter.analysis.timing import (
    HOUR_WEEKDAY_COLUMNS,
    TREND_METHODS,
    hour_by_weekday,
    monthly_trend,
    times_known,
)

# The method's version: the harm table's name and version are recorded separately.
SCORING_VERSION = "harm-decay-v1+rfgv-v1+criteria-v1"
PEOPLE_COLUMNS = (
    "person_id", "group_id", "harm_score", "victim_harm_score", "offence_count",
    "victimisation_count", "degree", "rank",
    "rfgv_score", "rfg_recency", "rfg_frequency", "rfg_gravity", "rfg_victims",
    "rfgv_explanation", "violent_offences", "victim_offender", "criteria_met", "proposed",
    "strength", "betweenness_normalised", "betweenness_raw", "broker_groups", "participation",
    "exposure_score",
    "steps_to_victim", "at_risk",
)
GROUP_COLUMNS = (
    "group_id", "size", "harm_score", "victim_harm_score", "members_recorded_groups",
    "recorded_group_share", "rank", "stability", "reach_set", "reach_set_size",
    "merges_recorded",
)


@dataclass
class AnalysisResult:
    config: AnalysisConfig
    people: pl.DataFrame  # PEOPLE_COLUMNS, by rank
    groups: pl.DataFrame  # GROUP_COLUMNS, by rank
    harm_events: pl.DataFrame  # the terms of every harm score (see deter.analysis.harm)
    graph: ig.Graph  # vertex "name" = person_id; edge "weight", "shared_events", "kinds"
    summary: dict[str, Any]
    places: pl.DataFrame  # grid cells, LSOAs and unlocated events (deter.analysis.places)
    concentration: pl.DataFrame  # share of harm in the top 1/5/10% of people and places
    hour_weekday: pl.DataFrame  # 7 x 24 events and harm, local time; empty for date-only data
    trend: pl.DataFrame  # events and harm a month, with trend and seasonality
    disproportionality: pl.DataFrame  # proposed vs offenders by sex, age band, ethnicity
    relations: pl.DataFrame  # rivalries and alliances between found groups, with evidence
    recorded_comparison: pl.DataFrame  # recorded groups: kept together, split, not found
    # the largest component as the top brokers are removed (deter.analysis.disruption)
    disruption: pl.DataFrame


def analyse(
    extract: Extract,
    config: AnalysisConfig = AnalysisConfig(),  # noqa: B008 (frozen, so safe to share)
    progress: Callable[[str], None] | None = None,
) -> AnalysisResult:
    """Score harm, build the network, find and rank groups and people."""
    say = progress or (lambda _message: None)
    seconds: dict[str, float] = {}
    cpu_seconds: dict[str, float] = {}  # all of the process's threads: Polars runs in parallel
    started, started_cpu = time.perf_counter(), time.process_time()

    def step(name: str) -> None:
        nonlocal started, started_cpu
        now, now_cpu = time.perf_counter(), time.process_time()
        seconds[name] = round(now - started, 4)
        cpu_seconds[name] = round(now_cpu - started_cpu, 4)
        started, started_cpu = now, now_cpu

    check_analysable(extract)
    say("scoring harm")
    window = event_window(extract, config)
    harm = person_harm(extract, config, window=window)
    step("harm")
    table = window.table
    if harm.events_unweighted:
        say(
            f"{harm.events_unweighted} of {harm.events_in_window} events in the window have no "
            f"known offence code or category and score 0 {table.unit}"
        )
    say("building the network")
    prepared = prepare(extract, config, window=window)
    graph, components = prepared.graph, prepared.components
    step("network")
    say(f"finding groups among {graph.vcount()} people and {graph.ecount()} links")
    found = find_groups(graph, config, person_harm=harm.scores, components=components)
    step("groups")
    say("ranking")
    people = _rank_people(graph, harm.scores, found.membership)
    groups = _rank_groups(people, recorded_memberships(extract, config, prepared.window))
    step("ranking")
    say("scoring RFGV and applying the selection criteria")
    people = _select_people(people, extract, harm.as_of, table, config)
    step("selection")
    say("finding key players, relations between groups and network exposure")
    players = key_players(
        graph, found.membership, exact_max_vertices=config.betweenness_exact_max,
        samples=config.betweenness_samples, seed=config.seed, components=components,
    )
    exposure = network_exposure(
        graph, extract, config, within_days=config.exposure_days,
        at_risk_min_score=config.at_risk_min_exposure, links=prepared.links,
        window=prepared.window,
    )
    people = people.join(
        players.people.select("person_id", "strength", "betweenness_normalised",
                              pl.col("betweenness").alias("betweenness_raw"), "broker_groups",
                              "participation"),
        on="person_id", how="left", maintain_order="left",
    ).join(
        exposure.select("person_id", "exposure_score", "steps_to_victim", "at_risk"),
        on="person_id", how="left", maintain_order="left",
    ).select(PEOPLE_COLUMNS)
    relations = group_relations(
        extract, found.membership, config, links=prepared.links, window=prepared.window,
        alliance_association_kinds=config.alliance_association_kinds,
    ).select(RELATION_COLUMNS)
    step("network analysis")
    say(f"removing the {config.disruption_top} highest-betweenness people to see the network "
        "break up")
    disrupted = disruption(
        graph, config.disruption_top, betweenness=players.people["betweenness"].to_numpy(),
        exact_max_vertices=config.betweenness_exact_max, samples=config.betweenness_samples,
        seed=config.seed,
    ).select(DISRUPTION_COLUMNS)
    step("disruption")
    if config.stability_seeds > 1 and groups.height:
        say(f"finding groups again with {config.stability_seeds - 1} more seeds for stability")
        stability = leiden_stability(graph, found.membership, config,
                                     seeds=config.stability_seeds, components=components)
    else:
        stability = None
    recorded = compare_recorded(found.membership, extract, config, window=prepared.window)
    groups = _describe_groups(groups, reach_sets(graph, found.membership), stability, recorded)
    step("stability")
    say("mapping places and times")
    places, timing = _places_and_time(harm.events, table, config)
    concentration = concentration_table(
        person_scores=harm.scores, people_named=people.height, places=places
    )
    hour_weekday, trend = timing
    step("places")
    disproportionality = breakdown(people, extract.people, harm.as_of)
    warnings = _warnings(extract, config, harm, people, graph, groups)
    for warning in warnings:
        say(f"warning: {warning}")
    seconds["total"] = round(sum(seconds.values()), 4)
    cpu_seconds["total"] = round(sum(cpu_seconds.values()), 4)
    summary = {
        "scoring_version": SCORING_VERSION,
        "harm_table": table.summary(),
        "as_of": harm.as_of.isoformat() if harm.as_of else None,
        "config": config.as_dict(),
        "people": people.height,
        "people_with_offender_harm": int((people["harm_score"] > 0).sum()),
        "people_with_victim_harm": int((people["victim_harm_score"] > 0).sum()),
        "events": extract.events.height,
        "events_in_window": harm.events_in_window,
        "events_unweighted": harm.events_unweighted,
        "unweighted_offences": harm.unweighted,
        "involvements_scored": harm.harm_events.height,
        "edges": graph.ecount(),
        "groups": groups.height,
        "people_in_groups": int(people["group_id"].is_not_null().sum()),
        "communities": found.communities,
        "people_in_loose_networks": found.loose_network_people,
        "modularity": _finite(found.modularity),
        "stability": stability.summary() if stability else {"seeds": 1, "mean_ari": None},
        "betweenness": {
            "exact": players.betweenness_exact,
            "sources": players.betweenness_sources,
            "people": players.betweenness_vertices,
        },
        "exposure": exposure_summary(graph, exposure, components),
        "relations": {
            "rivalries": int((relations["relation"] == "rivalry").sum()),
            "alliances": int((relations["relation"] == "alliance").sum()),
        },
        "recorded_groups": {
            outcome: int(count)
            for outcome, count in recorded.recorded.group_by("outcome").len().iter_rows()
        },
        "criteria": criteria_summary(people, config.criteria, table.unit),
        "victim_offender": victim_offender_summary(people),
        "places": {"cell_metres": config.cell_metres, **places_summary(places)},
        "timing": {
            "timezone": config.timezone,
            "times_known": hour_weekday.height > 0,
            "trend_method": {**TREND_METHODS, GAPPY: GAPPY_METHOD}[
                trend["method"][0] if trend.height else "none"
            ],
        },
        "warnings": warnings,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
    }
    say("done")
    return AnalysisResult(
        config=config, people=people, groups=groups, harm_events=harm.harm_events,
        graph=graph, summary=summary, places=places, concentration=concentration,
        hour_weekday=hour_weekday, trend=trend, disproportionality=disproportionality,
        relations=relations, recorded_comparison=recorded.recorded, disruption=disrupted,
    )


class AnalysisInputError(ValueError):
    """Records the analysis cannot use as they are (say, a weight of NaN stored before imports
    checked for it): named by table, column and record, and nothing is analysed."""


# (table, column, the column naming the record) of every number the analysis computes with
NUMBERS = (("associations", "weight", "person_a"), ("memberships", "confidence", "person_id"),
           ("events", "latitude", "event_id"), ("events", "longitude", "event_id"))
# An analysis date this far after every other event comes from one row, not from the data.
LONE_LATEST_DAYS = 180


def check_analysable(extract: Extract) -> None:
    """Refuse non-finite numbers: one NaN weight makes every community score NaN and the
    analysis finds no groups (and the backends differ: SQLite stores NaN as NULL)."""
    for table, column, key in NUMBERS:
        frame = getattr(extract, table)
        bad = frame.filter(pl.col(column).is_not_null() & ~pl.col(column).is_finite())
        if bad.height:
            raise AnalysisInputError(
                f"{table}, column {column}: {bad[column][0]!r} is not a finite number (record "
                f"{key} {bad[key][0]!r}; {bad.height} such record(s)); correct or remove it")


def _warnings(extract: Extract, config: AnalysisConfig, harm, people: pl.DataFrame,
              graph: ig.Graph, groups: pl.DataFrame) -> list[str]:
    """Results that are more likely a fault in the data than a finding: said, not hidden."""
    warnings = []
    if config.as_of is None and extract.events.height > 1:
        latest = extract.events.select(pl.col("occurred_at").unique().top_k(2)).to_series()
        if latest.len() == 2 and (latest[0] - latest[1]).days > LONE_LATEST_DAYS:
            lone = extract.events.filter(pl.col("occurred_at") == latest[0])
            warnings.append(
                f"the analysis date {latest[0]:%Y-%m-%d} comes from {lone.height} event(s) "
                f"({lone['event_id'][0]}) dated more than {LONE_LATEST_DAYS} days after every "
                f"other (latest {latest[1]:%Y-%m-%d}); only {harm.events_in_window} of "
                f"{extract.events.height} events are in the window: check the date or give "
                "--as-of")
    harmful = int((people["harm_score"] > 0).sum())
    if harmful and not int(people["proposed"].sum()):
        warnings.append(f"nobody meets the selection criteria although {harmful} people have "
                        "offender harm in the window")
    if graph.ecount() and not groups.height:
        warnings.append(f"no groups were found among {graph.vcount()} people and "
                        f"{graph.ecount()} links")
    return warnings


def _describe_groups(
    groups: pl.DataFrame, reach: pl.DataFrame, stability, recorded
) -> pl.DataFrame:
    """Ranked groups plus their stability across seeds, call-in reach set and the recorded
    groups each one merges."""
    if stability is not None:
        groups = groups.join(stability.groups.select("group_id", "stability"), on="group_id",
                             how="left", maintain_order="left")
    else:
        groups = groups.with_columns(pl.lit(None, dtype=pl.Float64).alias("stability"))
    return (
        groups.join(reach.select("group_id", "reach_set", "reach_set_size"), on="group_id",
                    how="left", maintain_order="left")
        .join(
            recorded.found.select(
                "group_id",
                pl.when(pl.col("merges")).then(pl.col("recorded_groups")).alias("merges_recorded"),
            ),
            on="group_id", how="left", maintain_order="left",
        )
        .select(GROUP_COLUMNS)
    )


def _places_and_time(
    events: pl.DataFrame, table: HarmTable, config: AnalysisConfig
) -> tuple[pl.DataFrame, tuple[pl.DataFrame, pl.DataFrame]]:
    """Hotspots (decayed harm, like people's scores) and time patterns (undecayed: a decay
    would invent a rising trend); the hour of the week only when the events carry times."""
    population = (
        read_lsoa_population(config.population_table) if config.population_table else None
    )
    places = places_table(events, cell_metres=config.cell_metres, decay="decay", table=table,
                          population=population)
    if events.height and times_known(events):
        hour_weekday = hour_by_weekday(events, timezone=config.timezone)
    else:
        hour_weekday = pl.DataFrame(schema=dict.fromkeys(HOUR_WEEKDAY_COLUMNS, pl.Int64))
    trend = monthly_trend(events, timezone=config.timezone)
    return places, (hour_weekday, _unless_gappy(trend))


# A trend needs a continuous series: police.uk samples such as one month a year would
# otherwise be read as a year of empty months between two busy ones.
MAX_EMPTY_MONTHS = 0.25
GAPPY = "gaps"
GAPPY_METHOD = (
    "The extract is not a continuous monthly series (more than a quarter of the months in its "
    "span have no events), so no trend or seasonality is estimated."
)


def _unless_gappy(trend: pl.DataFrame) -> pl.DataFrame:
    if trend.height == 0 or (trend["events"] == 0).mean() <= MAX_EMPTY_MONTHS:
        return trend
    return trend.with_columns(
        pl.lit(None, dtype=pl.Float64).alias(name) for name in ("trend", "seasonal", "residual")
    ).with_columns(pl.lit(GAPPY).alias("method"))


def _finite(value: float) -> float | None:
    return round(value, 6) if math.isfinite(value) else None


def _select_people(
    people: pl.DataFrame, extract: Extract, as_of: datetime | None, table: HarmTable,
    config: AnalysisConfig,
) -> pl.DataFrame:
    """``people`` plus the RFGV score, victim-offender flag and selection (deter.analysis.rfg,
    deter.analysis.criteria); everyone keeps a row, scored 0 when they have no offence."""
    rfg = rfg_scores(extract, as_of, table, config.rfg).select(
        "person_id", "rfgv_score", "rfg_recency", "rfg_frequency", "rfg_gravity",
        "rfg_victims", "rfgv_explanation",
    )
    people = people.join(rfg, on="person_id", how="left", maintain_order="left").with_columns(
        pl.col("rfgv_score", "rfg_recency", "rfg_frequency", "rfg_gravity", "rfg_victims")
        .fill_null(0.0),
        pl.col("rfgv_explanation").fill_null("no offence in the RFGV window"),
        victim_offender().alias("victim_offender"),
    )
    violent = violent_offences(extract, as_of, table, config.criteria.violent_within_days)
    selected = apply_criteria(people, violent, config.criteria, table.unit)
    return people.join(selected, on="person_id", how="left", maintain_order="left")


def _rank_people(
    graph: ig.Graph, scores: pl.DataFrame, membership: pl.DataFrame
) -> pl.DataFrame:
    """One row per vertex; rank 1 = most offender harm (ties: more offences, more links, id)."""
    people = membership.with_columns(pl.Series("degree", graph.degree(), dtype=pl.Int64))
    return (
        people.join(scores, on="person_id", how="left")
        .with_columns(
            pl.col("harm_score", "victim_harm_score").fill_null(0.0),
            pl.col("offence_count", "victimisation_count").fill_null(0),
        )
        .sort(
            ["harm_score", "offence_count", "degree", "person_id"],
            descending=[True, True, True, False],
        )
        .with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("rank"))
        .select(PEOPLE_COLUMNS[: PEOPLE_COLUMNS.index("rank") + 1])
    )


def _rank_groups(people: pl.DataFrame, recorded_memberships: pl.DataFrame) -> pl.DataFrame:
    """One row per group; rank 1 = most summed offender harm; with the recorded group most of
    its members belong to (``recorded_memberships``: those overlapping the window)."""
    members = people.filter(pl.col("group_id").is_not_null())
    groups = members.group_by("group_id").agg(
        pl.len().cast(pl.Int64).alias("size"),
        pl.col("harm_score").sum(),
        pl.col("victim_harm_score").sum(),
    )
    recorded = _recorded_groups(members, recorded_memberships)
    return (
        groups.join(recorded, on="group_id", how="left")
        .with_columns(
            (pl.col("recorded_members").fill_null(0) / pl.col("size")).alias(
                "recorded_group_share"
            )
        )
        .sort(["harm_score", "size", "group_id"], descending=[True, True, False])
        .with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("rank"))
        .select(GROUP_COLUMNS[: GROUP_COLUMNS.index("rank") + 1])
    )


def _recorded_groups(members: pl.DataFrame, memberships: pl.DataFrame) -> pl.DataFrame:
    return (
        members.select("person_id", "group_id")
        .join(
            memberships.select("person_id", pl.col("group_id").alias("recorded")),
            on="person_id",
            how="inner",
        )
        .group_by("group_id", "recorded")
        .agg(pl.len().cast(pl.Int64).alias("recorded_members"))
        .sort(["group_id", "recorded_members", "recorded"], descending=[False, True, False])
        .group_by("group_id", maintain_order=True)
        .first()
        .select("group_id", pl.col("recorded").alias("members_recorded_groups"),
                "recorded_members")
    )


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")


OUTPUT_FILES = (
    "people.csv", "groups.csv", "group_relations.csv", "places.csv", "concentration.csv",
    "hour_weekday.csv", "monthly_trend.csv", "recorded_groups.csv", "disproportionality.csv",
    "harm_events.csv", "disruption.csv", "network.graphml", "report.html", "summary.json",
)


def write_outputs(result: AnalysisResult, out: Path, *, report: bool = True) -> None:
    """The run's tables as CSV, the network as GraphML, the problem profile ``report.html``
    and ``summary.json`` in ``out`` (``OUTPUT_FILES``).

    Each file is written under a temporary name and renamed into place; summary.json comes
    last, so its presence means the run's files are complete.
    """
    from deter.analysis.graphml import write_graphml
    from deter.analysis.report import write_report

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tables = {
        "people.csv": result.people,
        "groups.csv": result.groups,
        "group_relations.csv": result.relations,
        "places.csv": result.places,
        "concentration.csv": result.concentration,
        "hour_weekday.csv": result.hour_weekday,
        "monthly_trend.csv": result.trend,
        "recorded_groups.csv": result.recorded_comparison,
        "disproportionality.csv": result.disproportionality,
        "disruption.csv": result.disruption,
        "harm_events.csv": result.harm_events.sort(
            "person_id", "side", "occurred_at", "event_id", descending=[False, False, True, False]
        ).with_columns(pl.col("occurred_at").dt.strftime("%Y-%m-%dT%H:%M:%SZ")),
    }
    (out / "summary.json").unlink(missing_ok=True)
    for name, frame in tables.items():
        partial = out / f".{name}.partial"
        frame.write_csv(partial)
        os.replace(partial, out / name)
    write_graphml(result.graph, result.people, out / "network.graphml")
    if report:
        write_report(result, out / "report.html")
    partial = out / ".summary.json.partial"
    partial.write_text(
        json.dumps(result.summary, indent=2, default=_json_default) + "\n", encoding="utf-8"
    )
    os.replace(partial, out / "summary.json")

"""``report.html``: the problem profile, one self-contained file that opens offline.

Everything the page needs is inside it: styles inline, charts as inline SVG (see
``deter.analysis.charts``), no scripts, fonts, images or links to fetch.  It is rendered by
Jinja2 with autoescaping on, so an offence description or an id from an extract can never inject
markup.  Each chart comes with its figures in a table (in a ``<details>``), for readers who
cannot see the chart and for checking it.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
import polars as pl

from deter.analysis import charts
from deter.analysis.config import flatten
from deter.analysis.places.extent import map_extent
from deter.analysis.places.names import lsoa_names_version, with_lsoa_names
from deter.analysis.timing import abrupt_changes

if TYPE_CHECKING:
    from deter.analysis.pipeline import AnalysisResult

TOP_PEOPLE = 50
TOP_GROUPS = 40
TOP_RELATIONS = 100
# Below this stability a "group" is mostly an artefact of one random seed: typically a loose
# network of prolific offenders.  Such groups stay in the tables, marked, but off the map.
STABLE = 0.5
TOP_PLACES = 20
EVENTS_PER_PERSON = 15
TOP_KEY_PLAYERS = 25


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("deter.analysis", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _number(value: Any, digits: int = 0) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}"


def _percent(value: Any, digits: int = 0) -> str:
    return "–" if value is None else f"{100 * value:.{digits}f}%"


def _date(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, datetime):
        return value.strftime("%d %b %Y %H:%M")
    return value.strftime("%d %b %Y") if hasattr(value, "strftime") else str(value)


# What each setting does, in a phrase, for the settings table (the key stays as saved, so a run
# can be reproduced from it)
SETTING_NOTES = {
    "as_of": "analysis date (not set: the latest event)",
    "window_days": "events older than this many days are left out",
    "half_life_days": "harm halves every this many days",
    "resolution": "Leiden resolution: higher finds smaller groups",
    "seed": "random seed for group finding and sampling",
    "association_weights": "link weight by association kind (others 1)",
    "min_group_size": "smaller communities are no group",
    "max_group_size": "larger communities are split again",
    "leiden_iterations": "Leiden iterations (-1: until stable)",
    "harm_table": "harm weights of offences",
    "rfg.window_days": "RFGV window in days",
    "rfg.recency_bands": "days since the last offence → recency score",
    "rfg.frequency_bands": "offences → frequency score",
    "rfg.gravity_bands": "harm → gravity score",
    "rfg.victim_bands": "victims → victims score",
    "criteria.violent_within_days": "violent offences counted within this many days",
    "criteria.min_violent_offences": "fewest violent offences to be proposed",
    "criteria.min_harm_score": "least offender harm to be proposed",
    "criteria.min_rfgv_score": "least RFGV score to be proposed",
    "criteria.combine": "criteria combined by (all: every one; any: one)",
    "cell_metres": "hotspot grid cell side in metres",
    "population_table": "LSOA residents for rates",
    "timezone": "local time for hours and months",
    "stability_seeds": "seeds in all for group stability",
    "betweenness_exact_max": "betweenness exact up to this many linked people",
    "betweenness_samples": "sampled sources when estimated",
    "exposure_days": "violence this recent counts towards exposure",
    "at_risk_min_exposure": "exposure score from which a person is at risk",
    "disruption_top": "brokers removed in the disruption analysis",
    "alliance_association_kinds": "association kinds that count as alliance evidence",
}


def _setting(value: Any) -> str:
    """A saved setting as a reader would write it: no Python brackets or quotes."""
    if value is None:
        return "not set"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_setting(v)}" for k, v in value.items()) or "none"
    if isinstance(value, list | tuple):
        if value and all(isinstance(item, list | tuple) and len(item) == 2 for item in value):
            return "; ".join(f"{_setting(a)} → {_setting(b)}" for a, b in value)
        return ", ".join(_setting(item) for item in value) or "none"
    return str(value)


def settings_rows(config: dict[str, Any]) -> list[dict[str, str]]:
    """The saved settings (``AnalysisConfig.as_dict``) as rows of a table: the dotted key,
    the value in words and what it does."""
    return [
        {"setting": key, "value": _setting(value), "note": SETTING_NOTES.get(key, "")}
        for key, value in flatten(config).items()
    ]


def render_report(result: AnalysisResult, title: str = "Problem profile") -> str:
    """The report as an HTML string."""
    environment = _environment()
    environment.filters.update(number=_number, percent=_percent, date=_date)
    template = environment.get_template("report.html.j2")
    return template.render(**report_context(result, title))


def write_report(result: AnalysisResult, path: Path, title: str = "Problem profile") -> None:
    path = Path(path)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(render_report(result, title), encoding="utf-8")
    os.replace(partial, path)


def report_context(result: AnalysisResult, title: str) -> dict[str, Any]:
    people = result.people
    summary = result.summary
    proposed = people.filter(pl.col("proposed")).sort("rank")
    top_people = proposed.head(TOP_PEOPLE)
    explanations = _explanations(result.harm_events, top_people["person_id"])
    groups = result.groups.sort("rank")
    relations = result.relations.sort("relation", "weight", descending=[True, True])
    stable = groups.filter(pl.col("stability").is_null() | (pl.col("stability") >= STABLE))
    mapped = relations.filter(
        pl.col("group_a").is_in(stable["group_id"].implode())
        & pl.col("group_b").is_in(stable["group_id"].implode())
    )
    places = result.places
    grid = places.filter(pl.col("place_kind") == "grid").sort("rank")
    lsoa = places.filter(pl.col("place_kind") == "lsoa").sort("rank")
    extent = map_extent(grid)
    abrupt = abrupt_changes(result.trend) if result.trend.height else None
    offender_harm = people.filter(pl.col("harm_score") > 0)["harm_score"].to_numpy()
    curves = {"people (offender harm)": offender_harm}
    # a population with no harm at all (no events) has no shares to show
    concentration = result.concentration.filter(pl.col("harm_share").is_not_null())
    if grid.height:
        curves["grid cells"] = grid["harm"].to_numpy()
    if lsoa.height:
        curves["LSOAs"] = lsoa["harm"].to_numpy()
    return {
        "title": title,
        "generated": datetime.now(UTC).strftime("%d %b %Y %H:%M UTC"),
        "summary": summary,
        "config": summary["config"],
        "settings": settings_rows(summary["config"]),
        "people_total": people.height,
        "proposed_total": proposed.height,
        "at_risk_total": int(people["at_risk"].sum()),
        "people": top_people.to_dicts(),
        "key_players": _key_players(people).head(TOP_KEY_PLAYERS).to_dicts(),
        "key_players_total": _key_players(people).height,
        "disruption": _disruption_rows(result.disruption),
        "explanations": explanations,
        "groups": groups.head(TOP_GROUPS).to_dicts(),
        "groups_total": groups.height,
        "relations": relations.head(TOP_RELATIONS).to_dicts(),
        "relations_total": relations.height,
        "stable_threshold": STABLE,
        "conflict_sized_by": charts.conflict_size_basis(stable),
        "unstable_groups": groups.height - stable.height,
        "rivalries": relations.filter(pl.col("relation") == "rivalry").height,
        "alliances": relations.filter(pl.col("relation") == "alliance").height,
        "recorded_comparison": result.recorded_comparison.to_dicts(),
        "grid": grid.head(TOP_PLACES).to_dicts(),
        "off_map": extent.outside.to_dicts(),
        "map_merge": charts.map_squares(extent.inside)[1] if extent.inside.height else 1,
        "off_map_total": extent.outside.height,
        "lsoa": with_lsoa_names(lsoa.head(TOP_PLACES)).to_dicts(),
        "lsoa_names_version": lsoa_names_version(),
        "concentration": concentration.to_dicts(),
        "trend": result.trend.to_dicts(),
        "abrupt": abrupt.to_dicts() if abrupt is not None else [],
        "last_month": result.trend["month"].max() if result.trend.height else None,
        "hour_weekday_peak": result.hour_weekday.sort("harm", descending=True).head(5).to_dicts(),
        "disproportionality": result.disproportionality.to_dicts(),
        "charts": {
            "concentration": charts.concentration_chart(curves) if concentration.height else None,
            "conflict": charts.conflict_map(stable, mapped, seed=result.config.seed),
            "hotspots": charts.hotspot_map(extent.inside) if extent.inside.height else None,
            "hour_weekday": (charts.hour_weekday_chart(result.hour_weekday, "harm")
                             if result.hour_weekday.height else None),
            "trend": charts.trend_chart(result.trend, abrupt) if result.trend.height else None,
        },
    }


def _key_players(people: pl.DataFrame) -> pl.DataFrame:
    """Everyone with any betweenness, highest first (ties: more links, then the id)."""
    return people.filter(pl.col("betweenness_raw") > 0).sort(
        ["betweenness_raw", "degree", "person_id"], descending=[True, True, False]
    )


def _disruption_rows(disruption: pl.DataFrame) -> list[dict[str, Any]]:
    """One row per number removed, the two strategies side by side (None where one stopped)."""
    if disruption.height == 0:
        return []
    sides = []
    for strategy in ("at_once", "one_at_a_time"):
        sides.append(disruption.filter(pl.col("strategy") == strategy).select(
            "removed",
            pl.col("person_id").alias(f"{strategy}_person"),
            pl.col("largest_component").alias(f"{strategy}_largest"),
            pl.col("largest_share").alias(f"{strategy}_share"),
        ))
    return sides[0].join(sides[1], on="removed", how="full", coalesce=True).sort(
        "removed").to_dicts()


def _explanations(harm_events: pl.DataFrame, person_ids: pl.Series) -> dict[str, list[dict]]:
    """For each person, their offender-side events, largest contribution first."""
    rows = (
        harm_events.filter(pl.col("person_id").is_in(person_ids.implode()))
        .filter(pl.col("side") == "offender")
        .sort(["person_id", "contribution", "occurred_at"], descending=[False, True, True])
        .group_by("person_id", maintain_order=True)
        .head(EVENTS_PER_PERSON)
    )
    explained: dict[str, list[dict]] = {}
    for row in rows.iter_rows(named=True):
        explained.setdefault(row["person_id"], []).append(row)
    return explained

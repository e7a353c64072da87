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
    offender_harm = people.filter(pl.col("harm_score") > 0)["harm_score"].to_numpy()
    curves = {"people (offender harm)": offender_harm}
    if grid.height:
        curves["grid cells"] = grid["harm"].to_numpy()
    if lsoa.height:
        curves["LSOAs"] = lsoa["harm"].to_numpy()
    return {
        "title": title,
        "generated": datetime.now(UTC).strftime("%d %b %Y %H:%M UTC"),
        "summary": summary,
        "config": summary["config"],
        "people_total": people.height,
        "proposed_total": proposed.height,
        "at_risk_total": int(people["at_risk"].sum()),
        "people": top_people.to_dicts(),
        "explanations": explanations,
        "groups": groups.head(TOP_GROUPS).to_dicts(),
        "groups_total": groups.height,
        "relations": relations.head(TOP_RELATIONS).to_dicts(),
        "relations_total": relations.height,
        "stable_threshold": STABLE,
        "unstable_groups": groups.height - stable.height,
        "rivalries": relations.filter(pl.col("relation") == "rivalry").height,
        "alliances": relations.filter(pl.col("relation") == "alliance").height,
        "recorded_comparison": result.recorded_comparison.to_dicts(),
        "grid": grid.head(TOP_PLACES).to_dicts(),
        "lsoa": lsoa.head(TOP_PLACES).to_dicts(),
        "concentration": result.concentration.to_dicts(),
        "trend": result.trend.to_dicts(),
        "hour_weekday_peak": result.hour_weekday.sort("harm", descending=True).head(5).to_dicts(),
        "disproportionality": result.disproportionality.to_dicts(),
        "charts": {
            "concentration": charts.concentration_chart(curves),
            "conflict": charts.conflict_map(stable, mapped, seed=result.config.seed),
            "hotspots": charts.hotspot_map(places),
            "hour_weekday": charts.hour_weekday_chart(result.hour_weekday, "harm"),
            "trend": charts.trend_chart(result.trend) if result.trend.height else None,
        },
    }


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

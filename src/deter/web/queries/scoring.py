"""The scoring page: how the analysis weighs harm, scores RFGV and proposes people, generated
from the code and the saved settings of the newest complete runs, and what changed between the
two newest.

Nothing here is about a person: it reads each run's saved ``config`` and the summary of its
harm table (name, version, unit, source) and loads the table's weights from the code's data or
the table's file. It never reads scores, proposals or counts of people, so the same content may
be published (``Programme.publish_scoring``). File paths are shown by their file name only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deter.analysis import rfg
from deter.analysis.config import AnalysisConfig, diff_settings
from deter.analysis.extract import ExtractError
from deter.analysis.harm_tables import (
    BUILT_IN,
    VIOLENT_CATEGORIES,
    VIOLENT_GROUPS,
    HarmTable,
    diff_tables,
    load_harm_table,
    weights,
)

from ..models import AnalysisRun

PATH_SETTINGS = ("harm_table", "population_table")


@dataclass
class TableInUse:
    summary: dict[str, Any]  # name, version, unit, source
    table: HarmTable | None  # None: the file is not available to the web app
    note: str = ""

    @property
    def weights(self) -> list[dict]:
        return weights(self.table) if self.table else []


@dataclass
class Changes:
    older: AnalysisRun | None
    settings: list[tuple[str, str, str]] = field(default_factory=list)
    table: dict[str, list[dict]] | None = None  # diff_tables, or None when it cannot be made
    table_note: str = ""


@dataclass
class Scoring:
    run: AnalysisRun | None  # None: no complete run yet, the defaults are shown
    config: AnalysisConfig
    table: TableInUse
    harm_formula: str
    rfg_window_days: int
    rfg_components: list[dict]
    criteria: str
    violent_groups: list[str]
    violent_categories: list[str]
    changes: Changes


def _config(run: AnalysisRun | None) -> AnalysisConfig:
    if run is None or not run.config:
        return AnalysisConfig()
    try:
        return AnalysisConfig.from_dict(run.config)
    except (TypeError, ValueError):  # saved by an older version: show what it can
        return AnalysisConfig()


def _shown(name: str, value: Any) -> str:
    if value is None:
        return "not set"
    if name.split(".")[0] in PATH_SETTINGS and isinstance(value, str) and value not in BUILT_IN:
        return Path(value.removeprefix("ons-css:")).name
    if isinstance(value, list | tuple):
        return ", ".join(_shown("", v) for v in value) if value else "none"
    return f"{value:,.10g}" if isinstance(value, float) else str(value)


def table_of(run: AnalysisRun | None, config: AnalysisConfig) -> TableInUse:
    """The run's harm table: loaded again from its name or file, and checked against the
    version the run recorded."""
    recorded = dict((run.summary or {}).get("harm_table") or {}) if run else {}
    try:
        table = load_harm_table(config.harm_table)
    except (ExtractError, ValueError, OSError):
        return TableInUse(recorded or {"name": _shown("harm_table", config.harm_table)}, None,
                          "The table's file is not available here, so its weights cannot be "
                          "listed.")
    summary = {key: value for key, value in table.summary().items()
               if key in ("name", "version", "unit", "source")}
    if recorded.get("version") and recorded["version"] != table.version:
        return TableInUse({**summary, **{k: recorded[k] for k in summary if k in recorded}},
                          None, f"The table has changed since this analysis (now version "
                          f"{table.version}), so the weights it used cannot be listed.")
    return TableInUse(summary, table)


def changes_between(older: AnalysisRun | None, newer: AnalysisRun | None,
                    newer_table: TableInUse) -> Changes:
    if older is None or newer is None:
        return Changes(older)
    defaults = AnalysisConfig().as_dict()  # a run saved without its settings ran on these
    settings = [(name, _shown(name, old), _shown(name, new)) for name, old, new
                in diff_settings(older.config or defaults, newer.config or defaults)]
    changes = Changes(older, settings)
    older_table = table_of(older, _config(older))
    old_version = older_table.summary.get("version")
    if old_version and old_version == newer_table.summary.get("version"):
        changes.table_note = f"Both used the same harm table (version {old_version})."
    elif older_table.table and newer_table.table:
        changes.table = diff_tables(older_table.table, newer_table.table)
    else:
        changes.table_note = (
            f"The harm table changed (version {old_version or 'unknown'} to "
            f"{newer_table.summary.get('version') or 'unknown'}), but the older table is no "
            "longer available to compare weight by weight.")
    return changes


def scoring(newest: list[AnalysisRun]) -> Scoring:
    """``newest``: the complete runs, newest first (the first two are used)."""
    run = newest[0] if newest else None
    older = newest[1] if len(newest) > 1 else None
    config = _config(run)
    table = table_of(run, config)
    unit = str(table.summary.get("unit") or "points")
    return Scoring(
        run=run, config=config, table=table,
        harm_formula=(
            f"harm = the sum, over a person's offences in the {config.window_days:,} days "
            f"before the analysis date, of the offence's weight × 0.5 ^ (its age in days ÷ "
            f"{config.half_life_days:,.10g})"
        ),
        rfg_window_days=config.rfg.window_days,
        rfg_components=rfg.describe(config.rfg, unit),
        criteria=config.criteria.describe(unit),
        violent_groups=sorted(group.capitalize() for group in VIOLENT_GROUPS),
        violent_categories=sorted(category.capitalize() for category in VIOLENT_CATEGORIES),
        changes=changes_between(older, run, table),
    )

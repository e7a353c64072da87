"""Disproportionality for the fairness page and the problem profile: who is proposed, accepted
and active, by sex, age band and ethnicity, against everyone recorded and against the
offenders and victims of serious violence.

The caller has already asked the policy (``policy.programmes.can(user, "see_fairness",
programme)`` or ``policy.runs.can(user, "view_profile")``). These are aggregates over the whole
programme and the whole extract, never a person: every count from 1 to
``settings.DETER_SUPPRESS_BELOW - 1`` is shown as "fewer than N" and its ratio withheld
(``deter.analysis.disproportionality.compare``).

The computation is ``deter.analysis.disproportionality``; this module reads the people and the
groups from the database. Ages are on the run's analysis date. Serious violence is the run's
own definition (``domain.offences.violence_of``) over the run's selection window
(``criteria.violent_within_days``, else ``window_days``) ending on its analysis date.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import polars as pl
from django.conf import settings

from deter.analysis import disproportionality as fairness
from deter.analysis.config import AnalysisConfig
from deter.analysis.extract import OFFENDING_ROLES

from ..domain.offences import violence_of, violent
from ..models import AnalysisRun, CohortEntry, CohortStatus, Involvement, Person, PersonScore

BASELINES = (
    ("population", "everyone recorded"),
    ("violent_offenders", "offenders of serious violence"),
    ("violent_victims", "victims of serious violence"),
)
# the comparison a panel should read first: the people who commit the violence
WARNING_ORDER = (BASELINES[1], BASELINES[0], BASELINES[2])
ACCEPTED = (CohortStatus.ACTIVE, CohortStatus.STEPPED_DOWN, CohortStatus.EXITED)
CHARACTERISTIC_LABELS = {"sex": "Sex", "age band": "Age band", "ethnicity": "Ethnicity"}


def fairness_settings() -> fairness.FairnessSettings:
    return fairness.FairnessSettings(suppress_below=settings.DETER_SUPPRESS_BELOW)


@dataclass
class Cell:
    text: str
    warning: str | None = None  # "over" or "under"
    interval: str = ""


@dataclass
class Line:
    value: str
    count: str
    share: str
    cells: list[Cell]  # one per baseline


@dataclass
class Table:
    characteristic: str
    lines: list[Line]


@dataclass
class Comparison:
    """One group against every baseline."""

    key: str
    label: str
    total: int
    tables: list[Table] = field(default_factory=list)
    # (baseline key, baseline label, sentences), the baselines with a warning only
    warned: list[tuple[str, str, list[str]]] = field(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        return [sentence for _, _, sentences in self.warned for sentence in sentences]


@dataclass
class Fairness:
    run: AnalysisRun
    as_of: datetime | None
    window_days: int
    baselines: list[tuple[str, str, str]]  # key, label, people (formatted)
    baseline_tables: list[Table]
    comparisons: list[Comparison]
    settings: fairness.FairnessSettings

    @property
    def warnings(self) -> list[str]:
        return [warning for comparison in self.comparisons for warning in comparison.warnings]


def run_as_of(run: AnalysisRun) -> datetime | None:
    text = (run.summary or {}).get("as_of") or (run.config or {}).get("as_of")
    return datetime.fromisoformat(text) if text else None


def run_window_days(run: AnalysisRun) -> int:
    config = run.config or {}
    criteria = config.get("criteria") or {}
    days = criteria.get("violent_within_days")
    return int(days or config.get("window_days") or AnalysisConfig().window_days)


def _baselines(run: AnalysisRun) -> tuple[pl.DataFrame, dict[str, pl.DataFrame]]:
    return _baselines_of(run.pk, run.finished_at)


@functools.lru_cache(maxsize=4)
def _baselines_of(run_pk: int, finished_at) -> tuple[pl.DataFrame, dict[str, pl.DataFrame]]:
    """Everyone's characteristics on the run's date (by person key) and the baselines' counts:
    a run's results never change, so this is read once per process (keyed by the run and the
    moment it finished, so a database rebuilt with the same keys is read afresh)."""
    run = AnalysisRun.objects.get(pk=run_pk)
    as_of = run_as_of(run)
    recorded = pl.DataFrame(
        list(Person.objects.order_by().values_list("pk", "date_of_birth", "sex", "ethnicity")),
        schema={"person_id": pl.Int64, "date_of_birth": pl.Date, "sex": pl.String,
                "ethnicity": pl.String},
        orient="row",
    )
    people = fairness.attributes(recorded, as_of)
    involved = Involvement.objects.order_by()
    if as_of is not None:
        involved = involved.filter(
            event__occurred_at__gt=as_of - timedelta(days=run_window_days(run)),
            event__occurred_at__lte=as_of,
        )
    involved = violent(involved, violence_of(run))
    offenders = involved.filter(role__in=OFFENDING_ROLES).values_list("person_id", flat=True)
    victims = involved.filter(role=Involvement.Role.VICTIM).values_list("person_id", flat=True)
    return people, {
        "population": fairness.counts(people),
        "violent_offenders": fairness.counts(people, _ids(offenders.distinct())),
        "violent_victims": fairness.counts(people, _ids(victims.distinct())),
    }


def _ids(keys: Iterable[int]) -> pl.Series:
    return pl.Series("person_id", list(keys), dtype=pl.Int64)


def for_programme(programme, run: AnalysisRun) -> Fairness:
    """The run's proposals and the programme's cohort (brought to the panel, accepted,
    active) against the run's baselines."""
    entries = CohortEntry.objects.filter(programme=programme).order_by()
    groups = {
        "run_proposed": (f"people proposed by analysis run {run.pk}",
                         PersonScore.objects.filter(run=run, proposed=True)
                         .order_by().values_list("person_id", flat=True)),
        "panel": ("people brought to the panel", entries.values_list("person_id", flat=True)),
        "accepted": ("people the panel accepted", entries.filter(status__in=ACCEPTED)
                     .values_list("person_id", flat=True)),
        "active": ("the active cohort", entries.filter(status=CohortStatus.ACTIVE)
                   .values_list("person_id", flat=True)),
    }
    return build(run, {key: (label, _ids(keys)) for key, (label, keys) in groups.items()})


def build(run: AnalysisRun, groups: Mapping[str, tuple[str, pl.Series]]) -> Fairness:
    people, baselines = _baselines(run)
    chosen = fairness_settings()
    totals = {key: _total(frame) for key, frame in baselines.items()}
    comparisons = []
    for key, (label, members) in groups.items():
        group = fairness.counts(people, members)
        compared = {b: fairness.compare(group, baselines[b], chosen) for b, _ in BASELINES}
        comparisons.append(_comparison(key, label, compared, chosen))
    empty = fairness.counts(people, _ids([]))
    return Fairness(
        run=run, as_of=run_as_of(run), window_days=run_window_days(run),
        baselines=[(key, label, f"{totals[key]:,}") for key, label in BASELINES],
        baseline_tables=_baseline_tables(
            {b: fairness.compare(empty, baselines[b], chosen) for b, _ in BASELINES}),
        comparisons=comparisons, settings=chosen,
    )


def _total(frame: pl.DataFrame) -> int:
    return int(frame.filter(pl.col("characteristic") == "sex")["count"].sum())


def _comparison(key: str, label: str, compared: dict[str, pl.DataFrame],
                chosen: fairness.FairnessSettings) -> Comparison:
    first = compared[BASELINES[0][0]]
    total = int(first.filter(pl.col("characteristic") == "sex")["group_count"].sum())
    comparison = Comparison(key=key, label=label, total=total)
    rows = {b: {(r["characteristic"], r["value"]): r for r in frame.to_dicts()}
            for b, frame in compared.items()}
    for characteristic in fairness.CHARACTERISTICS:
        lines = []
        for row in first.filter(pl.col("characteristic") == characteristic).to_dicts():
            where = (characteristic, row["value"])
            cells = [ratio_cell(rows[b].get(where), chosen) for b, _ in BASELINES]
            lines.append(Line(row["value"], count_text(row["group_count"],
                                                       row["group_suppressed"], chosen),
                              share_text(row, "group"), cells))
        comparison.tables.append(Table(CHARACTERISTIC_LABELS[characteristic], lines))
    if total:
        for b, baseline_label in WARNING_ORDER:
            sentences = [fairness.explain(r, "the list", baseline_label, chosen)
                         for r in compared[b].to_dicts() if r["warning"]]
            if sentences:
                comparison.warned.append((b, baseline_label, sentences))
    return comparison


def _baseline_tables(compared: dict[str, pl.DataFrame]) -> list[Table]:
    chosen = fairness_settings()
    tables = []
    first = compared[BASELINES[0][0]]
    rows = {b: {(r["characteristic"], r["value"]): r for r in frame.to_dicts()}
            for b, frame in compared.items()}
    for characteristic in fairness.CHARACTERISTICS:
        lines = []
        for row in first.filter(pl.col("characteristic") == characteristic).to_dicts():
            where = (characteristic, row["value"])
            cells = []
            for b, _ in BASELINES:
                found = rows[b].get(where)
                cells.append(Cell(_count_and_share(found, chosen)))
            lines.append(Line(row["value"], "", "", cells))
        tables.append(Table(CHARACTERISTIC_LABELS[characteristic], lines))
    return tables


def _count_and_share(row: dict | None, chosen: fairness.FairnessSettings) -> str:
    if row is None:
        return "0"
    count = count_text(row["baseline_count"], row["baseline_suppressed"], chosen)
    if row["baseline_suppressed"] or not row["baseline_total"]:
        return count
    return f"{count} ({row['baseline_count'] / row['baseline_total']:.1%})"


def count_text(count: int, suppressed: bool, chosen: fairness.FairnessSettings) -> str:
    return f"fewer than {chosen.suppress_below}" if suppressed else f"{count:,}"


def share_text(row: dict, side: str) -> str:
    share = row[f"{side}_share"]
    return "–" if share is None else f"{share:.1%}"


def ratio_cell(row: dict | None, chosen: fairness.FairnessSettings) -> Cell:
    if row is None:
        return Cell("–")
    if row["group_suppressed"] or row["baseline_suppressed"]:
        return Cell("withheld")
    if row["ratio"] is None:
        return Cell("–")
    interval = (f"{row['ratio_low']:.2f} to {row['ratio_high']:.2f}"
                if row["ratio_low"] is not None else "")
    return Cell(f"{row['ratio']:.2f}", row["warning"], interval)


@dataclass
class ProfileLine:
    characteristic: str
    value: str
    offenders: str
    proposed: str
    ratio: Cell


def profile_table(stored: Iterable[Mapping]) -> tuple[list[ProfileLine], list[str]]:
    """The problem profile's stored table (proposed against everyone with offender harm), with
    the same suppression, intervals and warnings as the fairness page."""
    chosen = fairness_settings()
    proposed, offenders = fairness.from_breakdown(stored)
    compared = fairness.compare(proposed, offenders, chosen)
    lines = [
        ProfileLine(
            CHARACTERISTIC_LABELS.get(row["characteristic"], row["characteristic"]),
            row["value"],
            count_text(row["baseline_count"], row["baseline_suppressed"], chosen),
            count_text(row["group_count"], row["group_suppressed"], chosen),
            ratio_cell(row, chosen),
        )
        for row in compared.to_dicts()
    ]
    warnings = [fairness.explain(row, "people proposed", "everyone with offender harm", chosen)
                for row in compared.to_dicts() if row["warning"]]
    return lines, warnings

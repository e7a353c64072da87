"""Run the analysis on the database's records and store the result as an ``AnalysisRun``.

Results are written in one transaction and the run is marked complete in that same transaction,
so a run killed part-way leaves no partial result visible: users only ever see complete runs.
A run records its host and process id and a heartbeat at each step; one whose process has
gone (kill -9, a restart) is marked failed, with the reason, the next time a run starts or
``deter runs`` lists them (``mark_dead_runs_failed``).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
from django.db import transaction
from django.utils import timezone

import deter
from deter.analysis import group_identity
from deter.analysis.config import AnalysisConfig
from deter.analysis.harm_tables import load_harm_table
from deter.analysis.pipeline import AnalysisResult, analyse
from deter.analysis.violence import Violence

from .. import audit
from ..actions import group_response
from ..models import AnalysisRun, FoundGroup, Person, PersonScore, PlaceScore, RelationScore
from .dataset import extract_from_database

BATCH = 5000
TOP_EVENTS = 5  # kept per person in PersonScore.top_events; lists show up to this many


# A run on another host with no heartbeat for this long is taken to be dead (on this host the
# process itself is looked for); the longest step between heartbeats must be shorter.
STALE_AFTER = timedelta(hours=6)


def run_analysis(
    config: AnalysisConfig | None = None, actor=None, progress: Callable[[str], None] | None = None
) -> tuple[AnalysisRun, AnalysisResult]:
    config = config or AnalysisConfig()
    mark_dead_runs_failed()
    now = timezone.now()
    run = AnalysisRun.objects.create(
        started_at=now, config=config.as_dict(), code_version=deter.__version__,
        created_by=actor, host=socket.gethostname(), pid=os.getpid(), heartbeat_at=now,
    )

    def beat(message: str) -> None:
        AnalysisRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now())
        if progress:
            progress(message)

    try:
        result = analyse(extract_from_database(), config, progress=beat)
        if progress:
            progress("storing results")
        with transaction.atomic():
            _store(run, result)
            run.status = AnalysisRun.Status.COMPLETE
            run.finished_at = timezone.now()
            run.summary = _jsonable(result.summary)
            run.profile = _jsonable(_profile(result))
            run.violence = Violence.of(load_harm_table(config.harm_table)).to_json()
            run.save()
            audit.record(actor, "run_analysis", "analysis_run", str(run.pk),
                         people=result.people.height, groups=result.groups.height)
    except BaseException as error:
        reason = ("interrupted" if isinstance(error, KeyboardInterrupt)
                  else f"{type(error).__name__}: {error}")
        AnalysisRun.objects.filter(pk=run.pk).update(
            status=AnalysisRun.Status.FAILED, finished_at=timezone.now(), failure=reason[:2000]
        )
        raise
    group_response.raise_flags()
    return run, result


def mark_dead_runs_failed(now: datetime | None = None) -> list[AnalysisRun]:
    """Mark failed every "running" run whose process is gone, with the reason; returns them."""
    now = now or timezone.now()
    marked = []
    for run in AnalysisRun.objects.filter(status=AnalysisRun.Status.RUNNING):
        reason = _why_dead(run, now)
        if reason is None:
            continue
        with transaction.atomic():
            updated = AnalysisRun.objects.filter(
                pk=run.pk, status=AnalysisRun.Status.RUNNING
            ).update(status=AnalysisRun.Status.FAILED, finished_at=now, failure=reason)
            if updated:
                audit.record(None, "mark_run_failed", "analysis_run", str(run.pk),
                             reason=reason)
                run.refresh_from_db()
                marked.append(run)
    return marked


def _why_dead(run: AnalysisRun, now: datetime) -> str | None:
    last = run.heartbeat_at or run.started_at
    if run.pid is None or run.host != socket.gethostname():
        if now - last < STALE_AFTER:
            return None
        where = f"host {run.host}" if run.host else "its process"
        return (f"no sign of life from {where} since {last:%Y-%m-%d %H:%M} UTC (more than "
                f"{STALE_AFTER.total_seconds() / 3600:g} hours): taken to have died")
    if run.pid == os.getpid() or process_alive(run.pid):
        return None
    return (f"its process {run.pid} on {run.host} ended without finishing (killed, or the "
            f"machine restarted); last sign of life {last:%Y-%m-%d %H:%M:%S} UTC")


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        return True
    stat = Path(f"/proc/{pid}/stat")
    try:  # a killed process its parent has not yet reaped is a zombie: gone all the same
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _store(run: AnalysisRun, result: AnalysisResult) -> None:
    ids = dict(Person.objects.values_list("person_id", "id"))
    explanations = _explanations(result.harm_events)
    PersonScore.objects.bulk_create(
        (
            PersonScore(
                run=run, person_id=ids[r["person_id"]], group_label=r["group_id"] or "",
                harm_score=r["harm_score"], victim_harm_score=r["victim_harm_score"],
                offence_count=r["offence_count"], victimisation_count=r["victimisation_count"],
                degree=r["degree"], rank=r["rank"], rfgv_score=r["rfgv_score"],
                betweenness=r["betweenness_raw"], broker_groups=r["broker_groups"],
                exposure_score=r["exposure_score"], at_risk=r["at_risk"],
                victim_offender=r["victim_offender"], proposed=r["proposed"],
                criteria_met=_criteria(r["criteria_met"]),
                explanation=explanations.get(r["person_id"], []),
                top_events=top_events(explanations.get(r["person_id"], [])),
            )
            for r in result.people.iter_rows(named=True)
            if r["person_id"] in ids
        ),
        batch_size=BATCH,
    )
    identity = stable_identities(run, result.people, result.groups["group_id"].to_list())
    FoundGroup.objects.bulk_create(
        FoundGroup(run=run, group_label=r["group_id"], size=r["size"],
                   harm_score=r["harm_score"], victim_harm_score=r["victim_harm_score"],
                   recorded_group=r["members_recorded_groups"] or "",
                   recorded_share=r["recorded_group_share"], stability=r["stability"],
                   reach_set=_criteria(r["reach_set"]), rank=r["rank"],
                   stable_id=identity[r["group_id"]][0], overlap=identity[r["group_id"]][1])
        for r in result.groups.iter_rows(named=True)
    )
    RelationScore.objects.bulk_create(
        RelationScore(run=run, group_a=r["group_a"], group_b=r["group_b"],
                      relation=r["relation"], events=r["events"],
                      first_event=_day(r["first_event"]), last_event=_day(r["last_event"]),
                      weight=r["weight"], evidence=_criteria(r["evidence_event_ids"]))
        for r in result.relations.iter_rows(named=True)
    )
    PlaceScore.objects.bulk_create(
        (
            PlaceScore(run=run, kind=r["place_kind"], place_id=r["place_id"],
                       latitude=r["latitude"], longitude=r["longitude"], events=r["events"],
                       harm=r["harm"], harm_share=r["harm_share"], rank=r["rank"])
            for r in result.places.filter(
                pl.col("place_kind").is_in([PlaceScore.Kind.GRID, PlaceScore.Kind.LSOA])
            ).iter_rows(named=True)
        ),
        batch_size=BATCH,
    )


def new_identity(run: AnalysisRun, label: str) -> str:
    """A group first found in ``run`` under ``label``: the run and the label it had then."""
    return f"R{run.pk}-{label}"


def stable_identities(run: AnalysisRun, people: pl.DataFrame,
                      labels: list[str]) -> dict[str, tuple[str, float]]:
    """Each of this run's groups matched to the previous complete run's by member overlap
    (``deter.analysis.group_identity``): {label: (stable id, Jaccard)}; a group with no match
    gets a new identity."""
    previous = (AnalysisRun.objects.filter(status=AnalysisRun.Status.COMPLETE, pk__lt=run.pk)
                .order_by("-pk").first())
    current: dict[str, set[str]] = {label: set() for label in labels}
    for person, label in people.select("person_id", "group_id").iter_rows():
        if label in current:
            current[label].add(person)
    if previous is None:
        return {label: (new_identity(run, label), 0.0) for label in current}
    before: dict[str, set[str]] = {}
    for person, label in (previous.people.exclude(group_label="")
                          .values_list("person__person_id", "group_label")):
        before.setdefault(label, set()).add(person)
    stable = {group.group_label: group.stable_id or new_identity(previous, group.group_label)
              for group in previous.groups.only("group_label", "stable_id")}
    matches = group_identity.match_groups(before, current)
    return {
        label: ((stable.get(old) or new_identity(previous, old)) if old else
                new_identity(run, label), score)
        for label, old, score in matches.iter_rows()
    }


def _criteria(joined: str | None) -> list[str]:
    """A comma-joined list from the analysis as a JSON list."""
    return [item for item in (joined or "").split(",") if item]


def _day(moment):
    return moment.date() if hasattr(moment, "date") and callable(moment.date) else moment


def _profile(result: AnalysisResult) -> dict:
    """The run's aggregate tables, small enough to keep as JSON with the run."""
    return {
        "concentration": result.concentration.to_dicts(),
        "hour_weekday": result.hour_weekday.select("weekday", "hour", "events", "harm")
        .to_dicts(),
        "trend": result.trend.select(
            pl.col("month").cast(pl.String), "events", "harm", "trend", "seasonal"
        ).to_dicts(),
        "disproportionality": result.disproportionality.to_dicts(),
        "recorded_comparison": result.recorded_comparison.to_dicts(),
    }


def _explanations(harm_events: pl.DataFrame) -> dict[str, list[dict]]:
    """Every event behind each person's scores, strongest first: the whole explanation, so that
    it adds up to the score and a panel can check any of it."""
    ordered = harm_events.sort("contribution", descending=True).with_columns(
        pl.col("occurred_at").dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    )
    explanations: dict[str, list[dict]] = {}
    for row in ordered.iter_rows(named=True):
        explanations.setdefault(row["person_id"], []).append(row)
    return explanations


def top_events(explanation: list[dict], top: int = TOP_EVENTS) -> list[dict]:
    """The largest offender-side contributions of an explanation, strongest first."""
    offender = [item for item in explanation if item.get("side") == "offender"]
    return sorted(offender, key=lambda item: -item.get("contribution", 0.0))[:top]


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)

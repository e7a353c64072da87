"""Run the analysis on the database's records and store the result as an ``AnalysisRun``.

Results are written in one transaction and the run is marked complete in that same transaction,
so a run killed part-way leaves no partial result visible: users only ever see complete runs.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl
from django.db import transaction
from django.utils import timezone

import deter
from deter.analysis.pipeline import AnalysisConfig, AnalysisResult, analyse

from . import audit
from .dataset import extract_from_database
from .models import AnalysisRun, GroupScore, Person, PersonScore

BATCH = 5000


def run_analysis(
    config: AnalysisConfig | None = None, actor=None, progress: Callable[[str], None] | None = None
) -> tuple[AnalysisRun, AnalysisResult]:
    config = config or AnalysisConfig()
    run = AnalysisRun.objects.create(
        started_at=timezone.now(), config=config.as_dict(), code_version=deter.__version__,
        created_by=actor,
    )
    try:
        result = analyse(extract_from_database(), config, progress=progress)
        if progress:
            progress("storing results")
        with transaction.atomic():
            _store(run, result)
            run.status = AnalysisRun.Status.COMPLETE
            run.finished_at = timezone.now()
            run.summary = _jsonable(result.summary)
            run.save()
            audit.record(actor, "run_analysis", "analysis_run", str(run.pk),
                         people=result.people.height, groups=result.groups.height)
    except BaseException:
        AnalysisRun.objects.filter(pk=run.pk).update(
            status=AnalysisRun.Status.FAILED, finished_at=timezone.now()
        )
        raise
    return run, result


def _store(run: AnalysisRun, result: AnalysisResult) -> None:
    ids = dict(Person.objects.values_list("person_id", "id"))
    explanations = _explanations(result.harm_events)
    PersonScore.objects.bulk_create(
        (
            PersonScore(
                run=run, person_id=ids[r["person_id"]], group_label=r["group_id"] or "",
                harm_score=r["harm_score"], victim_harm_score=r["victim_harm_score"],
                offence_count=r["offence_count"], victimisation_count=r["victimisation_count"],
                degree=r["degree"], rank=r["rank"],
                explanation=explanations.get(r["person_id"], []),
            )
            for r in result.people.iter_rows(named=True)
            if r["person_id"] in ids
        ),
        batch_size=BATCH,
    )
    GroupScore.objects.bulk_create(
        GroupScore(run=run, group_label=r["group_id"], size=r["size"],
                   harm_score=r["harm_score"], victim_harm_score=r["victim_harm_score"],
                   rank=r["rank"])
        for r in result.groups.iter_rows(named=True)
    )


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


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)

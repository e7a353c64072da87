"""The worker's writes to a job: it starts, moves through its steps, ends complete or failed;
and the jobs a killed worker left running are marked failed, with their task and run."""

from __future__ import annotations

import os
import socket
import uuid
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from .. import audit
from ..models import AnalysisRun, Job, ScheduledRun
from .runs import mark_dead_runs_failed, process_alive

# A job on another host whose worker has written nothing for this long is taken for dead (a
# step writes progress at least every few minutes even at a force's size).
STALE_AFTER = timedelta(hours=2)
# Failed uploads are kept this long for a retry, then their bytes are deleted.
KEEP_FAILED_UPLOAD = timedelta(days=7)


def this_worker() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}"


def begin(job: Job) -> None:
    now = timezone.now()
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, started_at=now,
                                         worker=this_worker(), step="starting", percent=0)


def progress(job: Job, step: str, percent: int) -> None:
    Job.objects.filter(pk=job.pk).update(step=step[:200], percent=max(0, min(percent, 100)))


def mark_imported(job: Job, summary: str, changes: dict | None = None) -> None:
    fields = {"changes": changes} if changes is not None else {}
    Job.objects.filter(pk=job.pk).update(imported=True, summary=summary[:500], **fields)


def complete(job: Job, summary: str, run: AnalysisRun | None = None) -> None:
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.COMPLETE, percent=100, step="done", summary=summary[:500],
        run=run, finished_at=timezone.now(), upload=None)
    audit.record(None, f"{job.kind}_job_complete", "job", job.pk, summary=summary,
                 run=run.pk if run else None)


def fail(job: Job, errors: list[str], step: str | None = None) -> None:
    Job.objects.filter(pk=job.pk).update(status=Job.Status.FAILED, errors=errors[:50],
                                         finished_at=timezone.now())
    audit.record(None, f"{job.kind}_job_failed", "job", job.pk, step=step,
                 errors=errors[:5])


def reap(now=None) -> list[int]:
    """Mark failed the jobs whose worker is gone: on this host, a process that no longer
    exists; elsewhere, one silent for ``STALE_AFTER``. Their analysis runs (never visible while
    running; ``runs.mark_dead_runs_failed``) and their tasks are marked failed too, so a retry
    starts clean."""
    now = now or timezone.now()
    host = socket.gethostname()[:40]
    dead = []
    for job in Job.objects.filter(status=Job.Status.RUNNING).defer("upload"):
        worker_host, _, pid = job.worker.rpartition(":")
        if worker_host == host and pid.isdigit():
            gone = not process_alive(int(pid))
        else:
            gone = job.started_at is not None and now - job.started_at > STALE_AFTER
        if gone:
            dead.append(job)
    for job in dead:
        reason = (f"the worker ({job.worker}) stopped while {job.step or 'starting'}: "
                  "nothing it was doing was kept; try again")
        _fail_its_run_and_task(job, now)  # first: once the job shows failed, all of it is
        fail(job, [reason], step=job.step)
    return [job.pk for job in dead]


def claim_scheduled(job: str, day) -> bool:
    """Whether this worker is the first to take the day's run of a scheduled job."""
    try:
        with transaction.atomic():
            ScheduledRun.objects.create(job=job, day=day)
    except IntegrityError:
        return False
    return True


def drop_old_uploads(now=None) -> int:
    now = now or timezone.now()
    return Job.objects.filter(status=Job.Status.FAILED, upload__isnull=False,
                              finished_at__lt=now - KEEP_FAILED_UPLOAD).update(upload=None)


def _fail_its_run_and_task(job: Job, now) -> None:
    from django_tasks_db.models import DBTaskResult

    mark_dead_runs_failed(now)  # the job's run had the same process, now gone
    try:
        task_id = uuid.UUID(job.task_id)
    except ValueError:  # queued on another backend (the tests' inline one): no task row
        return
    for result in DBTaskResult.objects.filter(pk=task_id, status="RUNNING"):
        result.set_failed(WorkerStopped(f"worker {job.worker} stopped"))


class WorkerStopped(Exception):
    pass

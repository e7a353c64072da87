"""The background tasks `deter worker` runs (Django's task framework, the ``django-tasks``
backport with its database backend: ADR 11), and the worker's housekeeping: reaping jobs a
killed worker left running and queueing the scheduled jobs once a day across all workers.

Each task takes a ``Job``'s key and reports its progress on that row, which the jobs page
shows. A task never leaves partial records: an import is one transaction and a run is marked
complete in the transaction that stores it (``ingest.importer``, ``ingest.runs``).
"""

from __future__ import annotations

import functools
import logging
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from deter.analysis.extract import ExtractError

from .ingest import jobs
from .models import Job

log = logging.getLogger(__name__)

# What the analysis says as it goes (``analysis.pipeline``), and how far along that is.
ANALYSIS_STEPS = {
    "scoring harm": 25, "building the network": 35, "finding groups": 45, "ranking": 55,
    "scoring RFGV": 60, "finding key players": 65, "finding groups again": 75,
    "mapping places": 85, "storing results": 92,
}
EXTRACT_SUFFIXES = (".csv", ".parquet")


def _job_task(body):
    """A task over one job: the job is begun, and whatever the body raises marks it failed
    with the error's kind and message (never a traceback) before the task itself fails."""
    @functools.wraps(body)
    def run(job_id: int) -> str:
        job = Job.objects.get(pk=job_id)
        jobs.begin(job)
        try:
            return body(job)
        except Exception as error:
            job.refresh_from_db(fields=["step"])
            jobs.fail(job, [f"{type(error).__name__} while {job.step or 'starting'}: {error}"],
                      step=job.step)
            raise
    return run


@task()
@_job_task
def import_and_analyse(job: Job) -> str:
    if job.retry_of_id and Job.objects.filter(pk=job.retry_of_id, imported=True).exists():
        jobs.mark_imported(job, "imported by job "
                           f"{job.retry_of_id}")  # its import went in; only its analysis failed
    else:
        jobs.progress(job, "validating the upload", 5)
        try:
            with tempfile.TemporaryDirectory(prefix="deter-upload-") as folder:
                files = unpack(bytes(job.upload), Path(folder))
                extract = _read(job, files, Path(folder))
                jobs.progress(job, "importing the records", 15)
                _import(job, extract)
        except (ExtractError, UploadError) as error:
            jobs.fail(job, [f"{job.upload_name}: {error}", "Nothing was imported."],
                      step="validating")
            return "refused"
    run = _analyse(job)
    job.refresh_from_db(fields=["summary"])
    jobs.complete(job, f"{job.summary}; analysis run {run.pk}", run)
    return "complete"


def _import(job: Job, extract) -> None:
    from .ingest.importer import load_extract

    with transaction.atomic():
        summary = load_extract(extract, source=f"upload: {job.upload_name}",
                               actor=job.created_by)
        jobs.mark_imported(job, f"imported {summary}", summary.as_detail())


@task()
@_job_task
def analyse(job: Job) -> str:
    run = _analyse(job)
    jobs.complete(job, f"analysis run {run.pk}", run)
    return "complete"


@task()
@_job_task
def apply_retention(job: Job) -> str:
    from .actions.retention import run_retention

    jobs.progress(job, "applying the retention schedule", 10)
    result = run_retention(timezone.localdate())
    jobs.complete(job, f"retention run {result.run.pk}")
    return "complete"


TASKS = {Job.Kind.IMPORT: import_and_analyse, Job.Kind.ANALYSIS: analyse,
         Job.Kind.RETENTION: apply_retention}


def task_for(kind: str):
    return TASKS[kind]


def _analyse(job: Job):
    from .ingest.runs import run_analysis

    def say(message: str) -> None:
        percent = next((p for prefix, p in ANALYSIS_STEPS.items()
                        if message.startswith(prefix)), None)
        if percent is not None:
            jobs.progress(job, message, percent)

    jobs.progress(job, "starting the analysis", 20)
    run, _result = run_analysis(actor=job.created_by, progress=say)
    return run


class UploadError(ValueError):
    pass


def unpack(data: bytes, folder: Path) -> list[Path]:
    """The zip's CSV and Parquet files, each written under its own base name in ``folder``:
    nothing is written outside it (no paths are kept) and no more than the upload limit ten
    times over is unpacked."""
    import io

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise UploadError(f"is not a readable zip file ({error})") from error
    members = [m for m in archive.infolist()
               if not m.is_dir() and m.filename.lower().endswith(EXTRACT_SUFFIXES)
               and not PurePosixPath(m.filename).name.startswith(".")]
    if not members:
        raise UploadError("holds no .csv or .parquet file")
    names = [PurePosixPath(m.filename).name for m in members]
    if len(set(names)) != len(names):
        raise UploadError("holds two files of the same name in different folders")
    if sum(m.file_size for m in members) > 10 * settings.DETER_UPLOAD_MAX_BYTES:
        raise UploadError("unpacks to more than ten times the upload limit")
    written = []
    for member, name in zip(members, names, strict=True):
        target = folder / name
        with archive.open(member) as source, target.open("wb") as out:
            out.write(source.read())
        written.append(target)
    return written


def _read(job: Job, files: list[Path], folder: Path):
    if job.upload_kind == "police_uk":
        from deter.analysis.police_uk import read_police_uk

        return read_police_uk(sorted(files))
    from deter.analysis.extract import read_extract

    return read_extract(folder, references=False)  # checked with the database on import


# --- housekeeping: run by each worker every minute ------------------------------------------


@dataclass(frozen=True)
class Schedule:
    job: str
    kind: str
    at: time


def schedules() -> tuple[Schedule, ...]:
    return (Schedule("retention", Job.Kind.RETENTION, time(settings.DETER_RETENTION_HOUR)),)


def housekeeping(now: datetime | None = None) -> dict[str, list[int]]:
    now = now or timezone.now()
    reaped = jobs.reap(now)
    jobs.drop_old_uploads(now)
    return {"reaped": reaped, "queued": queue_due(now)}


def queue_due(now: datetime) -> list[int]:
    """Queue each scheduled job once a day, after its hour: the first worker to insert the
    day's ``ScheduledRun`` row queues it; every other worker's insert fails and it moves on."""
    from .actions.jobs import queue_job

    local = timezone.localtime(now)
    queued = []
    for schedule in schedules():
        if local.time() < schedule.at:
            continue
        with transaction.atomic():
            if jobs.claim_scheduled(schedule.job, local.date()):
                queued.append(queue_job(None, Job(kind=schedule.kind)).pk)
    return queued

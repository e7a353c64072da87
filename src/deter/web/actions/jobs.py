"""Starting background jobs from the app: an analyst's upload (a zip of the extract format or
data.police.uk street-crime CSVs), a fresh analysis run, and a failed job's retry. The worker's
own writes (progress, the outcome, reaping a killed worker's jobs) are ``ingest.jobs``."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from .. import audit, policy
from ..models import Job

UPLOAD_KINDS = ("extract", "police_uk")


def _refuse_unless(user, action: str, job: Job | None = None) -> None:
    if not policy.jobs.can(user, action, job):
        audit.record(user, f"{action}_job", "job", job.pk if job else None,
                     outcome=audit.DENIED)
        raise PermissionDenied(f"You may not {action} this job")


def start_import(user, name: str, data: bytes, upload_kind: str) -> Job:
    """Queue the upload's validation and import, then the analysis, on the worker."""
    _refuse_unless(user, "start")
    limit = settings.DETER_UPLOAD_MAX_BYTES
    if upload_kind not in UPLOAD_KINDS:
        raise ValidationError(f"Unknown kind of upload {upload_kind!r}")
    if not data:
        raise ValidationError(f"{name} is empty")
    if len(data) > limit:
        raise ValidationError(f"{name} is {len(data) / 1e6:.1f} MB: the limit is "
                              f"{limit / 1e6:.0f} MB (DETER_UPLOAD_MAX_MB)")
    if not data.startswith(b"PK\x03\x04"):
        raise ValidationError(f"{name} is not a zip file: upload the extract's CSV or Parquet "
                              "files zipped together")
    return queue_job(user, Job(kind=Job.Kind.IMPORT, upload_name=name[:200], upload=data,
                            upload_kind=upload_kind), size=len(data))


def start_analysis(user) -> Job:
    _refuse_unless(user, "start")
    return queue_job(user, Job(kind=Job.Kind.ANALYSIS))


def retry(user, job: Job) -> Job:
    """A new job doing what the failed one did, with the same upload."""
    _refuse_unless(user, "retry", job)
    upload = Job.objects.filter(pk=job.pk).values_list("upload", flat=True).first()
    if job.kind == Job.Kind.IMPORT and not upload:
        raise ValidationError("The upload of this job has been deleted: upload the file again")
    again = Job(kind=job.kind, upload_name=job.upload_name, upload=upload,
                upload_kind=job.upload_kind, retry_of=job)
    return queue_job(user, again)


def queue_job(user, job: Job, **detail) -> Job:
    from ..tasks import task_for

    with transaction.atomic():
        job.created_by = user if user and user.is_authenticated else None
        job.created_at = timezone.now()
        job.save()
        # The task row goes in with the job's, in one transaction: a worker on another host
        # sees both or neither. (With the inline backend of the tests it runs here and now.)
        result = task_for(job.kind).enqueue(job.pk)
        Job.objects.filter(pk=job.pk).update(task_id=str(result.id)[:64])
        audit.record(user, f"start_{job.kind}_job", "job", job.pk,
                     upload=job.upload_name or None, retry_of=job.retry_of_id, **detail)
    job.refresh_from_db()
    return job

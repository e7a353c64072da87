"""Background jobs: an upload's import and the analysis after it, and the scheduled work, run
by `deter worker` (``deter.web.tasks``) and followed by the analyst on the jobs page."""

from django.conf import settings
from django.db import models


class Job(models.Model):
    class Kind(models.TextChoices):
        IMPORT = "import", "Import and analyse an extract"
        ANALYSIS = "analysis", "Run the analysis"
        RETENTION = "retention", "Apply the retention schedule"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        COMPLETE = "complete", "Complete"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    step = models.CharField(max_length=200, blank=True)
    percent = models.PositiveSmallIntegerField(default=0)
    # What went wrong, for the analyst: an extract's errors (file, row, column) or the reason
    # the worker gave up; never a traceback.
    errors = models.JSONField(default=list, blank=True)
    summary = models.CharField(max_length=500, blank=True)
    # An import's changes, table -> {"added", "updated", "unchanged"} (ingest.importer)
    changes = models.JSONField(default=dict, blank=True)
    # Set in the transaction that imports the upload: a retry after a failed analysis then
    # analyses again without importing twice.
    imported = models.BooleanField(default=False)
    upload_name = models.CharField(max_length=200, blank=True)
    # The uploaded file is kept in the database until its import ends, so app servers and
    # workers on different hosts share it without a shared disk; then it is deleted.
    upload = models.BinaryField(null=True, blank=True, editable=False)
    upload_kind = models.CharField(max_length=16, blank=True)
    run = models.ForeignKey("deter.AnalysisRun", null=True, blank=True,
                            on_delete=models.SET_NULL, related_name="+")
    retry_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="retries")
    task_id = models.CharField(max_length=64, blank=True)
    worker = models.CharField(max_length=64, blank=True, help_text="host:pid of the worker")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display().lower()})"

    @property
    def active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)


class ScheduledRun(models.Model):
    """One row per scheduled job and day: the first worker to insert it runs the job, so several
    workers run each day's job once."""

    job = models.CharField(max_length=64)
    day = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "day"], name="one_run_a_day")]

    def __str__(self) -> str:
        return f"{self.job} on {self.day}"

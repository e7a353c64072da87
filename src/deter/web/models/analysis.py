"""Stored analysis runs: versioned, reproducible results of ``deter.analysis``."""

from django.conf import settings
from django.db import models

from .pole import Person


class AnalysisRun(models.Model):
    """One run of the analysis; only a ``complete`` run is ever shown to users."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        COMPLETE = "complete", "Complete"
        FAILED = "failed", "Failed"

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default="running")
    config = models.JSONField(default=dict)
    summary = models.JSONField(default=dict)
    code_version = models.CharField(max_length=32)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-started_at"]
        get_latest_by = "started_at"

    def __str__(self) -> str:
        return f"analysis run {self.pk} ({self.status})"


class PersonScore(models.Model):
    run = models.ForeignKey(AnalysisRun, on_delete=models.CASCADE, related_name="people")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="scores")
    group_label = models.CharField(max_length=32, blank=True)
    harm_score = models.FloatField()
    victim_harm_score = models.FloatField()
    offence_count = models.IntegerField(default=0)
    victimisation_count = models.IntegerField(default=0)
    degree = models.IntegerField(default=0)
    rank = models.IntegerField()
    explanation = models.JSONField(
        default=list, help_text="The events and weights behind the score"
    )

    class Meta:
        ordering = ["rank"]
        constraints = [
            models.UniqueConstraint(fields=["run", "person"], name="unique_person_score")
        ]
        indexes = [models.Index(fields=["run", "rank"])]

    def __str__(self) -> str:
        return f"{self.person} rank {self.rank} in run {self.run_id}"


class GroupScore(models.Model):
    run = models.ForeignKey(AnalysisRun, on_delete=models.CASCADE, related_name="groups")
    group_label = models.CharField(max_length=32)
    size = models.IntegerField()
    harm_score = models.FloatField()
    victim_harm_score = models.FloatField()
    rank = models.IntegerField()

    class Meta:
        ordering = ["rank"]
        constraints = [
            models.UniqueConstraint(fields=["run", "group_label"], name="unique_group_score")
        ]

    def __str__(self) -> str:
        return f"{self.group_label} rank {self.rank} in run {self.run_id}"

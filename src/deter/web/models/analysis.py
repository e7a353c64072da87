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
    profile = models.JSONField(
        default=dict,
        help_text="Aggregate results: concentration, time patterns, trend, disproportionality, "
        "recorded-group comparison",
    )
    code_version = models.CharField(max_length=32)
    violence = models.JSONField(
        default=dict,
        help_text="What the run's harm table counts as violent (deter.analysis.violence), so "
        "flags and agendas built on this run agree with its selection criteria",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Who is running it, so a run whose process died (kill -9, power cut) is marked failed
    # rather than left "running" for ever (deter.web.ingest.runs.mark_dead_runs_failed).
    host = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True,
                                        help_text="Last sign of life of the running process")
    failure = models.TextField(blank=True, help_text="Why a failed run failed")

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
    rfgv_score = models.FloatField(default=0.0)
    betweenness = models.FloatField(default=0.0)
    broker_groups = models.IntegerField(default=0)
    exposure_score = models.FloatField(default=0.0)
    at_risk = models.BooleanField(default=False)
    victim_offender = models.BooleanField(default=False)
    proposed = models.BooleanField(default=False)
    criteria_met = models.JSONField(default=list, help_text="The selection criteria met")
    rank = models.IntegerField()
    explanation = models.JSONField(
        default=list, help_text="The events and weights behind the score"
    )
    top_events = models.JSONField(
        default=list,
        help_text="The largest offender-side items of the explanation, for lists that show a "
        "few per person without reading every event",
    )

    class Meta:
        ordering = ["rank"]
        constraints = [
            models.UniqueConstraint(fields=["run", "person"], name="unique_person_score")
        ]
        indexes = [models.Index(fields=["run", "rank"])]

    def __str__(self) -> str:
        return f"{self.person} rank {self.rank} in run {self.run_id}"


class FoundGroup(models.Model):
    run = models.ForeignKey(AnalysisRun, on_delete=models.CASCADE, related_name="groups")
    group_label = models.CharField(max_length=32)
    size = models.IntegerField()
    harm_score = models.FloatField()
    victim_harm_score = models.FloatField()
    recorded_group = models.CharField(
        max_length=64, blank=True, help_text="The recorded group most members belong to"
    )
    recorded_share = models.FloatField(null=True, blank=True)
    stability = models.FloatField(null=True, blank=True, help_text="0-1 across Leiden seeds")
    reach_set = models.JSONField(
        default=list, help_text="Fewest members linked to every member (call-in attendees)"
    )
    rank = models.IntegerField()
    stable_id = models.CharField(
        max_length=32, blank=True, db_index=True,
        help_text="The group's identity across runs: the previous run's group it overlaps "
        "(Jaccard >= deter.analysis.group_identity.THRESHOLD), or a new one",
    )
    overlap = models.FloatField(
        null=True, blank=True, help_text="Jaccard overlap with the previous run's group matched"
    )

    class Meta:
        ordering = ["rank"]
        constraints = [
            models.UniqueConstraint(fields=["run", "group_label"], name="unique_group_score")
        ]

    def __str__(self) -> str:
        return f"{self.group_label} rank {self.rank} in run {self.run_id}"


class RelationScore(models.Model):
    """A rivalry or alliance between two found groups in a run, with the events behind it."""

    class Kind(models.TextChoices):
        RIVALRY = "rivalry", "Rivalry"
        ALLIANCE = "alliance", "Alliance"

    run = models.ForeignKey(AnalysisRun, on_delete=models.CASCADE, related_name="relations")
    group_a = models.CharField(max_length=32)
    group_b = models.CharField(max_length=32)
    relation = models.CharField(max_length=16, choices=Kind.choices)
    events = models.IntegerField()
    first_event = models.DateField(null=True, blank=True)
    last_event = models.DateField(null=True, blank=True)
    weight = models.FloatField(default=0.0)
    evidence = models.JSONField(default=list, help_text="Event ids, most recent first")

    class Meta:
        ordering = ["relation", "-weight"]
        indexes = [models.Index(fields=["run", "group_a"]), models.Index(fields=["run", "group_b"])]

    def __str__(self) -> str:
        return f"{self.group_a} {self.relation} {self.group_b} in run {self.run_id}"


class PlaceScore(models.Model):
    """A hotspot: a grid cell or an LSOA, ranked by harm within its kind."""

    class Kind(models.TextChoices):
        GRID = "grid", "Grid cell"
        LSOA = "lsoa", "LSOA"

    run = models.ForeignKey(AnalysisRun, on_delete=models.CASCADE, related_name="places")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    place_id = models.CharField(max_length=64)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    events = models.IntegerField()
    harm = models.FloatField()
    harm_share = models.FloatField()
    rank = models.IntegerField()

    class Meta:
        ordering = ["kind", "rank"]
        indexes = [models.Index(fields=["run", "kind", "rank"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.place_id} rank {self.rank} in run {self.run_id}"

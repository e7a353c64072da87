"""The programme: who is in the cohort, why, until when, and what is done with them."""

from django.conf import settings
from django.db import models

from .agency import Agency
from .pole import Person


class Programme(models.Model):
    class Emphasis(models.TextChoices):
        SUPPORT_LED = "support_led", "Support-led"
        ENFORCEMENT_LED = "enforcement_led", "Enforcement-led"
        BALANCED = "balanced", "Balanced"

    name = models.CharField(max_length=200, unique=True)
    problem = models.TextField(help_text="The problem the programme addresses")
    area = models.CharField(max_length=200)
    start = models.DateField()
    end = models.DateField(null=True, blank=True)
    emphasis = models.CharField(max_length=32, choices=Emphasis.choices, default="balanced")
    uses_call_ins = models.BooleanField(default=True)
    agencies = models.ManyToManyField(Agency, related_name="programmes")

    def __str__(self) -> str:
        return self.name


class CohortEntry(models.Model):
    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        ACTIVE = "active", "Active"
        STEPPED_DOWN = "stepped_down", "Stepped down"
        EXITED = "exited", "Exited"

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="cohort")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="cohort_entries")
    status = models.CharField(max_length=16, choices=Status.choices, default="proposed")
    rationale = models.TextField()
    review_date = models.DateField()
    lead_professional = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "cohort entries"
        constraints = [
            models.UniqueConstraint(fields=["programme", "person"], name="unique_cohort_entry")
        ]

    def __str__(self) -> str:
        return f"{self.person} in {self.programme}: {self.status}"


class Intervention(models.Model):
    class Kind(models.TextChoices):
        SUPPORT = "support", "Support"
        COMMUNITY = "community", "Community"
        ENFORCEMENT = "enforcement", "Enforcement"
        COMMUNICATION = "communication", "Communication"

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        REFERRED = "referred", "Referred"
        ACTIVE = "active", "Active"
        COMPLETED = "completed", "Completed"
        DECLINED = "declined", "Declined"
        CLOSED = "closed", "Closed"

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="interventions")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    title = models.CharField(max_length=200, help_text="What is offered or done")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default="planned")
    start = models.DateField(null=True, blank=True)
    end = models.DateField(null=True, blank=True)
    outcome = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.title} ({self.kind}) for {self.person}"

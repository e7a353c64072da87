"""Retention: each run of the retention schedule, and the partners' confirmations that they
have deleted their own copies of what the programme deleted."""

from django.conf import settings
from django.db import models

from .agency import Agency
from .programme import Programme


class RetentionRun(models.Model):
    """One run of ``deter retention run``: when, as of which day, whether it only reported,
    and how many records of each kind fell due (``counts``: kind -> number)."""

    ran_at = models.DateTimeField(auto_now_add=True)
    as_of = models.DateField(help_text="The day the retention periods were counted to")
    dry_run = models.BooleanField(help_text="Only reported what falls due; changed nothing")
    counts = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-ran_at", "-pk"]

    def __str__(self) -> str:
        return f"retention run {self.pk} as of {self.as_of}{' (dry run)' if self.dry_run else ''}"


class DeletionConfirmation(models.Model):
    """A partner agency's confirmation that it has deleted its own copies of records the
    programme deleted; outstanding until a user of the agency confirms.

    Generic on purpose: what was deleted is described in words (``reference``) with a count,
    never by a key to the rows, which no longer exist; ``reason`` says why they were deleted.
    """

    class Reason(models.TextChoices):
        RETENTION = "retention", "Retention period ended"
        REMOVAL = "removal", "Removed after a challenge"

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT,
                               related_name="deletion_confirmations")
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=16, choices=Reason.choices)
    reference = models.TextField(help_text="What was deleted, in words")
    count = models.PositiveIntegerField(help_text="How many people's records were deleted")
    retention_run = models.ForeignKey(RetentionRun, null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="confirmations")
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["agency", "confirmed_at"])]

    def __str__(self) -> str:
        state = "confirmed" if self.confirmed_at else "outstanding"
        return f"{self.agency}: {self.get_reason_display()} ({state})"

    @property
    def outstanding(self) -> bool:
        return self.confirmed_at is None

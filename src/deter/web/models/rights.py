"""Individuals' rights: telling a person they are listed (or recording why not), their
challenge to the listing, and their subject access requests.

A ``Notification`` is one record that a person in a cohort (or, for a child, a parent or
carer) was told, or an exemption from telling them with a date to review it. A ``Challenge``
is decided by someone other than whoever accepted the person. A ``SubjectAccessRequest``
tracks the one-month deadline (``domain.rights``).
"""

from django.conf import settings
from django.db import models

from .pole import Person
from .programme import CohortEntry, Programme


class Notification(models.Model):
    class Kind(models.TextChoices):
        TOLD = "told", "Told"
        EXEMPT = "exempt", "Exempt from being told"

    class Method(models.TextChoices):
        LETTER = "letter", "By letter"
        IN_PERSON = "in_person", "In person"
        PHONE = "phone", "By phone"
        CALL_IN = "call_in", "At a call-in"
        HOME_VISIT = "home_visit", "At a home visit"

    class Recipient(models.TextChoices):
        PERSON = "person", "The person"
        PARENT_OR_CARER = "parent_or_carer", "A parent or carer"

    entry = models.ForeignKey(CohortEntry, on_delete=models.CASCADE,
                              related_name="notifications")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    method = models.CharField(max_length=16, choices=Method.choices, blank=True)
    told_on = models.DateField(null=True, blank=True)
    told_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    recipient = models.CharField(max_length=16, choices=Recipient.choices, blank=True)
    exemption_reason = models.TextField(
        blank=True, help_text="Why telling them now would do harm, with the legal basis")
    review_date = models.DateField(null=True, blank=True,
                                   help_text="When the exemption is looked at again")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-recorded_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.entry.person}: {self.get_kind_display()}"


class Challenge(models.Model):
    class Outcome(models.TextChoices):
        OPEN = "open", "Awaiting a decision"
        UPHELD = "upheld", "Upheld: removed from the programme"
        KEPT = "kept", "Not upheld: kept in the programme"

    entry = models.ForeignKey(CohortEntry, on_delete=models.CASCADE, related_name="challenges")
    received_on = models.DateField()
    due_on = models.DateField(help_text="Decide by this day (DETER_CHALLENGE_DAYS)")
    on_behalf = models.BooleanField(default=False,
                                    help_text="Made on the person's behalf, not by them")
    made_by = models.CharField(max_length=200, blank=True,
                               help_text="Who made it on their behalf, and how they are related")
    grounds = models.TextField()
    logged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="+")
    logged_at = models.DateTimeField(auto_now_add=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default="open")
    reasons = models.TextField(blank=True, help_text="The reasons given to the person")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "pk"]

    def __str__(self) -> str:
        return f"challenge to {self.entry}: {self.outcome}"

    @property
    def is_open(self) -> bool:
        return self.outcome == self.Outcome.OPEN


class SubjectAccessRequest(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        EXTENDED = "extended", "Extended"
        ANSWERED = "answered", "Answered"

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT,
                                  related_name="subject_access_requests")
    person = models.ForeignKey(Person, on_delete=models.PROTECT,
                               related_name="subject_access_requests")
    received_on = models.DateField()
    deadline = models.DateField(help_text="One calendar month from receipt")
    extended_to = models.DateField(null=True, blank=True,
                                   help_text="Up to two further months, with a reason")
    extension_reason = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default="open")
    logged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="+")
    logged_at = models.DateTimeField(auto_now_add=True)
    answered_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["deadline", "pk"]

    def __str__(self) -> str:
        return f"subject access request from {self.person} ({self.status})"

    @property
    def due_on(self):
        return self.extended_to or self.deadline

"""Meetings and actions: panels, complex adolescent harm and contextual safeguarding meetings,
and call-ins, with their attendees, generated agenda, decisions and actions."""

from django.conf import settings
from django.db import models

from ..domain import limits
from .pole import Person
from .programme import CohortEntry, CohortGroup, Programme


class Meeting(models.Model):
    class Kind(models.TextChoices):
        PANEL = "panel", "Multi-agency panel"
        ADOLESCENT_HARM = "adolescent_harm", "Complex adolescent harm meeting"
        CONTEXTUAL = "contextual", "Contextual safeguarding meeting"
        CALL_IN = "call_in", "Call-in"

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="meetings")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    title = models.CharField(max_length=200)
    held_at = models.DateTimeField()
    place = models.CharField(max_length=200, blank=True)
    chair = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    attendees = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    other_attendees = models.TextField(blank=True, help_text="People without a Deter account")
    agenda = models.JSONField(default=dict, blank=True,
                              help_text="The agenda as generated from the data")
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-held_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.title} ({self.held_at:%d %b %Y})"


class CallInInvitation(models.Model):
    """Who is invited to a call-in, who speaks, and who came."""

    class Role(models.TextChoices):
        SUBJECT = "subject", "Cohort member"
        POLICE = "police", "Police speaker"
        SERVICES = "services", "Services speaker"
        COMMUNITY = "community", "Community speaker"
        VICTIMS_FAMILY = "victims_family", "Victim's family"
        FAMILY = "family", "Family member or carer"

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="invitations")
    role = models.CharField(max_length=32, choices=Role.choices)
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+", help_text="For a cohort member")
    name = models.CharField(max_length=200, blank=True, help_text="For anyone else")
    attended = models.BooleanField(null=True, help_text="Unknown until the call-in is held")

    class Meta:
        ordering = ["role", "name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "person"], name="unique_call_in_person"),
            models.CheckConstraint(
                condition=models.Q(person__isnull=False) | ~models.Q(name=""),
                name="invitation_names_someone",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person or self.name} ({self.role}) at {self.meeting}"


class MeetingAction(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="actions")
    meeting = models.ForeignKey(Meeting, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="actions")
    entry = models.ForeignKey(CohortEntry, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="actions")
    group = models.ForeignKey(CohortGroup, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="actions")
    description = models.TextField(max_length=limits.TEXT)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                              related_name="deter_actions")
    due = models.DateField()
    status = models.CharField(max_length=16, choices=Status.choices, default="open")
    completed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due", "pk"]
        indexes = [models.Index(fields=["owner", "status", "due"])]

    def __str__(self) -> str:
        return self.description[:60]

"""What is done with the cohort: interventions and their life-cycle, orders and breaches,
letters, and the group-wide response when violence involves a group member."""

from django.conf import settings
from django.db import models

from ..domain import limits
from .agency import Agency
from .pole import Event, Person
from .programme import CohortGroup, Programme


class Intervention(models.Model):
    """Support, community, enforcement or communication, for a person or for a whole group.

    Support is a referral with a life-cycle (referred, accepted, engaged, completed, declined,
    closed); each change is an ``InterventionUpdate``, so the time from referral to engagement
    is known.  Enforcement orders (ABA, CPN) carry their conditions and expiry, and breaches.
    """

    class Kind(models.TextChoices):
        SUPPORT = "support", "Support"
        COMMUNITY = "community", "Community"
        ENFORCEMENT = "enforcement", "Enforcement"
        COMMUNICATION = "communication", "Communication"

    class Category(models.TextChoices):
        # support
        EDUCATION = "education", "Education"
        TRAINING = "training", "Training"
        EMPLOYMENT = "employment", "Employment"
        HOUSING = "housing", "Housing"
        PHYSICAL_HEALTH = "physical_health", "Physical health"
        MENTAL_HEALTH = "mental_health", "Mental health"
        SUBSTANCE_MISUSE = "substance_misuse", "Substance-misuse treatment"
        SPORT_DIVERSION = "sport_diversion", "Sport and diversion"
        MENTORING = "mentoring", "Mentoring by someone with lived experience"
        FAMILY_SUPPORT = "family_support", "Family support"
        # community
        VICTIMS_FAMILIES = "victims_families", "Victims' families"
        FORMER_MEMBERS = "former_members", "Reformed former members"
        FAITH_LEADERS = "faith_leaders", "Faith leaders"
        PARENTAL_SUPPORT = "parental_support", "Parental support group"
        CONFERENCING = "conferencing", "Community conferencing"
        # enforcement
        ABA = "aba", "Acceptable Behaviour Agreement"
        CPN = "cpn", "Community Protection Notice"
        WARNING = "warning", "Warning"
        ARREST = "arrest", "Arrest"
        CHARGE = "charge", "Charge"
        HOTSPOT_OPERATION = "hotspot_operation", "Operation at a hotspot"
        LICENSING = "licensing", "Licensing"
        INCOME_DISRUPTION = "income_disruption", "Disruption of illegal income"
        # communication
        CALL_IN = "call_in", "Call-in meeting"
        LETTER = "letter", "Focused deterrence letter"
        CUSTOM_NOTIFICATION = "custom_notification", "Custom notification"
        HOME_VISIT = "home_visit", "Home visit"
        CONTACT = "contact", "Other contact"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        REFERRED = "referred", "Referred"
        ACCEPTED = "accepted", "Accepted"
        ENGAGED = "engaged", "Engaged"
        ACTIVE = "active", "In force"
        COMPLETED = "completed", "Completed"
        DECLINED = "declined", "Declined"
        CLOSED = "closed", "Closed"

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="interventions"
    )
    group = models.ForeignKey(
        CohortGroup, null=True, blank=True, on_delete=models.PROTECT,
        related_name="interventions",
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    category = models.CharField(max_length=32, choices=Category.choices, blank=True)
    title = models.CharField(max_length=200, help_text="What is offered or done")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default="planned")
    start = models.DateField(null=True, blank=True)
    end = models.DateField(null=True, blank=True)
    outcome = models.TextField(blank=True, max_length=limits.TEXT)
    # enforcement
    conditions = models.TextField(blank=True, help_text="An order's conditions")
    expires = models.DateField(null=True, blank=True, help_text="When an order expires")
    cps_decision = models.CharField(max_length=200, blank=True,
                                    help_text="The Crown Prosecution Service's decision")
    cps_decision_date = models.DateField(null=True, blank=True)
    # communication
    meeting = models.ForeignKey(
        "deter.Meeting", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The call-in meeting, for a call-in invitation",
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(person__isnull=False) | models.Q(group__isnull=False),
                name="intervention_for_person_or_group",
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.kind}) for {self.person or self.group}"


class InterventionUpdate(models.Model):
    """A status change of an intervention, on the day it happened; append-only."""

    intervention = models.ForeignKey(Intervention, on_delete=models.CASCADE,
                                     related_name="updates")
    status = models.CharField(max_length=16, choices=Intervention.Status.choices)
    on = models.DateField(help_text="The day the change happened")
    note = models.TextField(blank=True, max_length=limits.TEXT)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["on", "pk"]

    def __str__(self) -> str:
        return f"{self.intervention}: {self.status} on {self.on}"


class OrderBreach(models.Model):
    """A breach of an order's conditions (an ABA or CPN)."""

    intervention = models.ForeignKey(Intervention, on_delete=models.CASCADE,
                                     related_name="breaches")
    occurred_on = models.DateField()
    description = models.TextField(max_length=limits.TEXT)
    event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_on", "-pk"]

    def __str__(self) -> str:
        return f"breach of {self.intervention} on {self.occurred_on}"


class LetterTemplate(models.Model):
    """An editable template for a focused deterrence letter or custom notification.

    ``body`` uses ``$placeholders`` (Python's ``string.Template``), never a template language
    that could reach into the database: see ``deter.web.domain.letters`` for the placeholders.
    """

    class Kind(models.TextChoices):
        LETTER = "letter", "Focused deterrence letter"
        CUSTOM_NOTIFICATION = "custom_notification", "Custom notification"
        NOTIFICATION = "notification", "Notification of being in the programme"

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE,
                                  related_name="letter_templates")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=32, choices=Kind.choices, default="letter")
    body = models.TextField()
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["programme", "name"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "name"], name="unique_letter_template")
        ]

    def __str__(self) -> str:
        return self.name


class Letter(models.Model):
    """A letter generated for one person from a template: the text exactly as sent."""

    template = models.ForeignKey(LetterTemplate, null=True, on_delete=models.SET_NULL,
                                 related_name="+")
    intervention = models.OneToOneField(Intervention, on_delete=models.CASCADE,
                                        related_name="letter")
    recipient = models.CharField(max_length=200, help_text="Name as it appears on the letter")
    address = models.TextField(blank=True)
    body = models.TextField(help_text="The text after the placeholders were filled in")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # What the documents print besides the body, fixed when the letter is written (letters
    # written before 0020 have none of these and print without them).
    reference = models.CharField(max_length=40, null=True, blank=True, unique=True,
                                 help_text="The programme's initials and key, the year and "
                                 "a sequence number: KCT1-2026-0007")
    sequence = models.PositiveIntegerField(null=True, blank=True)
    issued_on = models.DateField(null=True, blank=True)
    security_marking = models.CharField(max_length=40, blank=True)
    letterhead = models.JSONField(default=dict, blank=True,
                                  help_text="The agency's name, address and phone; the "
                                  "sender's name, job title and contact")
    logo = models.ForeignKey("AgencyLogo", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    address_block = models.BooleanField(
        default=True, help_text="The recipient and address printed above the body: not when "
        "the body holds $address already")

    def __str__(self) -> str:
        return f"letter to {self.recipient} ({self.created_at:%d %b %Y})"


class GroupViolenceFlag(models.Model):
    """Violence involving a member of an active cohort group: the group's plan is flagged
    for the agreed group-wide response, and the response is tracked."""

    class Status(models.TextChoices):
        OPEN = "open", "Awaiting response"
        RESPONDING = "responding", "Response under way"
        DONE = "done", "Response delivered"

    group = models.ForeignKey(CohortGroup, on_delete=models.CASCADE, related_name="flags")
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    raised_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=16, choices=Status.choices, default="open")
    response = models.TextField(blank=True)
    responded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-raised_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["group", "event"], name="unique_group_flag")
        ]

    def __str__(self) -> str:
        return f"{self.group}: violence in {self.event} ({self.status})"

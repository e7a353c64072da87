"""The programme and its cohort: who is in it, why, until when, decided by whom.

A ``CohortEntry`` is a person's place in one programme and also their plan there (the lead
professional, the support offer and the consequence of further violence); a ``CohortGroup`` is
the same for a group, with the agreed group-wide response.  Every status change is a
``CohortDecision`` row: who decided, when, why, at which meeting.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from ..domain import limits
from .agency import Agency
from .analysis import AnalysisRun
from .pole import Event, Person


class Programme(models.Model):
    class Emphasis(models.TextChoices):
        SUPPORT_LED = "support_led", "Support-led"
        ENFORCEMENT_LED = "enforcement_led", "Enforcement-led"
        BALANCED = "balanced", "Balanced"

    class DeliveryModel(models.TextChoices):
        """The focused-deterrence model the programme runs (the evaluation page's ``MODELS``):
        empty while not said, when the evaluation infers it from the cohort."""

        GROUP = "group", "Group violence (gangs and street groups)"
        INDIVIDUAL = "individual", "High-risk individuals"
        DRUG_MARKET = "drug_market", "Drug market"

    name = models.CharField(max_length=200, unique=True)
    delivery_model = models.CharField(
        max_length=16, choices=DeliveryModel.choices, blank=True, default="",
        help_text="Group violence, high-risk individuals or a drug market (Project ADDER)")
    problem = models.TextField(help_text="The problem the programme addresses")
    area = models.CharField(max_length=200)
    start = models.DateField()
    end = models.DateField(null=True, blank=True)
    emphasis = models.CharField(max_length=32, choices=Emphasis.choices, default="balanced")
    uses_call_ins = models.BooleanField(default=True)
    agencies = models.ManyToManyField(Agency, related_name="programmes")
    lead_agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="led_programmes",
        help_text="The agency that runs the programme; every other partner needs an agreement",
    )
    class Marking(models.TextChoices):
        """Government Security Classifications (2023): what a letter is marked at the top and
        foot of every page. Letters naming a person in the programme are OFFICIAL, and
        OFFICIAL-SENSITIVE where their loss would harm the person (the default)."""

        OFFICIAL = "OFFICIAL", "OFFICIAL"
        OFFICIAL_SENSITIVE = "OFFICIAL-SENSITIVE", "OFFICIAL-SENSITIVE"
        OFFICIAL_SENSITIVE_PERSONAL = ("OFFICIAL-SENSITIVE PERSONAL",
                                       "OFFICIAL-SENSITIVE PERSONAL")

    security_marking = models.CharField(
        max_length=40, choices=Marking.choices, default=Marking.OFFICIAL_SENSITIVE,
        help_text="The security marking printed on the programme's letters")
    publish_scoring = models.BooleanField(
        default=False,
        help_text="Publish the scoring page (harm table, RFGV formula, selection criteria) "
        "without sign-in; it never shows a person or a count of people",
    )
    current_run = models.ForeignKey(
        "deter.AnalysisRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The run the programme works from, marked by its analyst or coordinator "
        "(actions.programmes.set_current_run); policy.runs.current falls back to the newest "
        "complete run only while none is marked",
    )

    def __str__(self) -> str:
        return self.name


class CohortStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    DEFERRED = "deferred", "Deferred"
    REJECTED = "rejected", "Rejected"
    ACTIVE = "active", "Active"
    STEPPED_DOWN = "stepped_down", "Stepped down"
    EXITED = "exited", "Exited"
    REMOVED = "removed", "Removed after a challenge"


class CohortGroup(models.Model):
    """A group the panel considers or works with in a programme, and the group's plan."""

    Status = CohortStatus

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="groups")
    label = models.CharField(
        max_length=64, help_text="The analysis's found-group label or a recorded group id"
    )
    name = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default="proposed")
    rationale = models.TextField(blank=True, max_length=limits.TEXT)
    review_date = models.DateField(null=True, blank=True)
    lead_professional = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    group_response = models.TextField(
        blank=True, max_length=limits.TEXT,
        help_text="The agreed group-wide response when violence involves a member",
    )
    proposed_by_run = models.ForeignKey(
        AnalysisRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="The coordinator who proposed the group by hand; empty for the analysis's",
    )
    evidence = models.ManyToManyField(
        Event, blank=True, related_name="+", help_text="Events chosen as evidence by hand"
    )
    stable_id = models.CharField(
        max_length=32, blank=True, db_index=True,
        help_text="The found group's identity across runs (FoundGroup.stable_id)",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["programme", "label"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "label"], name="unique_cohort_group")
        ]

    def __str__(self) -> str:
        return self.name or self.label


class CohortEntry(models.Model):
    Status = CohortStatus

    class Safeguarding(models.TextChoices):
        NONE_KNOWN = "", "None recorded"
        EARLY_HELP = "early_help", "Early help"
        CHILD_IN_NEED = "child_in_need", "Child in need"
        CHILD_PROTECTION = "child_protection", "Child protection plan"
        LOOKED_AFTER = "looked_after", "Looked-after child"
        CONTEXTUAL = "contextual", "Contextual safeguarding plan"

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="cohort")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="cohort_entries")
    group = models.ForeignKey(
        CohortGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default="proposed")
    rationale = models.TextField(max_length=limits.TEXT)
    review_date = models.DateField()
    lead_professional = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    support_offer = models.TextField(blank=True, max_length=limits.TEXT,
                                     help_text="The help on offer")
    enforcement_consequence = models.TextField(
        blank=True, max_length=limits.TEXT, help_text="What happens after further violence"
    )
    safeguarding = models.CharField(
        max_length=32, choices=Safeguarding.choices, blank=True, default="",
        help_text="For a child: the safeguarding status children's social care has recorded",
    )
    safeguarding_lead = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    proposed_by_run = models.ForeignKey(
        AnalysisRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="The coordinator who proposed the person by hand; empty for the analysis's",
    )
    evidence = models.ManyToManyField(
        Event, blank=True, related_name="+", help_text="Events chosen as evidence by hand"
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
        indexes = [models.Index(fields=["programme", "status", "review_date"])]

    def __str__(self) -> str:
        return f"{self.person} in {self.programme}: {self.status}"


class CohortDecision(models.Model):
    """One decision about a person's or a group's place in a programme; append-only."""

    entry = models.ForeignKey(
        CohortEntry, null=True, blank=True, on_delete=models.CASCADE, related_name="decisions"
    )
    group = models.ForeignKey(
        CohortGroup, null=True, blank=True, on_delete=models.CASCADE, related_name="decisions"
    )
    from_status = models.CharField(max_length=16, choices=CohortStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=CohortStatus.choices)
    reason = models.TextField(max_length=limits.TEXT)
    review_date = models.DateField(null=True, blank=True)
    lead_professional = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    meeting = models.ForeignKey(
        "deter.Meeting", null=True, blank=True, on_delete=models.SET_NULL, related_name="decisions"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # when the decision was made (a panel's date, or a backdated one); recorded_at is when it
    # was entered, and backdated_reason says why the two differ when no meeting explains it
    decided_at = models.DateTimeField(default=timezone.now)
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)
    backdated_reason = models.TextField(blank=True, max_length=limits.TEXT)

    class Meta:
        ordering = ["-decided_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(entry__isnull=False, group__isnull=True)
                | models.Q(entry__isnull=True, group__isnull=False),
                name="decision_about_entry_or_group",
            )
        ]

    def __str__(self) -> str:
        return f"{self.entry or self.group}: {self.from_status} -> {self.to_status}"


class GroupMembershipChange(models.Model):
    """A coordinator adding a person to a cohort group or taking them out; append-only, so the
    group page shows who changed its members, when and why."""

    class Change(models.TextChoices):
        ADDED = "added", "Added"
        REMOVED = "removed", "Removed"

    group = models.ForeignKey(CohortGroup, on_delete=models.CASCADE,
                              related_name="membership_changes")
    entry = models.ForeignKey(CohortEntry, on_delete=models.CASCADE, related_name="+")
    change = models.CharField(max_length=16, choices=Change.choices)
    reason = models.TextField(max_length=limits.TEXT)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-changed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.entry.person} {self.change} {self.group}"

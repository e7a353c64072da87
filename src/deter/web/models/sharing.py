"""Lawful sharing: the data-sharing agreements a programme's partners work under, and the
recorded links between a partner agency and the people it works with.

An agency other than the programme's lead agency sees a programme, and anyone in it, only
while an agreement naming it as a party is in force: active, approved by the data protection
officer of every agency that supplies data, and within its dates. What a party's users may
see is the agreement's data categories for that party; a partner-agency user sees only the
people its agency has a ``PersonLink`` to (its pupils, tenants, clients, referrals).
"""

from datetime import date

from django.conf import settings
from django.db import models
from django.utils import timezone

from .agency import Agency
from .pole import Person


class AgreementQuerySet(models.QuerySet):
    def in_force(self, on: date | None = None) -> "AgreementQuerySet":
        """Active agreements whose dates cover ``on`` (today by default)."""
        on = on or timezone.localdate()
        return self.filter(status=DataSharingAgreement.Status.ACTIVE, starts__lte=on).filter(
            models.Q(ends__isnull=True) | models.Q(ends__gte=on))


class DataSharingAgreement(models.Model):
    """One version of a programme's data-sharing agreement (ICO data sharing code)."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        AWAITING_APPROVAL = "awaiting_approval", "Awaiting approval"
        ACTIVE = "active", "Active"
        EXPIRED = "expired", "Expired"
        REVOKED = "revoked", "Revoked"
        SUPERSEDED = "superseded", "Superseded by a new version"

    class Purpose(models.TextChoices):
        DELIVERY = "delivery", "Delivering the programme (support, communication, enforcement)"
        EVALUATION = "evaluation", "Evaluating the programme"

    programme = models.ForeignKey(
        "deter.Programme", on_delete=models.PROTECT, related_name="agreements")
    version = models.PositiveIntegerField(default=1)
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by")
    title = models.CharField(max_length=200)
    purpose = models.CharField(max_length=16, choices=Purpose.choices, default="delivery")
    purpose_detail = models.TextField(help_text="What the sharing is for, in plain words")
    status = models.CharField(max_length=20, choices=Status.choices, default="draft")
    starts = models.DateField()
    ends = models.DateField(null=True, blank=True, help_text="The agreement expires after this")
    review_date = models.DateField()
    special_category = models.BooleanField(
        default=False, help_text="Health or treatment data is shared (UK GDPR Art. 9)")
    includes_ethnicity = models.BooleanField(
        default=False, help_text="Ethnicity is shared (special category, Art. 9)")
    retention = models.JSONField(
        default=dict, blank=True,
        help_text="Retention periods in days by record kind and outcome; defaults apply where "
                  "absent")
    # the evaluation export's pseudonym key (docs/adr/0010): random, kept by a new version of
    # the agreement, never shown or exported
    pseudonym_key = models.CharField(max_length=64, blank=True, editable=False)
    # the ICO data sharing code's checklist: each is a date or a reference, blank until done
    dpia_reference = models.CharField("DPIA reference", max_length=200, blank=True)
    equality_assessment = models.CharField(max_length=200, blank=True)
    privacy_information = models.CharField(
        max_length=200, blank=True, help_text="Where people are told about the sharing")
    security_arrangements = models.TextField(blank=True)
    rights_procedure = models.TextField(
        blank=True, help_text="How access requests, objections and challenges are handled")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    ended_reason = models.TextField(blank=True)

    objects = AgreementQuerySet.as_manager()

    class Meta:
        ordering = ["programme", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "version"],
                                    name="unique_agreement_version"),
        ]

    def __str__(self) -> str:
        return f"{self.title} (version {self.version})"

    CHECKLIST = (
        ("purpose_detail", "The purpose of the sharing"),
        ("dpia_reference", "A data protection impact assessment"),
        ("equality_assessment", "An equality impact assessment"),
        ("privacy_information", "Privacy information telling people about the sharing"),
        ("security_arrangements", "Security arrangements"),
        ("rights_procedure", "A procedure for individuals' rights"),
    )

    def missing(self) -> list[str]:
        """The ICO checklist items not yet recorded, and the parties' gaps."""
        gaps = [label for field, label in self.CHECKLIST if not str(getattr(self, field)).strip()]
        parties = list(self.parties.all())
        if not any(p.supplies_data for p in parties):
            gaps.append("At least one party that supplies data")
        gaps += [f"A lawful basis for {p.agency}" for p in parties if not p.lawful_basis]
        return gaps


class AgreementParty(models.Model):
    """An agency's part in an agreement: whether it supplies data, its lawful basis, what its
    users may see and, for a supplier, its data protection officer's approval."""

    class LawfulBasis(models.TextChoices):
        PUBLIC_TASK = "gdpr_6_1_e", "UK GDPR Art. 6(1)(e): public task"
        LEGAL_OBLIGATION = "gdpr_6_1_c", "UK GDPR Art. 6(1)(c): legal obligation"
        LAW_ENFORCEMENT = "dpa_part_3", "DPA 2018 Part 3: law-enforcement processing"
        CRIME_AND_DISORDER = "cda_s115", "Crime and Disorder Act 1998 s.115"
        CHILDREN_ACT = "ca2004_s10_11", "Children Act 2004 s.10 and s.11"

    agreement = models.ForeignKey(
        DataSharingAgreement, on_delete=models.CASCADE, related_name="parties")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="agreement_parts")
    supplies_data = models.BooleanField(default=False)
    lawful_basis = models.CharField(max_length=20, choices=LawfulBasis.choices, blank=True)
    categories = models.JSONField(
        default=list, blank=True, help_text="The data categories this party's users may see")
    sees_adults = models.BooleanField(default=True)
    sees_children = models.BooleanField(default=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["agreement", "agency__name"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "agency"], name="unique_agreement_party"),
        ]

    def __str__(self) -> str:
        return f"{self.agency} in {self.agreement}"


class PersonLink(models.Model):
    """A partner agency's recorded working relationship with a person in a programme: the
    only way a partner-agency user comes to see the person."""

    class Relationship(models.TextChoices):
        PUPIL = "pupil", "Pupil"
        TENANT = "tenant", "Tenant"
        CLIENT = "client", "Client"
        REFERRAL = "referral", "Referral received"
        SUPERVISED = "supervised", "Under supervision"
        OTHER = "other", "Other working relationship"

    programme = models.ForeignKey(
        "deter.Programme", on_delete=models.CASCADE, related_name="person_links")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="person_links")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="agency_links")
    relationship = models.CharField(max_length=16, choices=Relationship.choices)
    note = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["programme", "agency", "person"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "agency", "person"], condition=models.Q(ended_at=None),
                name="one_open_link_per_agency_and_person"),
        ]

    def __str__(self) -> str:
        return f"{self.agency}: {self.get_relationship_display()} {self.person}"

"""The drug-market pathway (Project ADDER, issue 16): a person's treatment episode and the
harm-reduction facts recorded against them.

A ``TreatmentReferral`` follows the items of the National Drug Treatment Monitoring System's
core data set (referral source, referral, triage, assessment and treatment start dates,
modality, exit date and exit reason), so a treatment provider's own data maps onto it. It is
recorded by the provider's staff (``actions.drug_market``); its clinical detail (modality,
exit reason, and the dates after referral) is seen only by the provider's agency and the lead
agency's coordinator (``policy.treatment_referrals.fields``).

A ``HarmReductionRecord`` is naloxone supplied, a near-fatal overdose or a drug-related death.
"""

from datetime import date, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from .agency import Agency
from .pole import Person
from .programme import Programme

RETENTION_WEEKS = 12
RETENTION_PERIOD = timedelta(weeks=RETENTION_WEEKS)


class TreatmentReferral(models.Model):
    class Source(models.TextChoices):
        # the criminal justice system's (the ADDER measure "referrals from the CJS")
        CUSTODY = "custody", "Police custody (arrest referral)"
        COURT = "court", "Court"
        PRISON = "prison", "Prison"
        POLICE_DIVERSION = "police_diversion", "Police diversion scheme"
        # the others
        SELF = "self", "Self-referral"
        GP = "gp", "GP"
        OUTREACH = "outreach", "Outreach"

    class Modality(models.TextChoices):
        OST_BUPRENORPHINE = "ost_buprenorphine", "Opioid substitution: buprenorphine"
        OST_METHADONE = "ost_methadone", "Opioid substitution: methadone"
        PSYCHOSOCIAL = "psychosocial", "Psychosocial"
        INPATIENT_DETOX = "inpatient_detox", "Inpatient detoxification"
        RESIDENTIAL_REHAB = "residential_rehab", "Residential rehabilitation"

    class ExitReason(models.TextChoices):
        COMPLETED_DRUG_FREE = "completed_drug_free", "Treatment completed: drug-free"
        COMPLETED_PRESCRIBING = ("completed_prescribing",
                                 "Treatment completed: continued prescribing")
        DROPPED_OUT = "dropped_out", "Dropped out"
        TRANSFERRED = "transferred", "Transferred"
        DIED = "died", "Died"

    class Stage(models.TextChoices):
        """Where the episode is: what everyone who sees the person may see."""

        REFERRED = "referred", "Referred"
        TRIAGED = "triaged", "Triaged"
        ASSESSED = "assessed", "Assessed"
        IN_TREATMENT = "in_treatment", "In treatment"
        EXITED = "exited", "Left treatment"

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT,
                                  related_name="treatment_referrals")
    person = models.ForeignKey(Person, on_delete=models.PROTECT,
                               related_name="treatment_referrals")
    provider = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+",
                                 help_text="The treatment provider that holds the episode")
    source = models.CharField(max_length=20, choices=Source.choices)
    referred_on = models.DateField()
    triaged_on = models.DateField(null=True, blank=True)
    assessed_on = models.DateField(null=True, blank=True)
    started_on = models.DateField(null=True, blank=True,
                                  help_text="The first treatment intervention")
    modality = models.CharField(max_length=20, choices=Modality.choices, blank=True)
    exited_on = models.DateField(null=True, blank=True)
    exit_reason = models.CharField(max_length=24, choices=ExitReason.choices, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-referred_on", "-pk"]
        indexes = [models.Index(fields=["programme", "referred_on"]),
                   models.Index(fields=["programme", "started_on"])]

    def __str__(self) -> str:
        return f"treatment referral of {self.person} on {self.referred_on}"

    @property
    def stage(self) -> str:
        if self.exited_on:
            return self.Stage.EXITED
        if self.started_on:
            return self.Stage.IN_TREATMENT
        if self.assessed_on:
            return self.Stage.ASSESSED
        if self.triaged_on:
            return self.Stage.TRIAGED
        return self.Stage.REFERRED

    def get_stage_display(self) -> str:
        return self.Stage(self.stage).label

    @property
    def waiting_days(self) -> int | None:
        """Days from referral to the first treatment intervention."""
        return (self.started_on - self.referred_on).days if self.started_on else None

    @property
    def twelve_weeks_on(self) -> date | None:
        return self.started_on + RETENTION_PERIOD if self.started_on else None

    def retained_at_12_weeks(self) -> bool | None:
        """Still in treatment 12 weeks after starting, or left before then having completed
        it; ``None`` before the 12 weeks are up or without a start."""
        due = self.twelve_weeks_on
        if due is None:
            return None
        if self.exited_on is not None and self.exited_on < due:
            return self.exit_reason in COMPLETED
        return True if due <= timezone.localdate() else None


COMPLETED = (TreatmentReferral.ExitReason.COMPLETED_DRUG_FREE,
             TreatmentReferral.ExitReason.COMPLETED_PRESCRIBING)
CRIMINAL_JUSTICE_SOURCES = (
    TreatmentReferral.Source.CUSTODY, TreatmentReferral.Source.COURT,
    TreatmentReferral.Source.PRISON, TreatmentReferral.Source.POLICE_DIVERSION)


class HarmReductionRecord(models.Model):
    class Kind(models.TextChoices):
        NALOXONE = "naloxone", "Naloxone supplied"
        NEAR_FATAL_OVERDOSE = "near_fatal_overdose", "Near-fatal overdose"
        DRUG_RELATED_DEATH = "drug_related_death", "Drug-related death"

    class Recipient(models.TextChoices):
        """Whom a naloxone kit was given to."""

        PERSON = "person", "The person"
        FAMILY = "family", "A family member"
        PEER = "peer", "A peer"

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT,
                                  related_name="harm_reduction_records")
    person = models.ForeignKey(Person, on_delete=models.PROTECT,
                               related_name="harm_reduction_records")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    on = models.DateField()
    recipient = models.CharField(max_length=16, choices=Recipient.choices, blank=True,
                                 help_text="For naloxone: whom the kit was given to")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+",
                               help_text="The agency that recorded it")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-on", "-pk"]
        indexes = [models.Index(fields=["programme", "kind", "on"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.person} on {self.on}"

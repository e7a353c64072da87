"""The drug-market pathway's writes (Project ADDER, issue 16): a referral into treatment, its
triage, assessment, start and exit, and harm-reduction records.

Each action asks the policy (a refusal writes a ``denied`` audit row and raises
``PermissionDenied``), validates (a ``ValidationError`` names the field and writes nothing)
and writes in one transaction with its audit row. Dates follow the episode's order: nothing
before the referral, no step before the one recorded before it, nothing in the future.
"""

from __future__ import annotations

from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from .. import audit, policy
from ..models import Agency, CohortEntry, HarmReductionRecord, TreatmentReferral
from ..models.drug_market import COMPLETED
from ..policy.drug_market import treatment_agencies
from ..policy.grants import grants_of
from .interventions import _day  # 14 November 2026, without glibc's %-d

Referral = TreatmentReferral
# the episode's steps in order: the field each is recorded in, and its name in a message
STEPS = {"triage": ("triaged_on", "triage"), "assessment": ("assessed_on", "assessment"),
         "start": ("started_on", "treatment start"), "exit": ("exited_on", "exit")}
ORDER = ("referred_on", "triaged_on", "assessed_on", "started_on", "exited_on")
LABELS = {"referred_on": "referral", **{f: name for f, name in STEPS.values()}}


def _refuse(actor, action: str, kind: str, pk: int | None, message: str, **detail) -> None:
    audit.record(actor, action, kind, pk, outcome=audit.DENIED, **detail)
    raise PermissionDenied(message)


def _day_errors(field: str, on: date | None, what: str) -> dict[str, str]:
    if on is None:
        return {field: f"Enter the date of the {what}"}
    if on > timezone.localdate():
        return {field: f"The date of the {what} cannot be in the future"}
    return {}


# --- referral ----------------------------------------------------------------------------------


def refer(actor: AbstractBaseUser, entry: CohortEntry, *, source: str, referred_on: date | None,
          provider: Agency | None = None) -> TreatmentReferral:
    """Refer the entry's person into treatment with the actor's treatment agency (or
    ``provider``, one of the actor's treatment agencies in the programme) as the provider."""
    if not policy.entries.can(actor, "refer_to_treatment", entry):
        _refuse(actor, "refer_to_treatment", "cohort_entry", entry.pk,
                "You may not refer this person into treatment")
    own = treatment_agencies(actor, entry.programme_id)
    errors = _day_errors("referred_on", referred_on, "referral")
    if source not in Referral.Source.values:
        errors["source"] = "Select where the referral came from"
    if provider is not None and provider.pk not in own:
        errors["provider"] = "Select one of your own treatment agencies as the provider"
    open_one = Referral.objects.filter(programme_id=entry.programme_id, person_id=entry.person_id,
                                       exited_on__isnull=True).first()
    if open_one is not None:
        errors["person"] = (f"{entry.person.person_id} already has an open treatment referral "
                            f"in this programme, made on {_day(open_one.referred_on)}")
    if errors:
        raise ValidationError(errors)
    provider_pk = provider.pk if provider is not None else min(own)
    with transaction.atomic():
        referral = Referral.objects.create(
            programme_id=entry.programme_id, person_id=entry.person_id, provider_id=provider_pk,
            source=source, referred_on=referred_on, recorded_by=actor)
        audit.record(actor, "refer_to_treatment", "treatment_referral", referral.pk,
                     person=entry.person_id, programme=entry.programme_id, provider=provider_pk)
    return referral


# --- the episode's steps -----------------------------------------------------------------------


def _order_errors(referral: TreatmentReferral, field: str, on: date) -> dict[str, str]:
    """The step may not come before any step recorded before it in the episode."""
    what = LABELS[field]
    for earlier in ORDER[:ORDER.index(field)]:
        then = getattr(referral, earlier)
        if then is not None and on < then:
            return {field: f"The date of the {what} cannot be before the {LABELS[earlier]} "
                           f"on {_day(then)}"}
    return {}


def _step_errors(referral: TreatmentReferral, step: str, on: date | None, modality: str,
                 exit_reason: str) -> dict[str, str]:
    field, what = STEPS[step]
    if referral.exited_on is not None:
        return {field: f"This episode ended on {_day(referral.exited_on)}"}
    if getattr(referral, field) is not None:
        return {field: f"The {what} is already recorded, on {_day(getattr(referral, field))}"}
    errors = _day_errors(field, on, what) or _order_errors(referral, field, on)
    if step == "start" and modality not in Referral.Modality.values:
        errors["modality"] = "Select the treatment modality"
    if step == "exit":
        if exit_reason not in Referral.ExitReason.values:
            errors["exit_reason"] = "Select why the person left treatment"
        elif exit_reason in COMPLETED and referral.started_on is None:
            errors["exit_reason"] = "A treatment that never started cannot be completed"
    return errors


def record_step(actor: AbstractBaseUser, referral: TreatmentReferral, step: str,
                on: date | None, *, modality: str = "", exit_reason: str = "",
                ) -> TreatmentReferral:
    """Record the episode's triage, assessment, start (with its modality) or exit (with its
    reason), by the provider's staff."""
    if step not in STEPS:
        raise ValueError(f"unknown step {step!r}")
    action = f"record_treatment_{step}"
    if not policy.treatment_referrals.can(actor, "record", referral):
        _refuse(actor, action, "treatment_referral", referral.pk,
                "You may not record this treatment episode")
    with transaction.atomic():
        referral = Referral.objects.select_for_update().get(pk=referral.pk)
        errors = _step_errors(referral, step, on, modality, exit_reason)
        if errors:
            raise ValidationError(errors)
        setattr(referral, STEPS[step][0], on)
        changed = [STEPS[step][0]]
        if step == "start":
            referral.modality, changed = modality, [*changed, "modality"]
        if step == "exit":
            referral.exit_reason, changed = exit_reason, [*changed, "exit_reason"]
        referral.save(update_fields=changed)
        audit.record(actor, action, "treatment_referral", referral.pk, on=on,
                     person=referral.person_id, programme=referral.programme_id)
    return referral


def record_triage(actor, referral, on):
    return record_step(actor, referral, "triage", on)


def record_assessment(actor, referral, on):
    return record_step(actor, referral, "assessment", on)


def record_start(actor, referral, on, modality: str):
    return record_step(actor, referral, "start", on, modality=modality)


def record_exit(actor, referral, on, exit_reason: str):
    return record_step(actor, referral, "exit", on, exit_reason=exit_reason)


# --- harm reduction ----------------------------------------------------------------------------


def _recording_agency(actor: AbstractBaseUser, entry: CohortEntry) -> int:
    """The actor's treatment agency in the programme if they have one, else the first agency
    through which they hold a role there."""
    own = treatment_agencies(actor, entry.programme_id)
    if own:
        return min(own)
    return min(g.agency for g in grants_of(actor) if g.programme == entry.programme_id)


def _harm_errors(entry: CohortEntry, kind: str, on: date | None, recipient: str,
                 ) -> dict[str, str]:
    Kind = HarmReductionRecord.Kind
    if kind not in Kind.values:
        return {"kind": "Select what is being recorded"}
    errors = _day_errors("on", on, Kind(kind).label.lower())
    if kind == Kind.NALOXONE and recipient not in HarmReductionRecord.Recipient.values:
        errors["recipient"] = "Select whom the naloxone was given to"
    if kind != Kind.NALOXONE and recipient:
        errors["recipient"] = "Whom it was given to is recorded for naloxone only"
    if kind == Kind.DRUG_RELATED_DEATH and HarmReductionRecord.objects.filter(
            person_id=entry.person_id, kind=kind).exists():
        errors["kind"] = f"A drug-related death is already recorded for {entry.person.person_id}"
    return errors


def record_harm_reduction(actor: AbstractBaseUser, entry: CohortEntry, *, kind: str,
                          on: date | None, recipient: str = "") -> HarmReductionRecord:
    """Record naloxone supplied (with whom it was given to), a near-fatal overdose or a
    drug-related death against the entry's person."""
    if not policy.entries.can(actor, "record_harm_reduction", entry):
        _refuse(actor, "record_harm_reduction", "cohort_entry", entry.pk,
                "You may not record harm reduction for this person")
    errors = _harm_errors(entry, kind, on, recipient)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        record = HarmReductionRecord.objects.create(
            programme_id=entry.programme_id, person_id=entry.person_id, kind=kind, on=on,
            recipient=recipient, agency_id=_recording_agency(actor, entry), recorded_by=actor)
        audit.record(actor, "record_harm_reduction", "harm_reduction_record", record.pk,
                     kind=kind, on=on, person=entry.person_id, programme=entry.programme_id)
    return record

"""Individuals' rights: recording that a person was told they are listed (or why not),
challenges to a listing and their outcome, and subject access requests.

An upheld challenge removes the person's entry (status ``removed``, a ``CohortDecision`` by
the decider) and asks every agency of the programme to confirm it has deleted its own copies
(``DeletionConfirmation`` with reason ``removal``). Every write has its audit row; every
refusal a denied one.
"""

from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from .. import audit, policy
from ..domain import people, rights
from ..domain import subject_access as subject_access_files
from ..domain.letters import long_date
from ..models import (
    Challenge,
    CohortDecision,
    CohortEntry,
    DeletionConfirmation,
    Notification,
    Person,
    Programme,
    SubjectAccessRequest,
)
from ..queries import subject_access

User = AbstractBaseUser
Kind, Method, Recipient = Notification.Kind, Notification.Method, Notification.Recipient


def _refuse(actor: User, action: str, kind: str, pk: object, message: str, **detail) -> None:
    audit.record(actor, action, kind, pk, outcome=audit.DENIED, **detail)
    raise PermissionDenied(message)


def _not_after_today(value: date | None, field: str, what: str, errors: dict) -> None:
    if value is None:
        errors[field] = f"Enter the date {what}"
    elif value > timezone.localdate():
        errors[field] = f"The date {what} must be today or in the past"


# --- notifications ----------------------------------------------------------------------------


def _told_errors(entry: CohortEntry, method: str, told_on: date | None, told_by: User | None,
                 recipient: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if method not in Method.values:
        errors["method"] = "Select how they were told"
    _not_after_today(told_on, "told_on", "they were told", errors)
    if told_by is None:
        errors["told_by"] = "Select who told them"
    elif not policy.programmes.users_with("assign", entry.programme).filter(
            pk=told_by.pk).exists():
        errors["told_by"] = "Select someone from the programme's agencies"
    if recipient not in Recipient.values:
        errors["recipient"] = "Select who was told"
    elif recipient == Recipient.PARENT_OR_CARER and not people.is_child(
            entry.person.age_on(timezone.localdate())):
        errors["recipient"] = ("The person is an adult: they are told themselves, not a "
                               "parent or carer")
    return errors


def _exempt_errors(reason: str, review_date: date | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not reason:
        errors["exemption_reason"] = "Enter why they are not being told, with the legal basis"
    if review_date is None:
        errors["review_date"] = "Enter when the exemption will be reviewed"
    elif review_date <= timezone.localdate():
        errors["review_date"] = "The review date must be in the future"
    return errors


def record_notification(
    actor: User, entry: CohortEntry, *, kind: str, method: str = "",
    told_on: date | None = None, told_by: User | None = None, recipient: str = "",
    exemption_reason: str = "", review_date: date | None = None,
) -> Notification:
    """Record that the person (for a child, possibly a parent or carer) was told they are in
    the programme, how, when and by whom; or an exemption from telling them, with its reason
    and a review date."""
    if not policy.notifications.can(actor, "record", entry=entry):
        _refuse(actor, "record_notification", "cohort_entry", entry.pk,
                "Only the coordinator or the DPO records notifications, for people in the "
                "cohort", programme=entry.programme_id)
    exemption_reason = (exemption_reason or "").strip()
    if kind == Kind.TOLD:
        errors = _told_errors(entry, method, told_on, told_by, recipient)
        values = {"method": method, "told_on": told_on, "told_by": told_by,
                  "recipient": recipient}
    elif kind == Kind.EXEMPT:
        errors = _exempt_errors(exemption_reason, review_date)
        values = {"exemption_reason": exemption_reason, "review_date": review_date}
    else:
        errors, values = {"kind": "Select whether they were told or are exempt"}, {}
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        notification = Notification.objects.create(entry=entry, kind=kind, recorded_by=actor,
                                                   **values)
        audit.record(actor, "record_notification", "notification", notification.pk,
                     entry=entry.pk, person=entry.person_id, programme=entry.programme_id,
                     kind=kind, method=method or None, told_on=told_on,
                     told_by=told_by.pk if told_by else None, recipient=recipient or None,
                     review_date=review_date)
    return notification


# --- challenges -------------------------------------------------------------------------------


def log_challenge(actor: User, entry: CohortEntry, *, received_on: date | None,
                  grounds: str, on_behalf: bool = False, made_by: str = "") -> Challenge:
    """Log a challenge to a listing, made by the person or on their behalf; it is due
    ``DETER_CHALLENGE_DAYS`` after it was received."""
    if not policy.challenges.can(actor, "log", entry=entry):
        _refuse(actor, "log_challenge", "cohort_entry", entry.pk,
                "Only the coordinator or the DPO logs challenges, for people in the cohort",
                programme=entry.programme_id)
    grounds, made_by = (grounds or "").strip(), (made_by or "").strip()
    errors: dict[str, str] = {}
    _not_after_today(received_on, "received_on", "the challenge was received", errors)
    if not grounds:
        errors["grounds"] = "Enter the grounds of the challenge, in the words given"
    if on_behalf and not made_by:
        errors["made_by"] = "Enter who made the challenge on their behalf"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        challenge = Challenge.objects.create(
            entry=entry, received_on=received_on, due_on=rights.challenge_due(received_on),
            on_behalf=on_behalf, made_by=made_by if on_behalf else "", grounds=grounds,
            logged_by=actor)
        audit.record(actor, "log_challenge", "challenge", challenge.pk, entry=entry.pk,
                     person=entry.person_id, programme=entry.programme_id,
                     received_on=received_on, due_on=challenge.due_on, on_behalf=on_behalf)
    return challenge


def decide_challenge(actor: User, challenge: Challenge, *, outcome: str,
                     reasons: str) -> Challenge:
    """Uphold a challenge (the entry is removed and every partner agency asked to delete
    its copies) or keep the person in the programme; either way the reasons given to the
    person are recorded. Whoever accepted the person may not decide."""
    if not policy.challenges.can(actor, "decide", challenge):
        mine = policy.rights.original_decider(challenge.entry) == actor.pk
        _refuse(actor, "decide_challenge", "challenge", challenge.pk,
                "You accepted this person into the cohort: someone else must decide the "
                "challenge" if mine else "You may not decide this challenge",
                own_decision=mine)
    reasons = (reasons or "").strip()
    errors: dict[str, str] = {}
    if outcome not in (Challenge.Outcome.UPHELD, Challenge.Outcome.KEPT):
        errors["outcome"] = "Select whether the challenge is upheld"
    if not reasons:
        errors["reasons"] = "Enter the reasons, as they will be given to the person"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        current = Challenge.objects.select_for_update().select_related("entry").get(
            pk=challenge.pk)
        if not current.is_open:
            raise ValidationError({"outcome": "Someone else has just decided this challenge"})
        current.outcome, current.reasons = outcome, reasons
        current.decided_by, current.decided_at = actor, timezone.now()
        current.save(update_fields=["outcome", "reasons", "decided_by", "decided_at"])
        removed = _remove(actor, current) if outcome == Challenge.Outcome.UPHELD else None
        audit.record(actor, "decide_challenge", "challenge", current.pk, decision_outcome=outcome,
                     entry=current.entry_id, person=current.entry.person_id,
                     programme=current.entry.programme_id,
                     decision=removed.pk if removed else None)
    return current


def _remove(actor: User, challenge: Challenge) -> CohortDecision:
    entry = CohortEntry.objects.select_for_update().select_related("programme", "person") \
        .get(pk=challenge.entry_id)
    from_status = entry.status
    entry.status, entry.decided_by, entry.decided_at = (
        CohortEntry.Status.REMOVED, actor, timezone.now())
    entry.save(update_fields=["status", "decided_by", "decided_at"])
    decision = CohortDecision.objects.create(
        entry=entry, from_status=from_status, to_status=CohortEntry.Status.REMOVED,
        reason=f"Challenge upheld: {challenge.reasons}", decided_by=actor)
    programme = entry.programme
    reference = (f"{programme.name}: {entry.person.person_id} was removed from the programme "
                 f"on {long_date(timezone.localdate())} after a challenge was upheld. Delete "
                 "your agency's own copies of records about them from the programme: exports, "
                 "printed or saved letters, notes and emails.")
    confirmations = DeletionConfirmation.objects.bulk_create(
        DeletionConfirmation(agency=agency, programme=programme, count=1, reference=reference,
                             reason=DeletionConfirmation.Reason.REMOVAL)
        for agency in programme.agencies.order_by("name"))
    audit.record(actor, "remove_after_challenge", "cohort_entry", entry.pk,
                 programme=programme.pk, person=entry.person_id, from_status=from_status,
                 challenge=challenge.pk, decision=decision.pk,
                 confirmations=[c.pk for c in confirmations])
    return decision


# --- subject access requests ------------------------------------------------------------------


def log_subject_access(actor: User, programme: Programme, person: Person | None, *,
                       received_on: date | None) -> SubjectAccessRequest:
    """Log a subject access request; its deadline is one calendar month from receipt."""
    if not policy.subject_access_requests.can(actor, "log", programme=programme):
        _refuse(actor, "log_subject_access", "programme", programme.pk,
                "Only the DPO who answers for the programme logs subject access requests")
    errors: dict[str, str] = {}
    if person is None or not policy.subject_access_requests.people(actor, programme).filter(
            pk=person.pk).exists():
        errors["person"] = f"Enter the id of someone in the {programme.name} cohort"
    _not_after_today(received_on, "received_on", "the request was received", errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        request = SubjectAccessRequest.objects.create(
            programme=programme, person=person, received_on=received_on,
            deadline=rights.sar_deadline(received_on), logged_by=actor)
        audit.record(actor, "log_subject_access", "subject_access_request", request.pk,
                     programme=programme.pk, person=person.pk, received_on=received_on,
                     deadline=request.deadline)
    return request


def extend_subject_access(actor: User, request: SubjectAccessRequest, *,
                          extended_to: date | None, reason: str) -> SubjectAccessRequest:
    """Extend the deadline once, by up to two further months, with a reason."""
    if not policy.subject_access_requests.can(actor, "extend", request):
        _refuse(actor, "extend_subject_access", "subject_access_request", request.pk,
                "Only an open request is extended, by the DPO who answers for the programme")
    reason = (reason or "").strip()
    errors: dict[str, str] = {}
    latest = rights.latest_extension(request.received_on)
    if extended_to is None:
        errors["extended_to"] = "Enter the new deadline"
    elif extended_to <= request.deadline:
        errors["extended_to"] = (f"The new deadline must be after the current one, "
                                 f"{long_date(request.deadline)}")
    elif extended_to > latest:
        errors["extended_to"] = (f"The deadline can be extended by at most two months, to "
                                 f"{long_date(latest)}")
    if not reason:
        errors["reason"] = "Enter why the request needs longer (for example, it is complex)"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        request.extended_to, request.extension_reason = extended_to, reason
        request.status = SubjectAccessRequest.Status.EXTENDED
        request.save(update_fields=["extended_to", "extension_reason", "status"])
        audit.record(actor, "extend_subject_access", "subject_access_request", request.pk,
                     deadline=request.deadline, extended_to=extended_to, reason=reason)
    return request


def answer_subject_access(actor: User, request: SubjectAccessRequest) -> SubjectAccessRequest:
    """Mark the request answered (the archive sent), today."""
    if not policy.subject_access_requests.can(actor, "answer", request):
        _refuse(actor, "answer_subject_access", "subject_access_request", request.pk,
                "This request is already answered, or not yours to answer")
    with transaction.atomic():
        request.status = SubjectAccessRequest.Status.ANSWERED
        request.answered_on = timezone.localdate()
        request.save(update_fields=["status", "answered_on"])
        audit.record(actor, "answer_subject_access", "subject_access_request", request.pk,
                     person=request.person_id, answered_on=request.answered_on,
                     late=request.answered_on > request.due_on)
    return request


# --- the archive ------------------------------------------------------------------------------


def _archive(actor: User | None, person: Person, request: SubjectAccessRequest | None,
             via: str) -> bytes:
    found = subject_access.gather(person)
    archive = subject_access_files.to_zip(found, timezone.localdate())
    audit.record(actor, "export_subject_access", "person", person.pk, via=via,
                 request=request.pk if request else None,
                 records={section: len(rows) for section, rows in found.sections.items()},
                 size=len(archive))
    return archive


def export_subject_access(actor: User, request: SubjectAccessRequest) -> bytes:
    """The zip of everything held about the request's person (PDF, JSON, CSV), audited."""
    if not policy.subject_access_requests.can(actor, "export", request):
        _refuse(actor, "export_subject_access", "subject_access_request", request.pk,
                "Only the DPO who answers for the programme exports a subject access archive")
    return _archive(actor, request.person, request, "web")


def system_subject_access(person: Person) -> bytes:
    """The same archive for ``deter sar``, as the system (audit actor ``None``)."""
    return _archive(None, person, None, "command line")

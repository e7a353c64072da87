"""The retention run, and partners confirming they have deleted their own copies.

``run_retention(as_of, dry_run)`` is ``deter retention run`` and the daily task: it reports
what falls due under each programme's schedule (``queries.retention.due``) and, unless it is a
dry run, deletes or anonymises it all in one transaction, with one audit row per kind naming
the keys it changed, a ``RetentionRun`` recording the counts, and a ``DeletionConfirmation``
for each of the programme's agencies wherever a person's records were deleted. The system
acts (audit actor ``None``). What happens to each kind is in docs/retention.md:

- a rejected, deferred or exited person's cohort entry goes, with everything the programme
  holds about them: its decisions, the person's interventions in the programme (their updates,
  breaches and letters), the meeting actions about the entry and their call-in invitations;
  the programme's meeting agendas lose their items about the person and the meetings' notes
  and other actions their pseudonymous id. The police's own records (the person, events,
  analysis scores) are the force's, under its own retention policy, and are not touched;
- a letter goes (recipient, address and text; the Word and PDF files are made from it on
  each download and stored nowhere); the completed communication intervention stays;
- a meeting keeps its title, kind, date and attendees but loses its notes, agenda, the names
  of attendees without an account and its call-in invitations;
- audit rows past their period are counted, never deleted: the audit trail is append-only.

Running it again deletes nothing more: what was deleted is gone and an anonymised meeting is
no longer due.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from .. import audit, policy
from ..domain.retention import ENTRY_KINDS, RecordKind
from ..models import (
    CallInInvitation,
    CohortEntry,
    DeletionConfirmation,
    HarmReductionRecord,
    Intervention,
    Letter,
    Meeting,
    MeetingAction,
    Programme,
    RetentionRun,
    TreatmentReferral,
)
from ..queries import retention as due_query
from ..queries.retention import Due, Report

REMOVED = "[removed]"


@dataclass
class RetentionResult:
    run: RetentionRun
    report: Report
    changed: dict[str, list[int]]  # kind -> keys deleted or anonymised
    confirmations: list[DeletionConfirmation]


def check_as_of(as_of: object, dry_run: bool) -> date:
    """The day to count periods to: today by default; never later than today for a real run,
    which would delete records before their time."""
    today = timezone.localdate()
    if as_of is None:
        return today
    if isinstance(as_of, datetime) or not isinstance(as_of, date):
        raise ValidationError({"as_of": f"The as-of day must be a date (got {as_of!r})"})
    if as_of > today and not dry_run:
        raise ValidationError({"as_of": (
            f"The as-of day {as_of:%Y-%m-%d} is after today ({today:%Y-%m-%d}): a run would "
            "delete records before their retention period ends. Use --dry-run to see what "
            "will fall due then")})
    return as_of


def run_retention(as_of: date | None = None, dry_run: bool = False) -> RetentionResult:
    """Report what falls due on ``as_of`` (default today) and, unless ``dry_run``, delete or
    anonymise it in one transaction; callable as a scheduled task. A bad ``as_of`` raises
    ``ValidationError`` and changes nothing."""
    as_of = check_as_of(as_of, dry_run)
    with transaction.atomic():
        report = due_query.due(as_of)
        run = RetentionRun.objects.create(as_of=as_of, dry_run=dry_run, counts=report.counts())
        changed: dict[str, list[int]] = {}
        confirmations: list[DeletionConfirmation] = []
        if not dry_run:
            changed = _apply(run, report)
            confirmations = _ask_partners(run, report, changed)
        audit.record(None, "retention_dry_run" if dry_run else "retention_run", "retention_run",
                     run.pk, as_of=as_of, counts=report.counts(),
                     changed={kind: len(keys) for kind, keys in changed.items()},
                     confirmations=[c.pk for c in confirmations])
    return RetentionResult(run, report, changed, confirmations)


# --- deleting and anonymising ----------------------------------------------------------------


def _apply(run: RetentionRun, report: Report) -> dict[str, list[int]]:
    changed: dict[str, list[int]] = {}
    for kind in ENTRY_KINDS:
        keys = [pk for item in report.of_kind(kind) for pk in _delete_entries(item)]
        _audit_kind(run, report, kind, "retention_delete", keys)
        changed[kind.value] = keys
    changed[RecordKind.LETTER.value] = keys = _delete_letters(report.of_kind(RecordKind.LETTER))
    _audit_kind(run, report, RecordKind.LETTER, "retention_delete", keys)
    keys = _anonymise_meetings(report.of_kind(RecordKind.MEETING_NOTES))
    changed[RecordKind.MEETING_NOTES.value] = keys
    _audit_kind(run, report, RecordKind.MEETING_NOTES, "retention_anonymise", keys)
    return {kind: keys for kind, keys in changed.items() if keys}


def _audit_kind(run: RetentionRun, report: Report, kind: RecordKind, action: str,
                keys: list[int]) -> None:
    if not keys:
        return
    items = report.of_kind(kind)
    audit.record(None, action, "retention_run", run.pk, kind=kind.value, as_of=report.as_of,
                 ids=keys, people=sorted({p for item in items for p in item.people}),
                 programmes={str(item.programme.pk): item.ids for item in items})


def _delete_entries(item: Due) -> list[int]:
    """Delete the entries and every programme record about their people; returns the entry
    keys deleted."""
    programme = item.programme
    entries = list(CohortEntry.objects.filter(pk__in=item.ids)
                   .values_list("pk", "person_id", "person__person_id"))
    if not entries:
        return []
    entry_pks = [pk for pk, _, _ in entries]
    person_pks = [person for _, person, _ in entries]
    MeetingAction.objects.filter(entry_id__in=entry_pks).delete()
    CallInInvitation.objects.filter(meeting__programme=programme,
                                    person_id__in=person_pks).delete()
    Intervention.objects.filter(programme=programme, person_id__in=person_pks).delete()
    for recorded in (TreatmentReferral, HarmReductionRecord):  # the drug-market pathway's
        recorded.objects.filter(programme=programme, person_id__in=person_pks).delete()
    CohortEntry.objects.filter(pk__in=entry_pks).delete()
    _scrub_programme(programme, set(person_pks), set(entry_pks),
                     [pid for _, _, pid in entries])
    return entry_pks


def _without(agenda: dict, person_pks: set[int], entry_pks: set[int]) -> dict:
    def about_them(item: object) -> bool:
        return isinstance(item, dict) and (item.get("person") in person_pks
                                           or item.get("entry") in entry_pks)
    return {key: [i for i in value if not about_them(i)] if isinstance(value, list) else value
            for key, value in agenda.items()}


def _scrub(text: str, pattern: re.Pattern) -> str:
    return pattern.sub(REMOVED, text)


def _scrub_programme(programme: Programme, person_pks: set[int], entry_pks: set[int],
                     person_ids: list[str]) -> None:
    """Take the removed people out of the programme's meeting agendas, and their pseudonymous
    ids out of its meeting notes and the descriptions of its other actions."""
    pattern = re.compile("|".join(rf"(?<![\w-]){re.escape(pid)}(?![\w-])" for pid in person_ids))
    for meeting in Meeting.objects.filter(programme=programme).only("pk", "agenda", "notes"):
        agenda = _without(meeting.agenda, person_pks, entry_pks) \
            if isinstance(meeting.agenda, dict) else meeting.agenda
        notes = _scrub(meeting.notes, pattern)
        if agenda != meeting.agenda or notes != meeting.notes:
            Meeting.objects.filter(pk=meeting.pk).update(agenda=agenda, notes=notes)
    for action in MeetingAction.objects.filter(programme=programme).only("pk", "description"):
        description = _scrub(action.description, pattern)
        if description != action.description:
            MeetingAction.objects.filter(pk=action.pk).update(description=description)


def _delete_letters(items: list[Due]) -> list[int]:
    keys = sorted(Letter.objects.filter(pk__in=[pk for item in items for pk in item.ids])
                  .values_list("pk", flat=True))
    Letter.objects.filter(pk__in=keys).delete()
    return keys


def _anonymise_meetings(items: list[Due]) -> list[int]:
    keys = sorted(pk for item in items for pk in item.ids)
    CallInInvitation.objects.filter(meeting_id__in=keys).delete()
    Meeting.objects.filter(pk__in=keys).update(notes="", other_attendees="", agenda={})
    return keys


# --- partners' own copies -----------------------------------------------------------------------


def _day(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _reference(run: RetentionRun, programme: Programme, items: list[Due]) -> str:
    lines = [f"Retention run {run.pk} as of {_day(run.as_of)}, {programme.name}."]
    for item in items:
        if item.kind == RecordKind.LETTER:
            lines.append(f"Letters ({item.count}) to or about: {', '.join(item.people)}.")
        else:
            lines.append(f"{item.label}, every programme record about: "
                         f"{', '.join(item.people)}.")
    lines.append("Delete your agency's own copies of these records: exports, printed or "
                 "saved letters, notes and emails.")
    return " ".join(lines)


def _ask_partners(run: RetentionRun, report: Report,
                  changed: dict[str, list[int]]) -> list[DeletionConfirmation]:
    """One outstanding confirmation per agency of each programme where a person's records
    were deleted."""
    by_programme: dict[int, list[Due]] = {}
    # a removal asked every partner already, when the challenge was upheld
    for kind in (*(k for k in ENTRY_KINDS if k != RecordKind.REMOVED), RecordKind.LETTER):
        for item in report.of_kind(kind):
            if set(item.ids) & set(changed.get(kind.value, ())):
                by_programme.setdefault(item.programme.pk, []).append(item)
    made = []
    for items in by_programme.values():
        programme = items[0].programme
        people = {p for item in items for p in item.people}
        made += DeletionConfirmation.objects.bulk_create(
            DeletionConfirmation(agency=agency, programme=programme,
                                 reason=DeletionConfirmation.Reason.RETENTION,
                                 reference=_reference(run, programme, items),
                                 count=len(people), retention_run=run)
            for agency in programme.agencies.order_by("name")
        )
    return made


def confirm_deletion(actor: AbstractBaseUser,
                     confirmation: DeletionConfirmation) -> DeletionConfirmation:
    """A user of the confirmation's agency confirms the agency has deleted its own copies."""
    if not policy.deletion_confirmations.can(actor, "confirm", confirmation):
        audit.record(actor, "confirm_deletion", "deletion_confirmation", confirmation.pk,
                     outcome=audit.DENIED, agency=confirmation.agency_id)
        raise PermissionDenied("Only a user of the agency confirms its deletions")
    with transaction.atomic():
        current = DeletionConfirmation.objects.select_for_update().get(pk=confirmation.pk)
        if not current.outstanding:
            raise ValidationError({"confirmation": (
                f"{current.agency} already confirmed this deletion on "
                f"{_day(timezone.localtime(current.confirmed_at))}")})
        current.confirmed_by, current.confirmed_at = actor, timezone.now()
        current.save(update_fields=["confirmed_by", "confirmed_at"])
        audit.record(actor, "confirm_deletion", "deletion_confirmation", current.pk,
                     agency=current.agency_id, programme=current.programme_id,
                     reason=current.reason, count=current.count)
    return current

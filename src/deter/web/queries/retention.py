"""What falls due under each programme's retention schedule on a given day.

``due(as_of)`` is the report both the retention run (``actions.retention``) and the DPO's
page show: per programme and record kind, the records whose retention period has ended, as
keys (and for people, their pseudonymous ids). The querysets it is built from (``entries_due``,
``letters_due``, ``meetings_due``, ``audit_due``) are what the run deletes or anonymises, so
the report and the run never disagree. It reads the records as the system does, for no user;
callers show it only to the programmes' DPO (``policy.programmes`` ``see_retention``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from ..domain.retention import (
    ENTRY_KINDS,
    RecordKind,
    RetentionSchedule,
    schedule_for,
)
from ..models import (
    AuditEvent,
    CallInInvitation,
    CohortDecision,
    CohortEntry,
    CohortStatus,
    Letter,
    Meeting,
    Programme,
    RetentionRun,
)

KIND_VALUES = frozenset(kind.value for kind in RecordKind)
ENTRY_STATUS = {
    RecordKind.REJECTED_PROPOSAL: CohortStatus.REJECTED,
    RecordKind.DEFERRED: CohortStatus.DEFERRED,
    RecordKind.EXITED: CohortStatus.EXITED,
    RecordKind.REMOVED: CohortStatus.REMOVED,
}


def end_of(day: date) -> datetime:
    """The first moment after ``day`` in the programme's time zone: a record made at any time
    on ``day`` or before is earlier than this."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def entries_due(programme: Programme, kind: RecordKind, cutoff: date) -> QuerySet[CohortEntry]:
    """Entries in the kind's status since a decision on ``cutoff`` or before: the decision
    that put them in it (``decided_at``, or if that is missing the newest decision)."""
    newest = (CohortDecision.objects.filter(entry=OuterRef("pk"))
              .order_by("-decided_at", "-pk").values("decided_at")[:1])
    return (
        CohortEntry.objects.filter(programme=programme, status=ENTRY_STATUS[kind])
        .annotate(since=Coalesce("decided_at", Subquery(newest)))
        .filter(since__lt=end_of(cutoff))
    )


def letters_due(programme: Programme, cutoff: date) -> QuerySet[Letter]:
    return Letter.objects.filter(intervention__programme=programme,
                                 created_at__lt=end_of(cutoff))


def meetings_due(programme: Programme, cutoff: date) -> QuerySet[Meeting]:
    """Meetings held on ``cutoff`` or before that still hold notes, an agenda, the names of
    other attendees or call-in invitations; once anonymised a meeting is not due again."""
    invited = CallInInvitation.objects.filter(meeting=OuterRef("pk"))
    return Meeting.objects.filter(programme=programme, held_at__lt=end_of(cutoff)).filter(
        ~Q(notes="") | ~Q(other_attendees="") | ~Q(agenda={}) | Exists(invited))


def audit_due(cutoff: date) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(at__lt=end_of(cutoff))


@dataclass
class Due:
    """Records of one kind in one programme (``None``: the audit trail, kept system-wide)
    whose retention period ended on ``cutoff`` or before."""

    kind: RecordKind
    programme: Programme | None
    cutoff: date
    ids: list[int] = field(default_factory=list)
    people: list[str] = field(default_factory=list)  # pseudonymous ids, for entries and letters
    count: int = 0
    kept_for: str = ""  # the period, in words, for a page

    @property
    def label(self) -> str:
        return self.kind.label


@dataclass
class Report:
    as_of: date
    items: list[Due] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        totals = {kind.value: 0 for kind in RecordKind}
        for item in self.items:
            totals[item.kind.value] += item.count
        return totals

    def of_kind(self, kind: RecordKind) -> list[Due]:
        return [item for item in self.items if item.kind == kind and item.count]

    @property
    def empty(self) -> bool:
        return not any(item.count for item in self.items if item.kind != RecordKind.AUDIT)


def _entry_items(programme: Programme, schedule: RetentionSchedule, as_of: date) -> list[Due]:
    items = []
    for kind in ENTRY_KINDS:
        cutoff = schedule.period(kind).cutoff(as_of)
        rows = list(entries_due(programme, kind, cutoff).order_by("pk")
                    .values_list("pk", "person__person_id"))
        items.append(Due(kind, programme, cutoff, ids=[pk for pk, _ in rows],
                         people=[pid for _, pid in rows], count=len(rows)))
    return items


def _programme_items(programme: Programme, as_of: date) -> list[Due]:
    schedule = schedule_for(programme)
    items = _entry_items(programme, schedule, as_of)
    cutoff = schedule.letter.cutoff(as_of)
    rows = list(letters_due(programme, cutoff).order_by("pk")
                .values_list("pk", "intervention__person__person_id"))
    items.append(Due(RecordKind.LETTER, programme, cutoff, ids=[pk for pk, _ in rows],
                     people=sorted({pid for _, pid in rows if pid}), count=len(rows)))
    cutoff = schedule.meeting_notes.cutoff(as_of)
    ids = list(meetings_due(programme, cutoff).order_by("pk").values_list("pk", flat=True))
    items.append(Due(RecordKind.MEETING_NOTES, programme, cutoff, ids=ids, count=len(ids)))
    for item in items:
        item.kept_for = str(schedule.period(item.kind))
    return items


def audit_item(programmes: Iterable[Programme], as_of: date) -> Due:
    """Audit rows past the longest audit period of any programme (the audit trail is one for
    the whole system, so the longest agreement wins): their count and first and last keys."""
    periods = [schedule_for(p).audit for p in programmes] or [RetentionSchedule().audit]
    cutoff = min(period.cutoff(as_of) for period in periods)
    rows = audit_due(cutoff)
    count = rows.count()
    ids = [rows.order_by("pk").values_list("pk", flat=True).first(),
           rows.order_by("-pk").values_list("pk", flat=True).first()] if count else []
    return Due(RecordKind.AUDIT, None, cutoff, ids=ids, count=count)


def due(as_of: date, programmes: Iterable[Programme] | None = None,
        include_audit: bool = True) -> Report:
    """What falls due on ``as_of`` in ``programmes`` (by default every programme)."""
    chosen = list(Programme.objects.order_by("name") if programmes is None else programmes)
    report = Report(as_of)
    for programme in chosen:
        report.items += _programme_items(programme, as_of)
    if include_audit:
        report.items.append(audit_item(Programme.objects.all() if programmes is None
                                       else chosen, as_of))
    return report


def recent_runs(limit: int = 10) -> list[RetentionRun]:
    """The latest retention runs; each with ``summary``, its counts in words (no names)."""
    runs = list(RetentionRun.objects.order_by("-ran_at", "-pk")[:limit])
    for run in runs:
        counts = run.counts if isinstance(run.counts, dict) else {}
        run.summary = "; ".join(f"{RecordKind(kind).label.lower()} {count}"
                                for kind, count in counts.items()
                                if kind in KIND_VALUES and count) or "nothing due"
    return runs

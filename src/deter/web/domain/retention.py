"""How long a programme keeps each kind of record, and when a record falls due.

A ``RetentionSchedule`` holds one ``Period`` per record kind and outcome (a cohort entry that
was rejected, deferred or exited; a letter; a meeting's notes; the audit trail). The periods
are the safe defaults below unless the programme's delivery agreement in force sets its own
(``schedule_for``), each within ``MAXIMUM`` and the audit trail's no shorter than its default
(``check_agreed``); docs/retention.md gives the reasons for each default and each maximum and
says what retention does to each kind.

A record dated ``D`` (the day of the decision, of the letter, of the meeting) with a period of
``m`` months and ``d`` days falls due on ``add_months(D, m) + d days``: due on that day, not the
day before. ``Period.cutoff(as_of)`` turns this round for a query: the latest record date that
is due on ``as_of``.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, fields
from datetime import date, timedelta
from enum import StrEnum
from typing import Any


class RecordKind(StrEnum):
    """What retention looks at: a record kind, and for cohort entries, the outcome."""

    REJECTED_PROPOSAL = "rejected_proposal"  # a cohort entry the panel rejected
    DEFERRED = "deferred"  # a cohort entry the panel deferred and never took up again
    EXITED = "exited"  # a cohort entry that left the programme
    REMOVED = "removed"  # a cohort entry removed after a challenge was upheld
    LETTER = "letter"  # a letter's text, recipient and address
    MEETING_NOTES = "meeting_notes"  # a meeting's notes, agenda and call-in invitations
    AUDIT = "audit"  # the audit trail: reported when due, never deleted by retention

    @property
    def label(self) -> str:
        return LABELS[self]


LABELS = {
    RecordKind.REJECTED_PROPOSAL: "Rejected proposals",
    RecordKind.DEFERRED: "Deferred proposals",
    RecordKind.EXITED: "People who exited",
    RecordKind.REMOVED: "People removed after a challenge",
    RecordKind.LETTER: "Letters",
    RecordKind.MEETING_NOTES: "Meeting notes",
    RecordKind.AUDIT: "Audit trail",
}
# The kinds whose records are a person's place in a programme: when one falls due, every
# programme record about that person is deleted with it (docs/retention.md).
ENTRY_KINDS = (RecordKind.REJECTED_PROPOSAL, RecordKind.DEFERRED, RecordKind.EXITED,
               RecordKind.REMOVED)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (or earlier), on the month's last day if it is shorter."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _last_day(day: date) -> bool:
    return day.day == calendar.monthrange(day.year, day.month)[1]


@dataclass(frozen=True)
class Period:
    months: int = 0
    days: int = 0

    def __post_init__(self) -> None:
        for name in ("months", "days"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"a retention period's {name} must be a whole number, 0 or "
                                 f"more (got {value!r})")
        if self.months == 0 and self.days == 0:
            raise ValueError("a retention period must be longer than nothing")

    def due_on(self, day: date) -> date:
        """The day a record dated ``day`` falls due."""
        return add_months(day, self.months) + timedelta(days=self.days)

    def cutoff(self, as_of: date) -> date:
        """The latest record date that is due on ``as_of``: ``due_on(d) <= as_of`` exactly
        when ``d <= cutoff(as_of)``."""
        day = as_of - timedelta(days=self.days)
        back = add_months(day, -self.months)
        if _last_day(day):  # the month's last day also ends every longer month m months back
            back = back.replace(day=calendar.monthrange(back.year, back.month)[1])
        return back

    def __str__(self) -> str:
        parts = []
        if self.months:
            years, months = divmod(self.months, 12)
            parts += [f"{years} year{'s' * (years != 1)}"] if years else []
            parts += [f"{months} month{'s' * (months != 1)}"] if months else []
        if self.days:
            parts.append(f"{self.days} day{'s' * (self.days != 1)}")
        return " and ".join(parts)


@dataclass(frozen=True)
class RetentionSchedule:
    """One period per record kind. The defaults, and why (docs/retention.md):

    - a rejected proposal: 6 months after the rejection. Long enough for the person or a
      partner to challenge the decision and for the next panels to see it was considered;
      nobody was ever worked with, so nothing justifies keeping it longer.
    - a deferred proposal: 12 months after the deferral, if the panel never took it up
      again (a new decision starts the clock afresh). A deferral waits for a change in
      circumstances; a year without one means the programme has no need of the record.
    - an exited person: 2 years after the exit. The programme's evaluation compares people
      over the year after they leave, and a partner may need the plan's history if the person
      comes back to notice within that time.
    - a person removed after an upheld challenge: 1 month after the removal. The listing was
      found wrong, so the programme keeps it only while the outcome letter is sent and the
      partners confirm their own deletion (asked at the removal, not again by retention); the
      audit trail keeps the proof that the challenge was decided and acted on.
    - a letter: 2 years after it was written. It names and addresses the person; two years
      covers a complaint about it and the enforcement that may follow a warning.
    - meeting notes: 6 years after the meeting (limitation period for a claim, Limitation
      Act 1980 s.2 and s.5), the panel's record of how it decided.
    - the audit trail: 6 years too; retention only reports which rows are past it and never
      deletes them (the audit table is append-only).
    """

    rejected_proposal: Period = Period(months=6)
    deferred: Period = Period(months=12)
    exited: Period = Period(months=24)
    removed: Period = Period(months=1)
    letter: Period = Period(months=24)
    meeting_notes: Period = Period(months=72)
    audit: Period = Period(months=72)

    def __post_init__(self) -> None:
        for field in fields(self):
            if not isinstance(getattr(self, field.name), Period):
                raise ValueError(f"the retention period for {field.name} must be a Period")

    def period(self, kind: RecordKind | str) -> Period:
        return getattr(self, RecordKind(kind).value)

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {kind.value: {"months": self.period(kind).months, "days": self.period(kind).days}
                for kind in RecordKind}

    @classmethod
    def from_dict(cls, periods: dict[str, Any]) -> RetentionSchedule:
        """A schedule from ``{kind: {"months": m, "days": d}}`` (or ``{kind: days}``, a whole
        number of days); kinds left out keep their default; an unknown kind or a bad period
        is a ``ValueError`` naming it."""
        if not isinstance(periods, dict):
            raise ValueError(f"retention periods must be a mapping of record kind to period "
                             f"(got {periods!r})")
        unknown = sorted(set(periods) - set(RecordKind))
        if unknown:
            raise ValueError(f"unknown retention record kinds: {', '.join(unknown)}")
        given = {}
        for kind, value in periods.items():
            try:
                given[kind] = _period(value)
            except (TypeError, ValueError) as error:
                raise ValueError(f"retention period for {kind}: {error} (got {value!r})"
                                 ) from error
        return cls(**given)


def _period(value: object) -> Period:
    if isinstance(value, dict):
        return Period(**value)
    if isinstance(value, int) and not isinstance(value, bool):
        return Period(days=value)
    raise TypeError("a period is {\"months\": m, \"days\": d} or a whole number of days")


DEFAULT_SCHEDULE = RetentionSchedule()

DAYS_A_MONTH = 30.44  # a period's length for comparing one with another: 365.25 / 12


def length_in_days(period: Period) -> float:
    return period.months * DAYS_A_MONTH + period.days


# The longest an agreement may set for each kind (docs/retention.md says why): past these the
# programme keeps records it cannot show it needs (UK GDPR Art. 5(1)(e), storage limitation).
MAXIMUM = {
    RecordKind.REJECTED_PROPOSAL: Period(months=12),
    RecordKind.DEFERRED: Period(months=24),
    RecordKind.EXITED: Period(months=36),
    RecordKind.REMOVED: Period(months=3),
    RecordKind.LETTER: Period(months=72),
    RecordKind.MEETING_NOTES: Period(months=84),
    RecordKind.AUDIT: Period(months=120),
}
# Kinds an agreement may lengthen but never shorten: the audit trail is the evidence of who saw
# and did what, needed for as long as a claim about it can be brought.
AT_LEAST_DEFAULT = (RecordKind.AUDIT,)


def check_agreed(periods: dict[str, Any]) -> RetentionSchedule:
    """The schedule an agreement's ``retention`` sets, or a ``ValueError`` naming the kind and
    the bad value: an unknown kind, a malformed or empty period, one longer than ``MAXIMUM``,
    or an audit period shorter than the default."""
    schedule = RetentionSchedule.from_dict(periods)
    for kind in RecordKind:
        if kind.value not in periods:
            continue
        period, value = schedule.period(kind), periods[kind.value]
        if length_in_days(period) > length_in_days(MAXIMUM[kind]):
            raise ValueError(f"retention period for {kind.value}: {period} (got {value!r}) is "
                             f"longer than the most an agreement may set, {MAXIMUM[kind]}")
        default = DEFAULT_SCHEDULE.period(kind)
        if kind in AT_LEAST_DEFAULT and length_in_days(period) < length_in_days(default):
            raise ValueError(f"retention period for {kind.value}: {period} (got {value!r}) is "
                             f"shorter than the default, {default}: an agreement may not "
                             "shorten it")
    return schedule


def schedule_for(programme) -> RetentionSchedule:
    """The programme's retention schedule: the periods its delivery agreement in force sets
    (``DataSharingAgreement.retention``), each kind it leaves out at its default. With no such
    agreement, or one whose periods no longer pass ``check_agreed`` (a value stored before the
    check, or a maximum lowered since), the safe defaults.

    The one read here is through the programme's own related manager: the agreement is a fact
    about the programme, not a record a user is shown."""
    agreement = (programme.agreements.in_force().filter(purpose="delivery")
                 .order_by("-version").only("retention").first())
    if agreement is None or not agreement.retention:
        return DEFAULT_SCHEDULE
    try:
        return check_agreed(agreement.retention)
    except ValueError:
        return DEFAULT_SCHEDULE

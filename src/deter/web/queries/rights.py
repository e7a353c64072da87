"""The rights page of a programme: who in the cohort has not been told (and has no
exemption), exemptions past their review date, and challenges with their due dates."""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Prefetch

from .. import policy
from ..models import Challenge, CohortEntry, Notification, Programme

MAX_SHOWN = 200


@dataclass
class RightsOverview:
    not_told: list[CohortEntry] = field(default_factory=list)
    review_due: list[CohortEntry] = field(default_factory=list)
    told: list[CohortEntry] = field(default_factory=list)
    challenges: list[Challenge] = field(default_factory=list)

    @property
    def open_challenges(self) -> list[Challenge]:
        return [c for c in self.challenges if c.is_open]

    @property
    def decided_challenges(self) -> list[Challenge]:
        return [c for c in self.challenges if not c.is_open]


def overview(user, programme: Programme, today: date) -> RightsOverview:
    entries = policy.notifications.entries(user, programme).prefetch_related(Prefetch(
        "notifications", queryset=Notification.objects.select_related("told_by")
        .order_by("-recorded_at", "-pk"), to_attr="notes")).order_by("person__person_id")
    found = RightsOverview()
    for entry in entries[:MAX_SHOWN]:
        entry.latest = entry.notes[0] if entry.notes else None
        if entry.latest is None:
            found.not_told.append(entry)
        elif entry.latest.kind == Notification.Kind.EXEMPT and entry.latest.review_date < today:
            found.review_due.append(entry)
        else:
            found.told.append(entry)
    found.challenges = sorted(  # open ones first, soonest due first
        policy.challenges.in_programme(user, programme).order_by("due_on", "pk")[:MAX_SHOWN],
        key=lambda c: not c.is_open)
    for challenge in found.challenges:
        challenge.overdue = challenge.is_open and challenge.due_on < today
    return found

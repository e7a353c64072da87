"""A person's timeline: everything about them the viewer may see, newest first.

Events (with the person's role), cohort decisions, interventions with their status changes,
breaches of orders, letters, call-ins with attendance, and group violence flags naming the
person.  What each viewer sees is the access policy's answer, kind by kind:

- events and group violence flags are police-held case detail
  (``policy.people.can(user, "see_case_detail", person)``);
- decisions are those about the cohort entries the viewer sees (``policy.entries.of_person``);
- interventions, their updates and breaches are those of ``policy.interventions.of_person``,
  and the group-wide interventions of the person's groups that the viewer sees
  (``policy.groups.visible``);
- a letter only where the viewer may write and read letters for that entry
  (``policy.entries.can(user, "write_letter", entry)``);
- a call-in only in a meeting the viewer may see (``policy.meetings.visible``).

Each kind is one query however many items there are, so the page's query count does not grow
with the person's history.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime

from django.urls import reverse
from django.utils import timezone

from .. import policy
from ..models import (
    CallInInvitation,
    CohortDecision,
    CohortEntry,
    CohortStatus,
    GroupViolenceFlag,
    Intervention,
    InterventionUpdate,
    Involvement,
    Letter,
    Location,
    OrderBreach,
    Person,
)
from ..policy import Category, User

# kind: (label shown in the tag, GOV.UK tag colour modifier)
KINDS = {
    "event": ("Event", "govuk-tag--grey"),
    "flag": ("Group violence flag", "govuk-tag--orange"),
    "decision": ("Cohort decision", "govuk-tag--purple"),
    "intervention": ("Intervention", ""),  # GOV.UK's default tag is blue
    "update": ("Intervention update", "govuk-tag--teal"),
    "breach": ("Breach of order", "govuk-tag--red"),
    "letter": ("Letter", "govuk-tag--magenta"),
    "call_in": ("Call-in", "govuk-tag--green"),
}

# ?show=... : which kinds each filter shows, in the order the links appear
FILTERS = {
    "events": ("Events", frozenset({"event", "flag"})),
    "decisions": ("Decisions", frozenset({"decision"})),
    "interventions": (
        "Interventions",
        frozenset({"intervention", "update", "breach", "letter", "call_in"}),
    ),
}
SHOW_ALL = ""
WITHHELD = "(The reasons are not shared with your agency under the data-sharing agreement.)"
UNKNOWN_FILTER_MESSAGE = "Show must be all, events, decisions or interventions"
BAD_PAGE_MESSAGE = "Page must be a whole number, 1 or more"
PAGE_SIZE = 50


class UnknownFilter(ValueError):
    """A ``show`` value that is none of ``FILTERS``."""


class BadPage(ValueError):
    """A ``page`` value that is not a whole number of 1 or more."""


@dataclass(frozen=True)
class Item:
    """One line of the timeline."""

    day: date
    at: datetime  # for ordering items on the same day
    kind: str
    summary: str
    detail: str = ""
    url: str = ""
    pk: int = 0

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind][0]

    @property
    def tag_class(self) -> str:
        return KINDS[self.kind][1]


@dataclass(frozen=True)
class Timeline:
    items: list[Item]  # this page's
    show: str
    counts: dict[str, int]  # filter name (and SHOW_ALL) -> how many items it shows
    case_detail: bool
    page: int = 1
    pages: int = 1

    @property
    def total(self) -> int:
        """How many items the filter shows, on every page."""
        return self.counts[self.show]

    @property
    def first_number(self) -> int:
        return (self.page - 1) * PAGE_SIZE + 1 if self.items else 0

    @property
    def last_number(self) -> int:
        return (self.page - 1) * PAGE_SIZE + len(self.items)

    @property
    def previous_page(self) -> int | None:
        return self.page - 1 if self.page > 1 else None

    @property
    def next_page(self) -> int | None:
        return self.page + 1 if self.page < self.pages else None

    @property
    def filters(self) -> list[tuple[str, str, int]]:
        """(value, label, count) for each filter link, "All" first."""
        return [(SHOW_ALL, "All", self.counts[SHOW_ALL])] + [
            (value, label, self.counts[value]) for value, (label, _) in FILTERS.items()
        ]


def parse_show(value: str | None) -> str:
    """The ``show`` query parameter: empty for everything, else one of ``FILTERS``."""
    value = (value or "").strip()
    if value and value not in FILTERS:
        raise UnknownFilter(value)
    return value


def parse_page(value: str | None) -> int:
    """The ``page`` query parameter: 1 when absent."""
    value = (value or "").strip()
    if not value:
        return 1
    if not value.isdecimal() or int(value) < 1:
        raise BadPage(value)
    return int(value)


def build(user: User, person: Person, show: str = SHOW_ALL,
          case_detail: bool | None = None, page: int = 1,
          entries: list[CohortEntry] | None = None,
          interventions: list[Intervention] | None = None,
          letter_entries: list[CohortEntry] | None = None) -> Timeline:
    """The person's timeline as ``user`` may see it, newest first, filtered by ``show``, one
    page of ``PAGE_SIZE`` items (a page beyond the last shows the last).

    ``case_detail``, ``entries``, ``interventions`` and ``letter_entries`` are the policy's
    answers, for a caller that already has them
    (``policy.people.can(user, "see_case_detail", person)``, ``policy.entries.of_person``,
    ``policy.interventions.of_person``, and the entries for which
    ``policy.entries.can(user, "write_letter", entry)``).
    """
    if case_detail is None:
        case_detail = policy.people.can(user, "see_case_detail", person)
    if entries is None:
        entries = list(policy.entries.of_person(user, person))
    if interventions is None:
        interventions = list(policy.interventions.of_person(user, person))
    if letter_entries is None:
        letter_entries = [entry for entry in entries
                          if policy.entries.can(user, "write_letter", entry)]
    everything = sorted(
        _items(user, person, case_detail, entries, interventions, letter_entries),
        key=lambda item: (item.day, item.at, item.pk),
        reverse=True,
    )
    counts = {SHOW_ALL: len(everything)}
    for value, (_, kinds) in FILTERS.items():
        counts[value] = sum(item.kind in kinds for item in everything)
    shown = everything if not show else [i for i in everything if i.kind in FILTERS[show][1]]
    pages = max(1, -(-len(shown) // PAGE_SIZE))
    page = min(page, pages)
    return Timeline(items=shown[(page - 1) * PAGE_SIZE:page * PAGE_SIZE], show=show,
                    counts=counts, case_detail=case_detail, page=page, pages=pages)


def _items(user: User, person: Person, case_detail: bool, entries: list[CohortEntry],
           interventions: list[Intervention],
           letter_entries: list[CohortEntry]) -> Iterator[Item]:
    if case_detail:
        yield from _events(person)
        yield from _flags(user, person)
    yield from _decisions(user, entries)
    yield from _interventions(interventions)
    yield from _group_interventions(user, entries)
    yield from _updates(interventions)
    yield from _breaches(interventions)
    yield from _letters(letter_entries, interventions)
    yield from _call_ins(user, person, entries)


def _local(moment: datetime) -> tuple[date, datetime]:
    return timezone.localdate(moment), moment


def _url(name: str, *args: int) -> str:
    return _url_pattern(name, len(args)).format(*args)


@functools.cache
def _url_pattern(name: str, arity: int) -> str:
    """``reverse`` once per URL name, not once per item: "/interventions/{}/" for a page
    whose arguments are all whole numbers."""
    markers = [_MARKER + i for i in range(arity)]
    path = reverse(name, args=markers).replace("{", "{{").replace("}", "}}")
    for marker in markers:
        path = path.replace(str(marker), "{}", 1)
    return path


_MARKER = 987_654_320  # digits no URL of Deter's holds


def _events(person: Person) -> Iterator[Item]:
    # plain values, not model instances: a prolific person has hundreds of events
    roles = dict(Involvement.Role.choices)
    involvements = person.involvements.values_list(
        "pk", "role", "event__occurred_at", "event__offence_category", "event__offence_code",
        "event__event_id", "event__location_id", "event__location__description",
        "event__location__lsoa_code", "event__location__latitude", "event__location__longitude",
    )
    for (pk, role, occurred_at, category, code, event_id, location, description, lsoa,
         latitude, longitude) in involvements:
        offence = (category or "offence not recorded").capitalize()
        code = f" ({code})" if code else ""
        where = f" at {Location.label(description, lsoa, latitude, longitude)}" if location else ""
        yield Item(
            *_local(occurred_at), kind="event", pk=pk,
            summary=f"{roles.get(role, role)}: {offence}{code}",
            detail=f"Event {event_id}{where}",
        )


def _flags(user: User, person: Person) -> Iterator[Item]:
    flags = GroupViolenceFlag.objects.filter(
        person=person, group__in=policy.groups.visible(user).values("pk")
    ).select_related("group", "event")
    for flag in flags:
        yield Item(
            *_local(flag.raised_at), kind="flag", pk=flag.pk,
            summary=f"Violence flagged for the response of group {flag.group}: "
                    f"{flag.get_status_display().lower()}",
            detail=f"Event {flag.event.event_id}"
                   + (f". Response: {flag.response}" if flag.response else ""),
            url=_url("group_plan", flag.group.programme_id, flag.group_id),
        )


def _decisions(user: User, entries: list[CohortEntry]) -> Iterator[Item]:
    decisions = list(CohortDecision.objects.filter(entry__in=entries).select_related(
        "entry__programme", "decided_by", "meeting"
    ))
    meeting_ids = {d.meeting_id for d in decisions if d.meeting_id}
    seen_meetings = set(
        policy.meetings.visible(user).filter(pk__in=meeting_ids).values_list("pk", flat=True)
    ) if meeting_ids else set()
    # the panel's reasons draw on police data: shown where the agreement shares it
    shared = {e.pk: Category.POLICE_INTELLIGENCE in policy.entries.fields(user, e)
              for e in entries}
    for decision in decisions:
        before = (
            CohortStatus(decision.from_status).label if decision.from_status else "Not in cohort"
        )
        after = CohortStatus(decision.to_status).label
        at_meeting = (
            f" at {decision.meeting.title}" if decision.meeting_id in seen_meetings else ""
        )
        reason = decision.reason if shared[decision.entry_id] else WITHHELD
        yield Item(
            *_local(decision.decided_at), kind="decision", pk=decision.pk,
            summary=f"{decision.entry.programme.name}: {before} to {after}",
            detail=f"Decided by {decision.decided_by.get_username()}{at_meeting}. {reason}",
            url=_url("entry_plan", decision.entry_id),
        )


def _interventions(interventions: Iterable[Intervention], for_group: bool = False
                   ) -> Iterator[Item]:
    for intervention in interventions:
        day = intervention.start or timezone.localdate(intervention.created_at)
        group = f"For the group {intervention.group}: " if for_group else ""
        yield Item(
            day, intervention.created_at, kind="intervention", pk=intervention.pk,
            summary=f"{group}{intervention.get_kind_display()}: {intervention.title}",
            detail=f"{intervention.agency.name}; {intervention.get_status_display().lower()}; "
                   f"{intervention.programme.name}",
            url=_url("intervention", intervention.pk),
        )


def _group_interventions(user: User, entries: list[CohortEntry]) -> Iterator[Item]:
    """Group-wide interventions (a group call-in, an operation) for the groups the person is
    in, where the viewer sees the group."""
    groups = [entry.group_id for entry in entries if entry.group_id]
    if not groups:
        return
    yield from _interventions(
        Intervention.objects.filter(person__isnull=True, group__in=groups)
        .filter(group__in=policy.groups.visible(user).values("pk"))
        .select_related("agency", "programme", "group"),
        for_group=True,
    )


def _updates(interventions: list[Intervention]) -> Iterator[Item]:
    updates = InterventionUpdate.objects.filter(intervention__in=interventions).select_related(
        "intervention", "recorded_by"
    )
    for update in updates:
        note = f". {update.note}" if update.note else ""
        yield Item(
            update.on, update.recorded_at, kind="update", pk=update.pk,
            summary=f"{update.intervention.title}: "
                    f"{Intervention.Status(update.status).label.lower()}",
            detail=f"Recorded by {update.recorded_by.get_username()}{note}",
            url=_url("intervention", update.intervention_id),
        )


def _breaches(interventions: list[Intervention]) -> Iterator[Item]:
    breaches = OrderBreach.objects.filter(intervention__in=interventions).select_related(
        "intervention", "event"
    )
    for breach in breaches:
        event = f" (event {breach.event.event_id})" if breach.event_id else ""
        yield Item(
            breach.occurred_on, breach.recorded_at, kind="breach", pk=breach.pk,
            summary=f"Breach of {breach.intervention.title}{event}",
            detail=breach.description,
            url=_url("intervention", breach.intervention_id),
        )


def _letters(letter_entries: list[CohortEntry],
             interventions: list[Intervention]) -> Iterator[Item]:
    # A letter names and addresses the person: only its writers read it back.
    programmes = {entry.programme_id for entry in letter_entries}
    readable = [i for i in interventions if i.programme_id in programmes]
    if not readable:
        return
    letters = Letter.objects.filter(intervention__in=readable).select_related(
        "intervention", "template", "created_by"
    )
    for letter in letters:
        template = f" from the template “{letter.template.name}”" if letter.template_id else ""
        yield Item(
            *_local(letter.created_at), kind="letter", pk=letter.pk,
            summary=f"Letter written for {letter.intervention.title}{template}",
            detail=f"Written by {letter.created_by.get_username()}",
            url=_url("intervention", letter.intervention_id),
        )


def _call_ins(user: User, person: Person, entries: list[CohortEntry]) -> Iterator[Item]:
    invitations = CallInInvitation.objects.filter(
        person=person,
        meeting__programme__in=[entry.programme_id for entry in entries],
        meeting__in=policy.meetings.visible(user).values("pk"),
    ).select_related("meeting")
    for invitation in invitations:
        meeting = invitation.meeting
        yield Item(
            *_local(meeting.held_at), kind="call_in", pk=invitation.pk,
            summary=f"Invited to {meeting.title}: {_attendance(invitation.attended)}",
            detail=meeting.place,
            url=_url("meeting", meeting.pk),
        )


def _attendance(attended: bool | None) -> str:
    if attended is None:
        return "attendance not yet recorded"
    return "attended" if attended else "did not attend"

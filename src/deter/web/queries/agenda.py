"""The agenda of a panel or safeguarding meeting, generated from the data.

``build_agenda`` reads the programme as it stands and returns a plain, JSON-serialisable dict
that is stored in ``Meeting.agenda`` when the meeting is created (and regenerated, if asked,
until the meeting is held), so the record shows what the meeting was asked to consider. Five
sections:

- ``proposals``: people and groups proposed or deferred, with rank, harm and the criteria met
  from the latest complete analysis run where they were scored;
- ``reviews``: active and stepped-down people and groups whose review falls due by a week after
  the meeting, the overdue ones marked;
- ``violence``: violent events since the previous meeting (or the last 28 days) involving an
  active or stepped-down cohort member as suspect, offender or victim;
- ``flags``: group violence flags still awaiting or under response;
- ``overdue_actions``: the programme's open actions past their due date, with their owner.

The number of queries is fixed, whatever the size of the programme. ``present`` turns a stored
agenda into rows for one viewer: police-held sections only for those who see case detail,
people linked only where the viewer may see them.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from deter.analysis.violence import Violence

from .. import policy
from ..domain.offences import violence_of, violent
from ..models import (
    AnalysisRun,
    CohortEntry,
    CohortGroup,
    FoundGroup,
    GroupViolenceFlag,
    Involvement,
    Meeting,
    MeetingAction,
    PersonScore,
    Programme,
)

Status = CohortEntry.Status
UNDER_CONSIDERATION = (Status.PROPOSED, Status.DEFERRED)
ENGAGED = (Status.ACTIVE, Status.STEPPED_DOWN)
VIOLENCE_ROLES = (Involvement.Role.SUSPECT, Involvement.Role.OFFENDER, Involvement.Role.VICTIM)
OPEN_FLAGS = (GroupViolenceFlag.Status.OPEN, GroupViolenceFlag.Status.RESPONDING)
REVIEW_AHEAD_DAYS = 7
DEFAULT_LOOKBACK_DAYS = 28
SECTIONS = ("proposals", "reviews", "violence", "flags", "overdue_actions")
POLICE_HELD = ("proposals", "violence", "flags")


def previous_meeting_time(programme: Programme, before: datetime,
                          exclude: Meeting | None = None) -> datetime | None:
    """When the programme last met (panels and safeguarding meetings, not call-ins)."""
    meetings = Meeting.objects.filter(programme=programme, held_at__lt=before).exclude(
        kind=Meeting.Kind.CALL_IN)
    if exclude is not None and exclude.pk:
        meetings = meetings.exclude(pk=exclude.pk)
    return meetings.order_by("-held_at").values_list("held_at", flat=True).first()


def default_since(programme: Programme, meeting_day: date, today: date,
                  exclude: Meeting | None = None) -> datetime:
    """The previous meeting, or else 28 days before the meeting (or today, if sooner)."""
    start_of_day = timezone.make_aware(datetime.combine(meeting_day, time.min))
    previous = previous_meeting_time(programme, start_of_day, exclude)
    if previous is not None:
        return previous
    day = min(meeting_day, today) - timedelta(days=DEFAULT_LOOKBACK_DAYS)
    return timezone.make_aware(datetime.combine(day, time.min))


def build_agenda(programme: Programme, *, since: datetime, today: date,
                 meeting_day: date | None = None) -> dict:
    """The agenda for a meeting of ``programme`` on ``meeting_day`` (default ``today``)."""
    meeting_day = meeting_day or today
    run = policy.runs.current(programme)
    return {
        "generated_at": timezone.now().isoformat(),
        "today": today.isoformat(),
        "meeting_day": meeting_day.isoformat(),
        "since": since.isoformat(),
        "run": run.pk if run else None,
        "proposals": _proposals(programme, run),
        "reviews": _reviews(programme, today, meeting_day),
        "violence": _violence(programme, since, violence_of(run)),
        "flags": _flags(programme),
        "overdue_actions": _overdue_actions(programme, today),
    }


def _proposals(programme: Programme, run: AnalysisRun | None) -> list[dict]:
    considered = CohortEntry.objects.filter(programme=programme, status__in=UNDER_CONSIDERATION)
    considered_groups = CohortGroup.objects.filter(programme=programme,
                                                   status__in=UNDER_CONSIDERATION)
    entries = list(considered.select_related("person", "group"))
    groups = list(considered_groups)
    scores, group_scores = {}, {}
    if run is not None:
        scores = {
            s.person_id: s for s in PersonScore.objects.filter(
                run=run, person__in=considered.values("person_id")
            ).only("person_id", "rank", "harm_score", "victim_harm_score", "criteria_met")
        }
        group_scores = {
            g.group_label: g for g in FoundGroup.objects.filter(
                run=run, group_label__in=considered_groups.values("label")
            ).only("group_label", "rank", "harm_score", "size")
        }
    items = []
    for entry in entries:
        score = scores.get(entry.person_id)
        items.append({
            "type": "person", "entry": entry.pk, "person": entry.person_id,
            "person_id": entry.person.person_id, "status": entry.status,
            "group_label": entry.group.label if entry.group else "",
            "rank": score.rank if score else None,
            "harm_score": round(score.harm_score, 1) if score else None,
            "victim_harm_score": round(score.victim_harm_score, 1) if score else None,
            "criteria": list(score.criteria_met or []) if score else [],
            "review_date": entry.review_date.isoformat(),
        })
    for group in groups:
        score = group_scores.get(group.label)
        items.append({
            "type": "group", "group": group.pk, "label": group.label, "name": group.name,
            "status": group.status, "rank": score.rank if score else None,
            "harm_score": round(score.harm_score, 1) if score else None,
            "size": score.size if score else None, "criteria": [],
            "review_date": group.review_date.isoformat() if group.review_date else None,
        })
    items.sort(key=lambda i: (i["type"] != "person", i["rank"] is None, i["rank"] or 0,
                              i.get("person_id") or i.get("label")))
    return items


def _reviews(programme: Programme, today: date, meeting_day: date) -> list[dict]:
    due_by = meeting_day + timedelta(days=REVIEW_AHEAD_DAYS)
    entries = (CohortEntry.objects.filter(programme=programme, status__in=ENGAGED,
                                          review_date__lte=due_by)
               .select_related("person", "lead_professional").order_by("review_date", "pk"))
    groups = (CohortGroup.objects.filter(programme=programme, status__in=ENGAGED,
                                         review_date__lte=due_by)
              .select_related("lead_professional").order_by("review_date", "pk"))
    items = [
        {"type": "person", "entry": e.pk, "person": e.person_id,
         "person_id": e.person.person_id, "status": e.status,
         "review_date": e.review_date.isoformat(), "overdue": e.review_date < today,
         "lead_professional": _username(e.lead_professional)}
        for e in entries
    ] + [
        {"type": "group", "group": g.pk, "label": g.label, "name": g.name, "status": g.status,
         "review_date": g.review_date.isoformat(), "overdue": g.review_date < today,
         "lead_professional": _username(g.lead_professional)}
        for g in groups
    ]
    items.sort(key=lambda i: (i["review_date"], i["type"], i.get("person_id") or i["label"]))
    return items


def _violence(programme: Programme, since: datetime, violence: Violence) -> list[dict]:
    """Violence (by the run's definition) involving engaged members since ``since``."""
    members = CohortEntry.objects.filter(programme=programme, status__in=ENGAGED)
    candidates = Involvement.objects.filter(
        person__in=members.values("person_id"), role__in=VIOLENCE_ROLES,
        event__occurred_at__gte=since)
    involvements = (
        violent(candidates, violence)
        .select_related("event", "person").order_by("-event__occurred_at", "event_id", "pk")
    )
    return [
        {"event": i.event_id, "event_id": i.event.event_id,
         "occurred_at": i.event.occurred_at.isoformat(),
         "offence_category": i.event.offence_category, "offence_code": i.event.offence_code,
         "person": i.person_id, "person_id": i.person.person_id, "role": i.role}
        for i in involvements
    ]


def _flags(programme: Programme) -> list[dict]:
    flags = (GroupViolenceFlag.objects.filter(group__programme=programme, status__in=OPEN_FLAGS)
             .select_related("group", "event", "person").order_by("-event__occurred_at", "pk"))
    return [
        {"flag": f.pk, "group": f.group_id, "label": f.group.label, "name": f.group.name,
         "event_id": f.event.event_id, "occurred_at": f.event.occurred_at.isoformat(),
         "offence_category": f.event.offence_category, "person": f.person_id,
         "person_id": f.person.person_id, "status": f.status,
         "raised_at": f.raised_at.isoformat()}
        for f in flags
    ]


def _overdue_actions(programme: Programme, today: date) -> list[dict]:
    actions = (MeetingAction.objects.filter(programme=programme, status=MeetingAction.Status.OPEN,
                                     due__lt=today)
               .select_related("owner", "entry__person").order_by("due", "pk"))
    return [
        {"action": a.pk, "description": a.description, "owner": _username(a.owner),
         "due": a.due.isoformat(), "days_overdue": (today - a.due).days,
         "meeting": a.meeting_id,
         "person": a.entry.person_id if a.entry else None,
         "person_id": a.entry.person.person_id if a.entry else ""}
        for a in actions
    ]


def _username(user) -> str:
    return user.get_username() if user is not None else ""


# --- showing a stored agenda to one viewer -----------------------------------------------------


@dataclass
class AgendaView:
    """A stored agenda as one viewer may see it; dates parsed back from ISO text."""

    generated_at: datetime | None = None
    since: datetime | None = None
    run: int | None = None
    case_detail: bool = False
    sections: dict[str, list[dict]] = field(default_factory=dict)
    hidden: int = 0
    more: dict[str, int] = field(default_factory=dict)  # items left out of each section

    @property
    def empty(self) -> bool:
        return not any(self.sections.values())


@dataclass(frozen=True)
class Visible:
    """What the viewer may see among the records an agenda names (ask ``visible_to``)."""

    people: frozenset[int] = frozenset()
    entries: frozenset[int] = frozenset()
    groups: frozenset[int] = frozenset()
    actions: frozenset[int] = frozenset()


def _ids(agenda: dict, key: str) -> set[int]:
    return {
        item[key] for section in SECTIONS for item in agenda.get(section) or []
        if isinstance(item, dict) and isinstance(item.get(key), int)
    }


def person_pks(agenda: dict) -> set[int]:
    """Every person the agenda names, to ask the policy about them all in one query."""
    return _ids(agenda, "person")


def visible_to(agenda: dict, *, people: QuerySet, entries: QuerySet, groups: QuerySet,
               actions: QuerySet, also_people: set[int] = frozenset()) -> Visible:
    """Ask the policy's querysets (one query each, whatever the agenda's size) which of the
    agenda's people, cohort entries, groups and actions the viewer may see."""

    def among(queryset: QuerySet, pks: set[int]) -> frozenset[int]:
        return frozenset(queryset.filter(pk__in=pks).values_list("pk", flat=True)) if pks \
            else frozenset()

    return Visible(
        people=among(people, person_pks(agenda) | set(also_people)),
        entries=among(entries, _ids(agenda, "entry")),
        groups=among(groups, _ids(agenda, "group")),
        actions=among(actions, _ids(agenda, "action")),
    )


def _may_see(item: dict, visible: Visible) -> bool:
    if "entry" in item:
        return item["entry"] in visible.entries
    if "action" in item:
        return item["action"] in visible.actions
    if item.get("type") == "group" or "flag" in item:
        return item.get("group") in visible.groups
    return item.get("person") in visible.people


def present(agenda: dict, *, visible: Visible, case_detail: bool,
            limit: int | None = None) -> AgendaView:
    """The agenda for one viewer.

    Each item is shown only if the viewer may see what it is about (the person's cohort entry,
    the group, the action; for violence, the person), so a caseworker sees no proposals and a
    partner no groups; ``hidden`` counts the others (for tests: the page does not say, so as
    not to reveal that they exist). Without case detail (partner agencies) the police-held
    sections are withheld altogether. Every item gets ``linked``: may the viewer open the
    person's page? With ``limit``, each section keeps its first ``limit`` items and ``more``
    says how many it left out.
    """
    if not agenda:
        return AgendaView()
    view = AgendaView(
        generated_at=_parse_datetime(agenda.get("generated_at")),
        since=_parse_datetime(agenda.get("since")), run=agenda.get("run"),
        case_detail=case_detail,
    )
    for section in SECTIONS:
        items = [dict(item) for item in agenda.get(section) or [] if isinstance(item, dict)]
        if not case_detail and section in POLICE_HELD:
            items = []
        shown = [item for item in items if _may_see(item, visible)]
        view.hidden += len(items) - len(shown)
        if limit is not None and len(shown) > limit:
            view.more[section] = len(shown) - limit
            shown = shown[:limit]
        for item in shown:
            item["linked"] = item.get("person") in visible.people
            for key in ("review_date", "due"):
                if item.get(key):
                    item[key] = date.fromisoformat(item[key])
            for key in ("occurred_at", "raised_at"):
                if item.get(key):
                    item[key] = _parse_datetime(item[key])
        view.sections[section] = shown
    return view


def _parse_datetime(value: object) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None

"""The demo programme's meetings: a panel held last week, with the decisions it recorded and
two actions (one now overdue), and a call-in coming up with its invitations.

``demo_world`` calls ``add_demo_panel`` once the cohort is proposed (so the panel's agenda
lists the proposals), records the panel's decisions at it, then calls ``add_demo_meetings``;
calling them again adds nothing (each meeting is found by its title). Everything goes through
the actions: an action agreed at a past meeting may fall due any day from that meeting on.
"""

from datetime import datetime, time, timedelta

from django.utils import timezone

from ..actions import meetings as actions
from ..models import CallInInvitation, CohortEntry, Meeting, Programme

PANEL_TITLE = "Monthly multi-agency panel"
CALL_IN_TITLE = "Call-in: groups in the programme area"
PANEL_DAYS_AGO = 7
CALL_IN_DAYS_AHEAD = 10
CALL_IN_MEMBERS = 3
SPEAKERS = (
    (CallInInvitation.Role.POLICE, "Chief Inspector, neighbourhood policing"),
    (CallInInvitation.Role.SERVICES, "Youth service manager"),
    (CallInInvitation.Role.COMMUNITY, "Pastor, Riverside community church"),
    (CallInInvitation.Role.VICTIMS_FAMILY, "Mother of a young man killed in 2024"),
)


def before_the_panel() -> dict:
    """How the demo's proposals are dated: the week before the panel that decided them, with
    the reason they are recorded later (they are entered as the demo is built)."""
    return {"proposed_on": timezone.localdate() - timedelta(days=PANEL_DAYS_AGO + 7),
            "backdated_reason": "The demo's history: proposed the week before the demo panel"}


def _at(days: int, hour: int) -> datetime:
    day = timezone.localdate() + timedelta(days=days)
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def add_demo_meetings(programme: Programme, users: dict) -> None:
    coordinator = users["coordinator"]
    active = list(
        CohortEntry.objects.filter(programme=programme, status=CohortEntry.Status.ACTIVE)
        .select_related("person").order_by("person__person_id")
    )
    panel = add_demo_panel(programme, users)
    if not panel.notes:
        _record_panel(panel, users, active)
    if (programme.uses_call_ins and active
            and not Meeting.objects.filter(programme=programme, title=CALL_IN_TITLE).exists()):
        call_in = actions.create_meeting(
            coordinator, programme, Meeting.Kind.CALL_IN, CALL_IN_TITLE,
            _at(CALL_IN_DAYS_AHEAD, 18), place="Riverside Community Hall", chair=coordinator,
            attendees=[users["caseworker"], users["school"]],
        )
        for entry in active[:CALL_IN_MEMBERS]:
            actions.invite(coordinator, call_in, CallInInvitation.Role.SUBJECT,
                           person=entry.person)
        for role, name in SPEAKERS:
            actions.invite(coordinator, call_in, role, name=name)


def add_demo_panel(programme: Programme, users: dict) -> Meeting:
    """Last week's panel, its agenda generated from the proposals then before it."""
    found = Meeting.objects.filter(programme=programme, title=PANEL_TITLE).first()
    if found is not None:
        return found
    coordinator = users["coordinator"]
    return actions.create_meeting(
        coordinator, programme, Meeting.Kind.PANEL, PANEL_TITLE, _at(-PANEL_DAYS_AGO, 10),
        place="Civic Centre, committee room 2", chair=coordinator,
        attendees=[users["analyst"], users["caseworker"], users["school"]],
        other_attendees="Youth offending team manager\nCommunity safety officer, district council",
    )


def _record_panel(panel: Meeting, users: dict, active: list[CohortEntry]) -> None:
    """The panel's notes and the two actions it agreed (one now overdue)."""
    coordinator, programme = users["coordinator"], panel.programme
    actions.update_meeting_notes(
        coordinator, panel,
        "The panel agreed the cohort proposed by the analysis, with a lead professional and a "
        "review date for each person, and two actions.")
    today = timezone.localdate()
    first = active[0] if active else None
    actions.add_action(
        coordinator, programme,
        "Make the referral to youth worker mentoring and confirm the first session"
        + (f" for {first.person.person_id}" if first else ""),
        users["caseworker"], today - timedelta(days=3), meeting=panel, entry=first)
    actions.add_action(
        coordinator, programme,
        "Agree a safe travel plan to and from school and share attendance weekly",
        users["school"], today + timedelta(days=14), meeting=panel,
        entry=active[1] if len(active) > 1 else None)

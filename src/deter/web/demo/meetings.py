"""The demo programme's meetings: a panel held last week, with the decisions it recorded and
two actions (one now overdue), and a call-in coming up with its invitations.

``demo_world`` calls ``add_demo_meetings``; calling it again adds nothing (each meeting is
found by its title). The panel is in the past, so its actions are written as they stood then
rather than through ``add_action``, which refuses a due date in the past.
"""

from datetime import datetime, time, timedelta

from django.utils import timezone

from ..actions import meetings as actions
from ..models import (
    CallInInvitation,
    CohortDecision,
    CohortEntry,
    Meeting,
    MeetingAction,
    Programme,
)

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


def _at(days: int, hour: int) -> datetime:
    day = timezone.localdate() + timedelta(days=days)
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def add_demo_meetings(programme: Programme, users: dict) -> None:
    coordinator = users["coordinator"]
    active = list(
        CohortEntry.objects.filter(programme=programme, status=CohortEntry.Status.ACTIVE)
        .select_related("person").order_by("person__person_id")
    )
    if not Meeting.objects.filter(programme=programme, title=PANEL_TITLE).exists():
        _add_panel(programme, users, active)
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


def _add_panel(programme: Programme, users: dict, active: list[CohortEntry]) -> None:
    coordinator = users["coordinator"]
    panel = actions.create_meeting(
        coordinator, programme, Meeting.Kind.PANEL, PANEL_TITLE, _at(-PANEL_DAYS_AGO, 10),
        place="Civic Centre, committee room 2", chair=coordinator,
        attendees=[users["analyst"], users["caseworker"], users["school"]],
        other_attendees="Youth offending team manager\nCommunity safety officer, district council",
    )
    panel.notes = ("The panel agreed the cohort proposed by the analysis, with a lead "
                   "professional and a review date for each person, and two actions.")
    panel.save(update_fields=["notes"])
    # the acceptances the demo cohort records were made at this panel
    CohortDecision.objects.filter(entry__programme=programme, meeting__isnull=True,
                                  to_status=CohortEntry.Status.ACTIVE).update(meeting=panel)
    today = timezone.localdate()
    first = active[0] if active else None
    MeetingAction.objects.create(
        programme=programme, meeting=panel, entry=first, owner=users["caseworker"],
        created_by=coordinator, due=today - timedelta(days=3),
        description="Make the referral to youth worker mentoring and confirm the first session"
        + (f" for {first.person.person_id}" if first else ""),
    )
    MeetingAction.objects.create(
        programme=programme, meeting=panel, entry=active[1] if len(active) > 1 else None,
        owner=users["school"], created_by=coordinator, due=today + timedelta(days=14),
        description="Agree a safe travel plan to and from school and share attendance weekly",
    )

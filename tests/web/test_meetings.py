"""Meetings, actions and call-ins: the action functions (permission, bad input, audit) and the
meeting pages (who sees what, forms, query counts)."""

import re
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from deter.web.actions import meetings as actions
from deter.web.models import (
    AuditEvent,
    CallInInvitation,
    CohortDecision,
    CohortEntry,
    Intervention,
    InterventionUpdate,
    Meeting,
    MeetingAction,
)
from deter.web.views import meetings as meetings_view

from .factories import link, make_event, make_person
from .meetings_factories import at, make_action, make_group, make_meeting, make_member

Kind = Meeting.Kind
Status = CohortEntry.Status
Role = CallInInvitation.Role


def soon(days: int = 7):
    return at(timezone.localdate() + timedelta(days=days), hour=14)


def create(world, actor=None, **changes) -> Meeting:
    arguments = {"programme": world.programme, "kind": Kind.PANEL, "title": "December panel",
                 "held_at": soon(), "place": "Civic Centre", "chair": world.coordinator,
                 "attendees": [world.caseworker, world.analyst],
                 "other_attendees": "Youth offending team manager", **changes}
    return actions.create_meeting(actor or world.coordinator, **arguments)


def denied(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, outcome="denied"))


# --- creating a meeting -----------------------------------------------------------------------


def test_the_coordinator_creates_a_panel_with_a_generated_agenda(world):
    make_event("E-NEW", world.active, days_ago=2)
    meeting = create(world)
    assert (meeting.kind, meeting.title, meeting.place, meeting.chair) == (
        "panel", "December panel", "Civic Centre", world.coordinator)
    assert set(meeting.attendees.all()) == {world.caseworker, world.analyst}
    assert [i["person_id"] for i in meeting.agenda["proposals"]] == ["P-PROPOSED"]
    assert [i["event_id"] for i in meeting.agenda["violence"]] == ["E-NEW"]
    row = AuditEvent.objects.get(action="create_meeting")
    assert (row.actor, row.outcome, row.object_id) == (world.coordinator, "allowed",
                                                       str(meeting.pk))
    assert row.detail["attendees"] == sorted([world.caseworker.pk, world.analyst.pk])


def test_a_call_in_has_no_generated_agenda(world):
    meeting = create(world, kind=Kind.CALL_IN, title="Call-in")
    assert meeting.agenda == {}


@pytest.mark.parametrize("who", ["analyst", "caseworker", "partner", "stranger", "superuser"])
def test_only_the_coordinator_creates_meetings(world, who):
    with pytest.raises(PermissionDenied):
        create(world, actor=getattr(world, who))
    assert not Meeting.objects.exists()
    assert len(denied("create_meeting")) == 1


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title": "  "}, "title", "Enter the meeting's title"),
        ({"kind": "party"}, "kind", "Select the type of meeting"),
        ({"chair": "stranger"}, "chair", "stranger is not staff of a partner agency"),
        ({"attendees": ["caseworker", "stranger"]}, "attendees",
         "Not staff of a partner agency in Knife crime: stranger"),
    ],
)
def test_bad_meetings_are_refused_naming_the_field(world, changes, field, message):
    for key, value in changes.items():
        if value == "stranger":
            changes[key] = world.stranger
        elif isinstance(value, list):
            changes[key] = [getattr(world, v) for v in value]
    with pytest.raises(ValidationError) as error:
        create(world, **changes)
    assert message in error.value.message_dict[field][0]
    assert not Meeting.objects.exists()
    assert not AuditEvent.objects.filter(action="create_meeting").exists()


def test_a_programme_without_call_ins_cannot_hold_one(world):
    world.programme.uses_call_ins = False
    world.programme.save()
    with pytest.raises(ValidationError) as error:
        create(world, kind=Kind.CALL_IN)
    assert "does not hold call-ins" in error.value.message_dict["kind"][0]


def test_the_agenda_can_be_brought_up_to_date_until_the_meeting(world):
    meeting = create(world)
    newcomer, _ = make_member(world.programme, "P-NEWCOMER", Status.PROPOSED)
    actions.regenerate_agenda(world.coordinator, meeting)
    meeting.refresh_from_db()
    assert {i["person_id"] for i in meeting.agenda["proposals"]} == {"P-PROPOSED", "P-NEWCOMER"}
    assert AuditEvent.objects.get(action="regenerate_agenda").detail["items"]["proposals"] == 2


def test_a_held_meetings_agenda_is_kept(world):
    meeting = create(world, held_at=soon(-3))
    kept = meeting.agenda
    make_member(world.programme, "P-NEWCOMER", Status.PROPOSED)
    with pytest.raises(ValidationError, match="has been held"):
        actions.regenerate_agenda(world.coordinator, meeting)
    meeting.refresh_from_db()
    assert meeting.agenda == kept


@pytest.mark.parametrize("who", ["analyst", "caseworker", "partner"])
def test_only_the_coordinator_or_chair_regenerates_or_edits_notes(world, who):
    meeting = create(world, chair=None)
    with pytest.raises(PermissionDenied):
        actions.regenerate_agenda(getattr(world, who), meeting)
    with pytest.raises(PermissionDenied):
        actions.update_meeting_notes(getattr(world, who), meeting, "Notes")
    assert len(denied("regenerate_agenda")) == 1 and len(denied("update_meeting_notes")) == 1


def test_the_chair_manages_the_meeting(world):
    meeting = create(world, chair=world.caseworker)
    actions.update_meeting_notes(world.caseworker, meeting, "  Agreed to refer P-ACTIVE.  ")
    meeting.refresh_from_db()
    assert meeting.notes == "Agreed to refer P-ACTIVE."
    assert AuditEvent.objects.get(action="update_meeting_notes").detail["characters"] == [0, 25]


# --- actions ----------------------------------------------------------------------------------


def test_the_coordinator_adds_an_action_for_a_caseworker(world):
    meeting = create(world)
    entry = CohortEntry.objects.get(programme=world.programme, person=world.active)
    due = timezone.localdate() + timedelta(days=14)
    action = actions.add_action(world.coordinator, world.programme, " Refer to boxing club ",
                                world.caseworker, due, meeting=meeting, entry=entry)
    assert (action.description, action.owner, action.due, action.status, action.meeting,
            action.entry) == ("Refer to boxing club", world.caseworker, due, "open", meeting,
                              entry)
    row = AuditEvent.objects.get(action="add_action")
    assert row.detail["owner"] == world.caseworker.pk and row.detail["meeting"] == meeting.pk


def test_a_chair_adds_actions_to_their_meeting(world):
    meeting = create(world, chair=world.caseworker)
    due = timezone.localdate()
    action = actions.add_action(world.caseworker, world.programme, "Visit school", world.partner,
                                due, meeting=meeting)
    assert action.owner == world.partner
    with pytest.raises(PermissionDenied):
        actions.add_action(world.caseworker, world.programme, "Off-meeting", world.partner, due)


@pytest.mark.parametrize("who", ["analyst", "caseworker", "partner", "stranger"])
def test_others_may_not_add_actions(world, who):
    with pytest.raises(PermissionDenied):
        actions.add_action(getattr(world, who), world.programme, "Something", world.caseworker,
                           timezone.localdate())
    assert not MeetingAction.objects.exists() and len(denied("add_action")) == 1


def test_bad_actions_are_refused_naming_the_field(world):
    today = timezone.localdate()
    elsewhere = CohortEntry.objects.get(person=world.police_only)
    other_meeting = make_meeting(world.police_only_programme, world.analyst)
    cases = [
        ({"due": today - timedelta(days=1)}, "due", "today or in the future"),
        ({"owner": world.stranger}, "owner", "stranger is not staff of a partner agency"),
        ({"description": " "}, "description", "Enter what is to be done"),
        ({"entry": elsewhere}, "entry", "not in this programme's cohort"),
        ({"meeting": other_meeting}, "meeting", "belongs to another programme"),
        ({"group": make_group(world.police_only_programme, "GX")}, "group", "not in this"),
    ]
    for changes, field, message in cases:
        arguments = {"description": "Refer", "owner": world.caseworker, "due": today, **changes}
        with pytest.raises(ValidationError) as error:
            actions.add_action(world.coordinator, world.programme, **arguments)
        assert message in error.value.message_dict[field][0], field
    assert not MeetingAction.objects.exists()


def test_an_action_of_a_held_meeting_may_fall_due_from_the_meeting_on(world):
    today = timezone.localdate()
    held = create(world, held_at=at(today - timedelta(days=7), hour=10))
    recorded = actions.add_action(world.coordinator, world.programme, "Refer",
                                  world.caseworker, today - timedelta(days=3), meeting=held)
    assert recorded.due == today - timedelta(days=3)
    with pytest.raises(ValidationError) as error:
        actions.add_action(world.coordinator, world.programme, "Refer", world.caseworker,
                           today - timedelta(days=8), meeting=held)
    assert "on or after the day of the meeting" in error.value.message_dict["due"][0]
    with pytest.raises(ValidationError):  # without a meeting, only from today
        actions.add_action(world.coordinator, world.programme, "Refer", world.caseworker,
                           today - timedelta(days=3))
    assert MeetingAction.objects.count() == 1


def test_the_owner_marks_an_action_done_and_reopens_it(world):
    action = make_action(world.programme, world.caseworker, world.coordinator)
    actions.set_action_status(world.caseworker, action, MeetingAction.Status.DONE)
    action.refresh_from_db()
    assert action.status == "done" and action.completed_at is not None
    actions.set_action_status(world.caseworker, action, MeetingAction.Status.OPEN)
    action.refresh_from_db()
    assert action.status == "open" and action.completed_at is None
    rows = AuditEvent.objects.filter(action="set_action_status").order_by("pk")
    assert [r.detail["status"] for r in rows] == [["open", "done"], ["done", "open"]]


@pytest.mark.parametrize("who", ["analyst", "partner", "stranger"])
def test_only_the_owner_or_coordinator_changes_an_action(world, who):
    action = make_action(world.programme, world.caseworker, world.coordinator)
    with pytest.raises(PermissionDenied):
        actions.set_action_status(getattr(world, who), action, MeetingAction.Status.DONE)
    actions.set_action_status(world.coordinator, action, MeetingAction.Status.CANCELLED)
    action.refresh_from_db()
    assert action.status == "cancelled" and len(denied("set_action_status")) == 1


def test_an_unknown_action_status_is_refused(world):
    action = make_action(world.programme, world.caseworker, world.coordinator)
    with pytest.raises(ValidationError):
        actions.set_action_status(world.caseworker, action, "finished")
    action.refresh_from_db()
    assert action.status == "open"


# --- call-ins ---------------------------------------------------------------------------------


@pytest.fixture
def call_in(world) -> Meeting:
    return create(world, kind=Kind.CALL_IN, title="Eastgate call-in", held_at=soon(0))


def test_inviting_a_cohort_member_records_a_planned_call_in_for_them(world, call_in):
    invitation = actions.invite(world.coordinator, call_in, Role.SUBJECT, person=world.active)
    assert (invitation.person, invitation.name, invitation.attended) == (world.active, "", None)
    intervention = Intervention.objects.get(person=world.active)
    assert (intervention.kind, intervention.category, intervention.status, intervention.meeting,
            intervention.agency) == ("communication", "call_in", "planned", call_in, world.vru)
    assert AuditEvent.objects.get(action="invite_to_call_in").detail["person"] == world.active.pk


def test_speakers_and_families_are_invited_by_name(world, call_in):
    invitation = actions.invite(world.coordinator, call_in, Role.COMMUNITY,
                                name=" Pastor Ade, Eastgate Church ")
    assert invitation.name == "Pastor Ade, Eastgate Church" and invitation.person is None
    assert not Intervention.objects.exists()


@pytest.mark.parametrize(
    ("role", "who", "name", "field", "message"),
    [
        (Role.SUBJECT, "unlisted", "", "person", "is not active in Knife crime's cohort"),
        (Role.SUBJECT, "proposed", "", "person", "is not active"),
        (Role.SUBJECT, "stepped_down", "", "person", "is not active"),
        (Role.SUBJECT, "police_only", "", "person", "is not active"),
        (Role.SUBJECT, None, "", "person", "Select the cohort member"),
        (Role.POLICE, None, " ", "name", "Enter the name"),
        (Role.POLICE, "active", "Inspector Shah", "person", "Only a cohort member"),
        ("stranger", None, "Someone", "role", "Select who is being invited"),
    ],
)
def test_bad_invitations_are_refused(world, call_in, role, who, name, field, message):
    person = getattr(world, who) if who else None
    with pytest.raises(ValidationError) as error:
        actions.invite(world.coordinator, call_in, role, person=person, name=name)
    assert message in error.value.message_dict[field][0]
    assert not CallInInvitation.objects.exists() and not Intervention.objects.exists()


def test_a_member_is_invited_once_and_only_to_call_ins(world, call_in):
    actions.invite(world.coordinator, call_in, Role.SUBJECT, person=world.active)
    with pytest.raises(ValidationError, match="already invited"):
        actions.invite(world.coordinator, call_in, Role.SUBJECT, person=world.active)
    panel = create(world)
    with pytest.raises(ValidationError, match="Invitations are for call-ins"):
        actions.invite(world.coordinator, panel, Role.POLICE, name="Inspector Shah")
    assert CallInInvitation.objects.count() == 1


@pytest.mark.parametrize("who", ["analyst", "caseworker", "partner", "stranger"])
def test_only_the_coordinator_or_chair_invites_and_records_attendance(world, call_in, who):
    call_in.chair = None
    call_in.save()
    with pytest.raises(PermissionDenied):
        actions.invite(getattr(world, who), call_in, Role.POLICE, name="Inspector Shah")
    invitation = actions.invite(world.coordinator, call_in, Role.POLICE, name="Inspector Shah")
    with pytest.raises(PermissionDenied):
        actions.record_attendance(getattr(world, who), invitation, True)
    invitation.refresh_from_db()
    assert invitation.attended is None


def test_attendance_completes_or_declines_the_members_call_in(world, call_in):
    came = actions.invite(world.coordinator, call_in, Role.SUBJECT, person=world.active)
    _, entry = make_member(world.programme, "P-ABSENT")
    absent = actions.invite(world.coordinator, call_in, Role.SUBJECT, person=entry.person)
    speaker = actions.invite(world.coordinator, call_in, Role.POLICE, name="Inspector Shah")

    actions.record_attendance(world.coordinator, came, True)
    actions.record_attendance(world.coordinator, absent, False)
    actions.record_attendance(world.coordinator, speaker, True)

    came_call_in = Intervention.objects.get(person=world.active)
    absent_call_in = Intervention.objects.get(person=entry.person)
    assert (came_call_in.status, came_call_in.end) == ("completed", timezone.localdate())
    assert absent_call_in.status == "declined"
    assert Intervention.objects.count() == 2
    assert [u.status for u in InterventionUpdate.objects.order_by("pk")] == [
        "completed", "declined"]
    assert CallInInvitation.objects.filter(attended=True).count() == 2

    # a correction: they did come after all
    actions.record_attendance(world.coordinator, absent, True)
    absent_call_in.refresh_from_db()
    assert absent_call_in.status == "completed"
    assert InterventionUpdate.objects.filter(intervention=absent_call_in).count() == 2
    rows = AuditEvent.objects.filter(action="record_attendance", object_id=str(absent.pk))
    assert [r.detail["attended"] for r in rows.order_by("pk")] == [[None, False], [False, True]]


def test_attendance_creates_the_call_in_if_the_member_had_none(world, call_in):
    invitation = CallInInvitation.objects.create(meeting=call_in, role=Role.SUBJECT,
                                                 person=world.active)
    actions.record_attendance(world.coordinator, invitation, False)
    intervention = Intervention.objects.get(person=world.active, meeting=call_in)
    assert (intervention.category, intervention.status) == ("call_in", "declined")


def test_attendance_waits_for_the_day_of_the_call_in(world):
    future = create(world, kind=Kind.CALL_IN, held_at=soon(3))
    invitation = actions.invite(world.coordinator, future, Role.SUBJECT, person=world.active)
    with pytest.raises(ValidationError, match="from the day of the call-in"):
        actions.record_attendance(world.coordinator, invitation, True)
    invitation.refresh_from_db()
    assert invitation.attended is None
    assert Intervention.objects.get().status == "planned"


# --- pages ------------------------------------------------------------------------------------


def get(client, user, name, *args, **params):
    client.force_login(user)
    return client.get(reverse(name, args=args), params)


def test_staff_with_case_detail_and_invitees_see_the_meeting_others_do_not(client, world):
    meeting = create(world, attendees=[world.partner])
    other = create(world, title="Other panel", attendees=[])
    for who in ("analyst", "coordinator", "caseworker"):
        assert get(client, getattr(world, who), "meeting", meeting.pk).status_code == 200
    assert get(client, world.partner, "meeting", meeting.pk).status_code == 200
    assert get(client, world.partner, "meeting", other.pk).status_code == 404
    assert get(client, world.stranger, "meeting", meeting.pk).status_code == 404
    assert get(client, world.superuser, "meeting", meeting.pk).status_code == 404
    refused = AuditEvent.objects.filter(action="view_meeting", outcome="denied")
    assert refused.count() == 3
    assert AuditEvent.objects.filter(action="view_meeting", outcome="allowed").count() == 4

    listed = get(client, world.partner, "meetings").content.decode()
    assert "December panel" in listed and "Other panel" not in listed
    assert "December panel" not in get(client, world.stranger, "meetings").content.decode()


def test_a_missing_meeting_is_the_same_404(client, world):
    assert get(client, world.coordinator, "meeting", 999999).status_code == 404


def test_the_meeting_page_shows_the_agenda_with_links_only_to_visible_people(client, world):
    make_event("E-NEW", world.active, days_ago=2)
    meeting = create(world, attendees=[world.partner])

    page = get(client, world.coordinator, "meeting", meeting.pk).content.decode()
    assert f'href="/people/{world.proposed.pk}/"' in page and "E-NEW" in page
    assert f"/programmes/{world.programme.pk}/panel/?meeting={meeting.pk}" in page

    # caseworkers see active and stepped-down people only: no proposals
    page = get(client, world.caseworker, "meeting", meeting.pk).content.decode()
    assert "P-PROPOSED" not in page and "New proposals" not in page
    assert f'href="/people/{world.active.pk}/"' in page and "E-NEW" in page
    assert "Record decisions" not in page

    page = get(client, world.partner, "meeting", meeting.pk).content.decode()
    assert "P-PROPOSED" not in page and "E-NEW" not in page
    assert "police-held information" in page
    assert "Add an action" not in page and "Bring the agenda up to date" not in page


def test_a_long_agenda_is_shortened_on_the_page_and_shown_whole_on_request(
        client, world, monkeypatch):
    for n in range(3):
        make_event(f"E-LONG-{n}", world.active, days_ago=2 + n)
    meeting = create(world)
    monkeypatch.setattr(meetings_view, "AGENDA_ITEMS", 1)

    page = get(client, world.coordinator, "meeting", meeting.pk).content.decode()
    assert len(re.findall(r"E-LONG-\d", page)) == 1
    assert "And 2 more." in page and 'href="?agenda=full#agenda"' in page

    client.force_login(world.coordinator)
    whole = client.get(reverse("meeting", args=[meeting.pk]) + "?agenda=full").content.decode()
    assert sorted(re.findall(r"E-LONG-\d", whole)) == ["E-LONG-0", "E-LONG-1", "E-LONG-2"]
    assert "more." not in whole


def test_the_meeting_page_lists_decisions_and_actions(client, world):
    meeting = create(world)
    entry = CohortEntry.objects.get(programme=world.programme, person=world.proposed)
    CohortDecision.objects.create(entry=entry, from_status="proposed", to_status="active",
                                  reason="Agreed: two stabbings this year", meeting=meeting,
                                  decided_by=world.coordinator)
    make_action(world.programme, world.caseworker, world.coordinator, meeting=meeting,
                description="Refer to boxing club")
    make_action(world.programme, world.partner, world.coordinator, meeting=meeting,
                description="Check attendance at school")

    page = get(client, world.coordinator, "meeting", meeting.pk).content.decode()
    assert "Agreed: two stabbings this year" in page
    assert "Refer to boxing club" in page and "Check attendance at school" in page

    # the entry itself is still proposed, and caseworkers see only active and stepped-down
    # people: the decision about it is not shown to them
    page = get(client, world.caseworker, "meeting", meeting.pk).content.decode()
    assert "Agreed: two stabbings this year" not in page

    meeting.attendees.add(world.partner)
    page = get(client, world.partner, "meeting", meeting.pk).content.decode()
    assert "Check attendance at school" in page and "Refer to boxing club" not in page


def test_adding_an_action_from_the_meeting_page(client, world):
    meeting = create(world)
    client.force_login(world.coordinator)
    due = timezone.localdate() + timedelta(days=5)
    data = {"action-description": "Refer to boxing club", "action-owner": world.caseworker.pk,
            "action-due_day": due.day, "action-due_month": due.month, "action-due_year": due.year,
            "action-entry": ""}
    response = client.post(reverse("meeting_add_action", args=[meeting.pk]), data)
    assert response.status_code == 302 and response["Location"].endswith("#actions")
    action = MeetingAction.objects.get()
    assert (action.meeting, action.owner, action.due) == (meeting, world.caseworker, due)

    past = timezone.localdate() - timedelta(days=1)
    response = client.post(reverse("meeting_add_action", args=[meeting.pk]), {
        **data, "action-due_day": past.day, "action-due_month": past.month,
        "action-due_year": past.year})
    assert response.status_code == 400
    assert "The due date must be today or in the future" in response.content.decode()
    response = client.post(reverse("meeting_add_action", args=[meeting.pk]),
                           {**data, "action-owner": world.stranger.pk})
    assert response.status_code == 400
    assert "Select an owner from the programme" in response.content.decode()
    response = client.post(reverse("meeting_add_action", args=[meeting.pk]),
                           {**data, "action-description": ""})
    assert response.status_code == 400 and "Enter what is to be done" in response.content.decode()
    assert MeetingAction.objects.count() == 1


def test_only_managers_post_to_a_meeting(client, world):
    meeting = create(world, chair=None)
    client.force_login(world.caseworker)
    for name, data in (("meeting_add_action", {}), ("meeting_notes", {"notes-notes": "x"}),
                       ("meeting_agenda", {}), ("meeting_invite", {})):
        assert client.post(reverse(name, args=[meeting.pk]), data).status_code == 403, name
    client.force_login(world.stranger)
    assert client.post(reverse("meeting_notes", args=[meeting.pk]), {}).status_code == 404
    meeting.refresh_from_db()
    assert meeting.notes == "" and not MeetingAction.objects.exists()


def test_notes_and_regeneration_from_the_page(client, world):
    meeting = create(world)
    client.force_login(world.coordinator)
    response = client.post(reverse("meeting_notes", args=[meeting.pk]),
                           {"notes-notes": "Panel agreed two referrals"})
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.notes == "Panel agreed two referrals"
    assert client.post(reverse("meeting_agenda", args=[meeting.pk])).status_code == 302

    held = create(world, held_at=soon(-2), title="Held")
    response = client.post(reverse("meeting_agenda", args=[held.pk]))
    assert response.status_code == 400 and "has been held" in response.content.decode()


def test_inviting_and_recording_attendance_from_the_page(client, world, call_in):
    client.force_login(world.coordinator)
    url = reverse("meeting_invite", args=[call_in.pk])
    assert client.post(url, {"invite-role": "subject", "invite-person": world.active.pk}
                       ).status_code == 302
    assert client.post(url, {"invite-role": "community", "invite-name": "Pastor Ade"}
                       ).status_code == 302
    response = client.post(url, {"invite-role": "subject", "invite-person": world.unlisted.pk})
    assert response.status_code == 400
    assert "Select an active member of the programme" in response.content.decode()
    response = client.post(url, {"invite-role": "police", "invite-name": ""})
    assert response.status_code == 400 and "Enter the name and role" in response.content.decode()
    assert CallInInvitation.objects.count() == 2

    member = CallInInvitation.objects.get(person=world.active)
    attendance = reverse("invitation_attendance", args=[call_in.pk, member.pk])
    assert client.post(attendance, {"attended": "maybe"}).status_code == 400
    assert client.post(attendance, {"attended": "yes"}).status_code == 302
    member.refresh_from_db()
    assert member.attended is True

    page = client.get(reverse("meeting", args=[call_in.pk])).content.decode()
    assert "1 invited, 1 attended, 0 did not attend" in page
    assert "2 invited, 1 attended, 0 did not attend, 1 not yet recorded" in page
    assert "Pastor Ade" in page and "Community speaker" in page

    person_page = client.get(reverse("person", args=[world.active.pk])).content.decode()
    assert "Call-in: Eastgate call-in" in person_page


def test_an_invitation_of_another_meeting_is_not_found(client, world, call_in):
    other = create(world, kind=Kind.CALL_IN, title="Other", held_at=soon(0))
    invitation = actions.invite(world.coordinator, other, Role.POLICE, name="Inspector Shah")
    client.force_login(world.coordinator)
    url = reverse("invitation_attendance", args=[call_in.pk, invitation.pk])
    assert client.post(url, {"attended": "yes"}).status_code == 404
    invitation.refresh_from_db()
    assert invitation.attended is None


def test_arranging_a_meeting_from_the_page(client, world):
    client.force_login(world.coordinator)
    assert client.get(reverse("meeting_new")).status_code == 200
    day = timezone.localdate() + timedelta(days=3)
    data = {"programme": world.programme.pk, "kind": "panel", "title": "January panel",
            "held_on_day": day.day, "held_on_month": day.month, "held_on_year": day.year,
            "held_time": "09:30", "place": "", "chair": world.coordinator.pk,
            "attendees": [world.caseworker.pk], "other_attendees": ""}
    response = client.post(reverse("meeting_new"), data)
    meeting = Meeting.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/meetings/{meeting.pk}/"
    assert timezone.localtime(meeting.held_at).strftime("%H:%M") == "09:30"
    assert list(meeting.attendees.all()) == [world.caseworker]

    for changes, message in (
        ({"title": ""}, "Enter the meeting&#x27;s title"),
        ({"held_time": "25:00"}, "Enter the time like 14:30"),
        ({"held_on_day": "", "held_on_month": "", "held_on_year": ""},
         "Enter the date of the meeting"),
        ({"kind": ""}, "Select the type of meeting"),
        ({"chair": world.stranger.pk}, "Select the chair from the partner agencies"),
    ):
        response = client.post(reverse("meeting_new"), {**data, **changes})
        assert response.status_code == 400, changes
        assert message in response.content.decode(), changes
    assert Meeting.objects.count() == 1


def test_changing_a_meetings_details_from_the_page(client, world):
    meeting = create(world)
    agenda = meeting.agenda
    client.force_login(world.coordinator)
    page = client.get(reverse("meeting_edit", args=[meeting.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'value="December panel"' in html and 'value="14:00"' in html
    assert 'name="programme"' not in html and 'name="kind"' not in html
    assert reverse("meeting_edit", args=[meeting.pk]) in get(
        client, world.coordinator, "meeting", meeting.pk).content.decode()

    day = timezone.localdate() + timedelta(days=9)
    data = {"title": "December panel (moved)", "held_on_day": day.day,
            "held_on_month": day.month, "held_on_year": day.year, "held_time": "10:15",
            "place": "Town Hall", "chair": "", "attendees": [world.caseworker.pk],
            "other_attendees": ""}
    response = client.post(reverse("meeting_edit", args=[meeting.pk]), data)
    assert response.status_code == 302 and response["Location"] == f"/meetings/{meeting.pk}/"
    meeting.refresh_from_db()
    assert (meeting.title, meeting.place, meeting.chair, meeting.kind) == (
        "December panel (moved)", "Town Hall", None, Kind.PANEL)
    assert timezone.localtime(meeting.held_at).strftime("%H:%M") == "10:15"
    assert list(meeting.attendees.all()) == [world.caseworker]
    assert meeting.agenda == agenda  # brought up to date only on request
    changes = AuditEvent.objects.get(action="update_meeting").detail["changes"]
    assert changes["title"] == ["December panel", "December panel (moved)"]
    assert changes["chair_id"] == [world.coordinator.pk, None]
    assert changes["attendees"] == [sorted([world.caseworker.pk, world.analyst.pk]),
                                    [world.caseworker.pk]]
    assert "programme" not in changes and "kind" not in changes

    for changes, message in (({"title": ""}, "Enter the meeting&#x27;s title"),
                             ({"held_time": "7pm"}, "Enter the time like 14:30"),
                             ({"chair": world.stranger.pk}, "Select the chair from the partner")):
        response = client.post(reverse("meeting_edit", args=[meeting.pk]), {**data, **changes})
        assert response.status_code == 400 and message in response.content.decode(), changes
    meeting.refresh_from_db()
    assert meeting.title == "December panel (moved)"
    assert AuditEvent.objects.filter(action="update_meeting").count() == 1


@pytest.mark.parametrize("who", ["analyst", "caseworker", "partner"])
def test_only_the_coordinator_or_chair_changes_a_meeting(client, world, who):
    meeting = create(world, attendees=[world.partner, world.caseworker, world.analyst])
    user = getattr(world, who)
    assert get(client, user, "meeting_edit", meeting.pk).status_code == 403
    assert "Change the meeting" not in get(client, user, "meeting", meeting.pk).content.decode()
    with pytest.raises(PermissionDenied):
        actions.update_meeting(user, meeting, title="Mine now", held_at=meeting.held_at)
    assert len(denied("update_meeting")) == 2
    # the chair manages the meeting, whatever their role
    chaired = create(world, title="Chaired", chair=user)
    assert get(client, user, "meeting_edit", chaired.pk).status_code == 200
    assert get(client, world.stranger, "meeting_edit", meeting.pk).status_code == 404


@pytest.mark.parametrize("who", ["analyst", "caseworker", "partner", "stranger"])
def test_only_coordinators_arrange_meetings_from_the_page(client, world, who):
    assert get(client, getattr(world, who), "meeting_new").status_code == 403
    assert "Arrange a meeting" not in get(client, getattr(world, who), "meetings"
                                          ).content.decode()


def _grow_meeting(world, meeting, n, tag):
    group = make_group(world.programme, f"G-{tag}", Status.ACTIVE, review_in_days=0)
    for i in range(n):
        person, entry = make_member(world.programme, f"P-{tag}-{i}")
        link(world.programme, world.school, person)  # the school's pupils
        entry.review_date = timezone.localdate()
        entry.group = group
        entry.save()
        make_member(world.programme, f"P-{tag}-NEW-{i}", Status.PROPOSED)
        make_event(f"E-{tag}-{i}", person, days_ago=1)
        make_action(world.programme, world.caseworker, world.coordinator, meeting=meeting,
                    entry=entry)
        CohortDecision.objects.create(entry=entry, from_status="proposed", to_status="active",
                                      reason="Agreed", meeting=meeting,
                                      decided_by=world.coordinator)
        if meeting.kind == Kind.CALL_IN:
            actions.invite(world.coordinator, meeting, Role.SUBJECT, person=person)
            actions.invite(world.coordinator, meeting, Role.COMMUNITY, name=f"Speaker {tag}{i}")
    if meeting.kind != Kind.CALL_IN:
        actions.regenerate_agenda(world.coordinator, meeting)


@pytest.mark.parametrize("kind", [Kind.PANEL, Kind.CALL_IN])
@pytest.mark.parametrize("who", ["coordinator", "caseworker", "partner"])
def test_the_meeting_page_query_count_does_not_grow(client, world, kind, who):
    meeting = create(world, kind=kind, held_at=soon(0), attendees=[world.partner])
    client.force_login(getattr(world, who))
    url = reverse("meeting", args=[meeting.pk])
    _grow_meeting(world, meeting, 2, "A")
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _grow_meeting(world, meeting, 12, "B")
    with CaptureQueriesContext(connection) as large:
        page = client.get(url).content.decode()
    assert "P-B-11" in page
    assert len(large.captured_queries) == len(small.captured_queries)


def test_an_unrelated_person_is_not_named_on_an_invitation_to_partners(client, world, call_in):
    actions.invite(world.coordinator, call_in, Role.SUBJECT, person=world.active)
    CohortEntry.objects.filter(person=world.active).update(status=Status.EXITED)
    call_in.attendees.add(world.partner)
    page = get(client, world.partner, "meeting", call_in.pk).content.decode()
    assert "P-ACTIVE" not in page and "A cohort member" in page
    assert make_person("P-SPARE").pk  # the world is intact

"""The demo programme's meetings: a past panel with two actions (one overdue) and an upcoming
call-in with its invitations; added once."""

from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from deter.web.demo.meetings import CALL_IN_MEMBERS, SPEAKERS
from deter.web.demo.world import create_demo_world
from deter.web.models import CallInInvitation, Intervention, Meeting, MeetingAction

from .factories import make_event, make_person, make_run


def demo_run():
    people = []
    for i in range(20):
        person = make_person(f"D-{i:02}")
        make_event(f"E-D-{i:02}", person, category="robbery", days_ago=10 + i)
        people.append(person)
    return make_run(people)


def test_the_demo_has_a_past_panel_with_actions_and_an_upcoming_call_in(db, client):
    create_demo_world(demo_run(), cohort_size=18)
    now, today = timezone.now(), timezone.localdate()

    panel = Meeting.objects.get(kind="panel")
    assert panel.held_at < now and panel.agenda["proposals"]
    actions = list(panel.actions.order_by("due"))
    assert len(actions) == 2
    assert actions[0].due < today and actions[0].owner.username == "caseworker"
    assert actions[1].due > today and actions[1].owner.username == "school"
    assert panel.decisions.filter(to_status="active").exists()

    call_in = Meeting.objects.get(kind="call_in")
    assert call_in.held_at > now
    assert call_in.invitations.filter(role="subject").count() == CALL_IN_MEMBERS
    assert call_in.invitations.exclude(role="subject").count() == len(SPEAKERS)
    assert Intervention.objects.filter(meeting=call_in, status="planned").count() == (
        CALL_IN_MEMBERS)

    client.force_login(User.objects.get(username="caseworker"))
    page = client.get(reverse("my_actions")).content.decode()
    assert "My actions (1 overdue)" in page
    assert client.get(reverse("meeting", args=[panel.pk])).status_code == 200


def test_the_demo_meetings_are_added_once(db):
    run = demo_run()
    create_demo_world(run, cohort_size=18)
    kinds = (Meeting, MeetingAction, CallInInvitation, Intervention)
    counts = [m.objects.count() for m in kinds]
    create_demo_world(run, cohort_size=18)
    assert [m.objects.count() for m in kinds] == counts

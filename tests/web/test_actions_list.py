"""My actions, the coordinator's overdue list, the status buttons and the navigation count."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from deter.web.models import AuditEvent, CohortEntry, MeetingAction

from .meetings_factories import make_action, make_group, make_meeting

Status = MeetingAction.Status


def page_of(client, user, name="my_actions") -> tuple[int, str]:
    client.force_login(user)
    response = client.get(reverse(name))
    return response.status_code, response.content.decode()


def test_my_actions_lists_open_actions_overdue_first_then_recently_done(client, world):
    make_action(world.programme, world.caseworker, world.coordinator, 10, description="Later one")
    make_action(world.programme, world.caseworker, world.coordinator, -5, description="Late one")
    make_action(world.programme, world.caseworker, world.coordinator, 2, description="Soon one")
    done = make_action(world.programme, world.caseworker, world.coordinator, -1,
                       status=Status.DONE, description="Finished one")
    done.completed_at = timezone.now() - timedelta(days=2)
    done.save()
    old = make_action(world.programme, world.caseworker, world.coordinator, -90,
                      status=Status.DONE, description="Ancient one")
    old.completed_at = timezone.now() - timedelta(days=60)
    old.save()
    make_action(world.programme, world.caseworker, world.coordinator, 1,
                status=Status.CANCELLED, description="Dropped one")
    make_action(world.programme, world.partner, world.coordinator, -3,
                description="The school's one")

    status, page = page_of(client, world.caseworker)

    assert status == 200
    positions = [page.index(text) for text in ("Late one", "Soon one", "Later one",
                                               "Finished one")]
    assert positions == sorted(positions)
    assert "Ancient one" not in page and "Dropped one" not in page
    assert "The school&#x27;s one" not in page
    assert "My actions (1 overdue)" in page
    row = AuditEvent.objects.get(action="view_my_actions")
    assert len(row.detail["actions"]) == 4


def test_my_actions_link_the_meeting_and_person_only_where_visible(client, world):
    meeting = make_meeting(world.programme, world.coordinator, title="December panel")
    entry = CohortEntry.objects.get(programme=world.programme, person=world.active)
    make_action(world.programme, world.partner, world.coordinator, meeting=meeting, entry=entry,
                description="Check attendance")
    _, page = page_of(client, world.partner)
    assert "December panel" in page and f'href="/meetings/{meeting.pk}/"' not in page
    assert f'href="/people/{world.active.pk}/"' in page

    meeting.attendees.add(world.partner)
    _, page = page_of(client, world.partner)
    assert f'href="/meetings/{meeting.pk}/"' in page


def test_a_user_with_no_actions_is_told_so(client, world):
    status, page = page_of(client, world.stranger)
    assert status == 200 and "You have no open actions" in page
    assert "overdue)" not in page


def test_the_coordinator_sees_every_overdue_action_of_their_programmes(client, world):
    make_action(world.programme, world.caseworker, world.coordinator, -4, description="Late A")
    make_action(world.programme, world.partner, world.coordinator, -1, description="Late B")
    make_action(world.programme, world.partner, world.coordinator, 0, description="Due today")
    make_action(world.programme, world.partner, world.coordinator, -3, status=Status.DONE,
                description="Done late")
    make_action(world.police_only_programme, world.analyst, world.analyst, -9,
                description="Other programme")

    status, page = page_of(client, world.coordinator, "overdue_actions")

    assert status == 200
    assert page.index("Late A") < page.index("Late B")
    assert "Due today" not in page and "Done late" not in page and "Other programme" not in page
    assert "2 open actions past their due dates" in page
    assert "caseworker" in page and "partner" in page


@pytest.mark.parametrize("who", ["analyst", "caseworker", "partner", "stranger"])
def test_only_coordinators_see_the_overdue_list(client, world, who):
    status, page = page_of(client, getattr(world, who), "overdue_actions")
    assert status == 403
    assert AuditEvent.objects.filter(action="view_overdue_actions", outcome="denied").exists()
    _, mine = page_of(client, getattr(world, who))
    assert "Overdue in my programmes" not in mine


def post_status(client, user, action, status, next_url=""):
    client.force_login(user)
    return client.post(reverse("action_status", args=[action.pk]),
                       {"status": status, "next": next_url})


def test_the_owner_marks_their_action_done_from_my_actions(client, world):
    action = make_action(world.programme, world.caseworker, world.coordinator, -2)
    response = post_status(client, world.caseworker, action, "done", "/actions/")
    assert response.status_code == 302 and response["Location"] == "/actions/"
    action.refresh_from_db()
    assert action.status == "done" and action.completed_at is not None
    page = client.get(response["Location"]).content.decode()
    assert "Action marked as done" in page and "overdue)" not in page


def test_status_changes_refused_for_others(client, world):
    action = make_action(world.programme, world.caseworker, world.coordinator)
    # the analyst sees the programme's actions but does not own this one
    assert post_status(client, world.analyst, action, "done").status_code == 403
    # the school does not even see it
    assert post_status(client, world.partner, action, "done").status_code == 404
    assert post_status(client, world.stranger, action, "done").status_code == 404
    action.refresh_from_db()
    assert action.status == "open"
    assert AuditEvent.objects.filter(action="set_action_status", outcome="denied").count() == 3


def test_a_bad_status_or_an_unsafe_return_address(client, world):
    action = make_action(world.programme, world.caseworker, world.coordinator)
    assert post_status(client, world.caseworker, action, "finished").status_code == 400
    action.refresh_from_db()
    assert action.status == "open"
    response = post_status(client, world.caseworker, action, "done", "https://evil.example/")
    assert response["Location"] == "/actions/"


def test_my_actions_query_count_does_not_grow(client, world):
    client.force_login(world.caseworker)
    entry = CohortEntry.objects.get(programme=world.programme, person=world.active)
    meeting = make_meeting(world.programme, world.coordinator)

    def grow(n):
        for i in range(n):
            make_action(world.programme, world.caseworker, world.coordinator, i - n // 2,
                        meeting=meeting, entry=entry)
            done = make_action(world.programme, world.caseworker, world.coordinator, -1,
                               status=Status.DONE)
            done.completed_at = timezone.now()
            done.save()

    grow(2)
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("my_actions"))
    grow(15)
    with CaptureQueriesContext(connection) as large:
        page = client.get(reverse("my_actions")).content.decode()
    assert page.count("Mark as done") == 17
    assert len(large.captured_queries) == len(small.captured_queries)


def test_the_overdue_list_query_count_does_not_grow(client, world):
    client.force_login(world.coordinator)
    make_action(world.programme, world.caseworker, world.coordinator, -3)
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("overdue_actions"))
    for _ in range(12):
        make_action(world.programme, world.partner, world.coordinator, -3)
    with CaptureQueriesContext(connection) as large:
        client.get(reverse("overdue_actions"))
    assert len(large.captured_queries) == len(small.captured_queries)


def test_the_navigation_counts_overdue_actions_in_one_query(client, world):
    for _ in range(3):
        make_action(world.programme, world.coordinator, world.coordinator, -1)
    client.force_login(world.coordinator)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("meetings")).content.decode()
    assert "My actions (3 overdue)" in page
    counting = [q for q in queries.captured_queries
                if "COUNT" in q["sql"].upper() and "deter_meetingaction" in q["sql"]]
    assert len(counting) == 1


def test_a_group_is_named_only_to_those_who_see_cohort_groups(client, world):
    group = make_group(world.programme, "G-NORTH", name="Northside boys")
    make_action(world.programme, world.partner, world.coordinator, description="Talk to head",
                group=group)
    make_action(world.programme, world.caseworker, world.coordinator, description="Visit",
                group=group)
    _, page = page_of(client, world.partner)
    assert "Talk to head" in page and "Northside boys" not in page
    _, page = page_of(client, world.caseworker)
    assert "Visit" in page and "(group Northside boys)" in page

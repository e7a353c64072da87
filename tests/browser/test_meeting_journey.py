"""Meetings in the browser: a coordinator arranges a panel, sees its generated agenda and adds
an action that the caseworker then finds in "My actions" and marks done; and a call-in with
invitations, attendance and the call-in on the person's page."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from deter.web.models import CallInInvitation, Intervention, Meeting, MeetingAction
from web.factories import make_event, make_world
from web.meetings_factories import make_member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(db):
    world = make_world()
    make_event("E-RECENT-STABBING", world.active, days_ago=3)
    return world


def sign_in(page, username: str) -> None:
    page.goto("/sign-in/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(f"{username}-password-123")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text(f"Signed in as {username}")).to_be_visible()


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/sign-in/"))


def fill_date(page, group: str, day) -> None:
    dates = page.get_by_role("group", name=group)
    dates.get_by_label("Day").fill(str(day.day))
    dates.get_by_label("Month").fill(str(day.month))
    dates.get_by_label("Year").fill(str(day.year))


def arrange(page, kind: str, title: str, day) -> None:
    page.get_by_role("link", name="Meetings").click()
    page.get_by_role("button", name="Arrange a meeting").click()
    expect(page.get_by_role("heading", name="Arrange a meeting")).to_be_visible()
    page.get_by_label(kind).check()
    page.get_by_label("Title").fill(title)
    fill_date(page, "Date", day)
    page.get_by_label("Time").fill("10:00")
    page.get_by_label("Place").fill("Civic Centre, room 2")


def test_a_panel_with_its_agenda_and_an_action_done_by_the_caseworker(page, screenshot, world):
    today = timezone.localdate()
    sign_in(page, "coordinator")
    arrange(page, "Multi-agency panel", "December panel", today + timedelta(days=3))
    page.get_by_label("caseworker").check()
    # a bad time first: an error naming the field, nothing saved
    page.get_by_label("Time").fill("25:99")
    page.get_by_role("button", name="Arrange meeting").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the time like 14:30")
    assert not Meeting.objects.exists()
    page.get_by_label("Time").fill("10:00")
    page.get_by_role("button", name="Arrange meeting").click()

    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Meeting arranged: December panel")
    expect(page.get_by_role("heading", name="December panel", level=1)).to_be_visible()
    proposals = page.locator("#agenda-proposals + .deter-table-scroll")
    expect(proposals).to_contain_text("P-PROPOSED")
    violence = page.locator("#agenda-violence + .deter-table-scroll")
    expect(violence).to_contain_text("E-RECENT-STABBING")
    expect(violence.get_by_role("link", name="P-ACTIVE")).to_have_attribute(
        "href", f"/people/{world.active.pk}/")
    expect(page.get_by_role("button", name="Record decisions")).to_have_attribute(
        "href", re.compile(rf"/programmes/{world.programme.pk}/panel/\?meeting=\d+$"))
    screenshot("meeting-01-panel-agenda")

    page.get_by_label("Action", exact=True).fill("Refer P-ACTIVE to the boxing club mentoring")
    page.get_by_label("Owner").select_option(label="caseworker")
    page.get_by_label("About a person").select_option(label="P-ACTIVE (active)")
    fill_date(page, "Due date", today - timedelta(days=1))
    page.get_by_role("button", name="Add action").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "The due date must be today or in the future")
    assert not MeetingAction.objects.exists()
    fill_date(page, "Due date", today + timedelta(days=7))
    page.get_by_role("button", name="Add action").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Action added for caseworker")
    actions = page.locator("#actions + .deter-table-scroll")
    expect(actions).to_contain_text("Refer P-ACTIVE to the boxing club mentoring")
    expect(actions).to_contain_text("Open")
    screenshot("meeting-02-action-added")
    assert page.problems == []
    sign_out(page)

    sign_in(page, "caseworker")
    page.get_by_role("link", name="My actions").click()
    expect(page.get_by_role("heading", name="My actions")).to_be_visible()
    row = page.locator("tr", has_text="Refer P-ACTIVE to the boxing club mentoring")
    expect(row).to_contain_text("December panel")
    screenshot("meeting-03-my-actions")
    row.get_by_role("button", name=re.compile("^Mark as done")).click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Action marked as done")
    expect(page.get_by_text("You have no open actions")).to_be_visible()
    done = page.locator("table", has_text="Done in the last 30 days")
    expect(done).to_contain_text("Refer P-ACTIVE to the boxing club mentoring")
    screenshot("meeting-04-done")
    action = MeetingAction.objects.get()
    assert action.status == "done" and action.completed_at is not None
    assert page.problems == []


def test_a_call_in_with_invitations_and_attendance(page, screenshot, world):
    second, _ = make_member(world.programme, "P-SECOND")
    today = timezone.localdate()
    sign_in(page, "coordinator")
    arrange(page, "Call-in", "Eastgate call-in", today)
    page.get_by_role("button", name="Arrange meeting").click()
    expect(page.get_by_role("heading", name="Invitations and attendance")).to_be_visible()
    expect(page.get_by_role("heading", name="Agenda")).to_have_count(0)

    for person_id in ("P-ACTIVE", "P-SECOND"):
        page.get_by_role("radio", name="Cohort member").check()
        page.get_by_label("Which cohort member").select_option(label=person_id)
        page.get_by_role("button", name="Invite").click()
        expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
            f"Invited: {person_id}")
    page.get_by_label("Community speaker").check()
    page.get_by_label("Name and role").fill("Pastor Ade, Eastgate Church")
    page.get_by_role("button", name="Invite").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Invited: Pastor Ade, Eastgate Church")
    # a person outside the cohort cannot be chosen, and a speaker needs a name
    page.get_by_label("Police speaker").check()
    page.get_by_role("button", name="Invite").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the name and role")
    assert CallInInvitation.objects.count() == 3
    page.get_by_role("button", name="Attended (P-ACTIVE)").click()
    page.get_by_role("button", name="Did not attend (P-SECOND)").click()
    page.get_by_role("button", name="Attended (Pastor Ade, Eastgate Church)").click()
    counts = page.locator("#attendance-counts")
    expect(counts).to_contain_text("2 invited, 1 attended, 1 did not attend")
    expect(counts).to_contain_text("3 invited, 2 attended, 1 did not attend, 0 not yet recorded")
    members = page.locator("table", has_text="P-SECOND")
    expect(members.locator("tr", has_text="P-SECOND")).to_contain_text("Did not attend")
    screenshot("meeting-05-call-in")
    assert page.problems == []

    page.get_by_role("link", name="P-ACTIVE").click()
    expect(page.get_by_role("heading", name="P-ACTIVE", level=1)).to_be_visible()
    expect(page.get_by_text("Call-in: Eastgate call-in").first).to_be_visible()
    screenshot("meeting-06-person-call-in")
    assert Intervention.objects.get(person=world.active).status == "completed"
    assert Intervention.objects.get(person=second).status == "declined"
    assert page.problems == []

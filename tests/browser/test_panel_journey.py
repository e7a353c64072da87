"""The panel in the browser: the coordinator brings the latest analysis's proposals, accepts one
person on their own decision page with a rationale, lead professional and review date,
rejects another, and reads the
decision history; the caseworker then finds the accepted person in the cohort."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from deter.web.models import AuditEvent, CohortDecision, CohortEntry, PersonScore
from web.factories import make_event, make_person, make_run, make_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(db):
    world = make_world()
    newcomers = []
    for i, category in enumerate(("violence and sexual offences", "robbery"), start=1):
        person = make_person(f"P-NEW-{i}", age=15 + i)
        make_event(f"E-NEW-{i}", person, category=category, days_ago=12 * i)
        newcomers.append(person)
    run = make_run([world.active, *newcomers],
                   group_of={"P-NEW-1": "G7", "P-NEW-2": "G7", "P-ACTIVE": "G7"})
    PersonScore.objects.filter(run=run, person__in=newcomers).update(
        proposed=True, criteria_met=["violent offence in 24 months"])
    world.newcomers = newcomers
    return world


def sign_in(page, username: str) -> None:
    page.goto("/sign-in/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(f"{username}-password-123")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text(f"Signed in as {username}")).to_be_visible()


def fill_date(scope, group: str, day) -> None:
    dates = scope.get_by_role("group", name=group)
    dates.get_by_label("Day").fill(str(day.day))
    dates.get_by_label("Month").fill(str(day.month))
    dates.get_by_label("Year").fill(str(day.year))


def test_the_panel_accepts_and_rejects_and_the_caseworker_sees_the_result(
    page, screenshot, world
):
    accepted, rejected = world.newcomers
    review = timezone.localdate() + timedelta(days=90)

    sign_in(page, "coordinator")
    page.get_by_role("link", name="Programmes").click()
    expect(page.get_by_role("heading", name="Programmes", level=1)).to_be_visible()
    page.get_by_role("link", name="Knife crime").click()
    expect(page.get_by_role("heading", name="Knife crime", level=1)).to_be_visible()
    screenshot("panel-01-overview")

    page.get_by_role("button", name="Bring proposals from the latest analysis").click()
    expect(page).to_have_url(re.compile(r"/programmes/\d+/panel/$"))
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "2 people brought to the panel")
    entry = CohortEntry.objects.get(person=accepted)
    card = page.locator(f"#person-{entry.pk}")
    expect(card).to_contain_text("violent offence in 24 months")
    expect(card).to_contain_text("Violence and sexual offences")
    screenshot("panel-02-proposals")

    # Each decision is on the person's own panel page; accepting without a lead professional
    # is refused there, naming the field; nothing is saved.
    card.get_by_role("link", name="Record a decision about P-NEW-1").click()
    expect(page.get_by_role("heading", name="Decision about P-NEW-1", level=1)).to_be_visible()
    form = page.locator("#main-content form")
    expect(page.locator("#main-content")).to_contain_text("violent offence in 24 months")
    form.get_by_label("Accept into the cohort").check()
    form.get_by_label("Rationale or reason").fill(
        "Serious violence within the last month; group G7 in conflict")
    fill_date(form, "Review date", review)
    form.get_by_role("button", name="Record the decision").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Select the lead professional")
    expect(summary).to_be_focused()
    assert not CohortDecision.objects.filter(entry=entry, to_status="active").exists()
    screenshot("panel-03-error")

    form = page.locator("#main-content form")
    form.get_by_label("Lead professional").select_option(label="caseworker")
    form.get_by_role("button", name="Record the decision").click()
    expect(page).to_have_url(re.compile(r"/programmes/\d+/panel/(\?[^#]*)?#people$"))
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "P-NEW-1: accept into the cohort")
    expect(page.locator(f"#person-{entry.pk}")).to_have_count(0)

    other = CohortEntry.objects.get(person=rejected)
    page.locator(f"#person-{other.pk}").get_by_role(
        "link", name="Record a decision about P-NEW-2").click()
    form = page.locator("#main-content form")
    form.get_by_label("Reject").check()
    form.get_by_label("Rationale or reason").fill("Victim in the incident, not an offender")
    form.get_by_role("button", name="Record the decision").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "P-NEW-2: reject")
    screenshot("panel-04-decided")

    page.goto(f"/cohort/entries/{entry.pk}/")
    expect(page.get_by_role("heading", name="Plan for P-NEW-1")).to_be_visible()
    history = page.locator("table", has_text="Decided by").locator("tbody tr")
    expect(history).to_have_count(2)
    expect(history.nth(0)).to_contain_text("Proposed to Active")
    expect(history.nth(0)).to_contain_text("Serious violence within the last month")
    expect(history.nth(0)).to_contain_text("coordinator")
    expect(history.nth(1)).to_contain_text("Proposed by analysis run")
    expect(page.get_by_text("must have a defined support offer")).to_be_visible()
    screenshot("panel-05-plan")
    assert page.problems == []

    entry.refresh_from_db()
    assert (entry.status, entry.lead_professional.username, entry.review_date) == (
        "active", "caseworker", review)
    assert CohortEntry.objects.get(person=rejected).status == "rejected"
    assert AuditEvent.objects.filter(action="decide", outcome="allowed").count() == 2

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "caseworker")
    page.goto("/cohort/")
    row = page.locator("tbody tr", has_text="P-NEW-1")
    expect(row).to_contain_text("Active")
    expect(page.locator("tbody tr", has_text="P-NEW-2")).to_have_count(0)
    row.get_by_role("link", name="P-NEW-1").click()
    page.get_by_role("link", name="Plan and decision history in Knife crime").click()
    expect(page.get_by_role("heading", name="Plan for P-NEW-1")).to_be_visible()
    expect(page.get_by_role("heading", name="Change the status")).to_have_count(0)
    expect(page.get_by_role("heading", name="Change the plan")).to_be_visible()  # the lead
    screenshot("panel-06-caseworker")
    assert page.problems == []

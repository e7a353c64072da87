"""A VRU coordinator signs in, opens the cohort and a person, and records an intervention."""

import re

import pytest
from playwright.sync_api import expect

from deter.web.demo.world import create_demo_world
from deter.web.models import AuditEvent, CohortEntry, Intervention
from web.factories import make_event, make_person, make_run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(db):
    people = []
    categories = ("violence and sexual offences", "robbery", "possession of weapons", "burglary")
    for i in range(40):
        person = make_person(f"DEMO-{i:03}", age=14 + i % 9)
        for j in range(1 + i % 3):
            make_event(f"E-{i:03}-{j}", person, category=categories[(i + j) % 4],
                       days_ago=20 + 37 * j + i)
        if i % 4 == 0:
            make_event(f"E-{i:03}-V", person, role="victim", days_ago=60 + i)
        people.append(person)
    run = make_run(people, group_of={p.person_id: f"G{i % 5 + 1}" for i, p in enumerate(people)})
    logins = {login.username: login for login in create_demo_world(run, cohort_size=30)}
    return logins


def test_a_coordinator_records_an_intervention(page, screenshot, demo):
    coordinator = demo["coordinator"]

    page.goto("/")
    expect(page).to_have_url(re.compile(r"/sign-in/\?next=/$"))
    expect(page.get_by_role("heading", name="Sign in to Deter")).to_be_visible()
    screenshot("01-sign-in")

    page.get_by_label("Username").fill(coordinator.username)
    page.get_by_label("Password").fill(coordinator.password)
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(re.compile(r"/cohort/$"))
    expect(page.get_by_role("heading", name="Cohort", exact=True)).to_be_visible()
    expect(page.get_by_text("OFFICIAL-SENSITIVE").first).to_be_visible()
    screenshot("02-cohort")

    first = page.locator("table.govuk-table tbody th a").first
    person_id = first.inner_text()
    first.click()
    expect(page.get_by_role("heading", name=person_id, level=1)).to_be_visible()
    expect(page.get_by_text("Events behind the harm score")).to_be_visible()
    screenshot("03-person")

    # Submitting without a title shows the error summary and saves nothing. (The demo world
    # holds interventions of its own: call-in invitations, referrals, an order.)
    before = set(Intervention.objects.values_list("pk", flat=True))
    added_before = AuditEvent.objects.filter(action="add_intervention", outcome="allowed").count()
    page.get_by_label("Support").check()
    page.get_by_label("Agency providing it").select_option(label="Demoshire Children's Social Care")
    page.get_by_role("button", name="Add intervention").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter what is offered or done")
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    screenshot("04-person-error")
    assert set(Intervention.objects.values_list("pk", flat=True)) == before

    page.get_by_label("What is offered or done").fill("Boxing club mentoring with a youth worker")
    page.get_by_label("Status").select_option(label="Referred")
    dates = page.get_by_role("group", name="Start date")
    dates.get_by_label("Day").fill("2")
    dates.get_by_label("Month").fill("3")
    dates.get_by_label("Year").fill("2026")
    page.get_by_label("Outcome or notes").fill("Referral accepted; first session next week")
    page.get_by_role("button", name="Add intervention").click()

    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Intervention added: Boxing club mentoring with a youth worker")
    row = page.locator("#interventions + .deter-table-scroll tbody tr").first
    expect(row).to_contain_text("Boxing club mentoring with a youth worker")
    expect(row).to_contain_text("Demoshire Children's Social Care")
    expect(row).to_contain_text("Referred")
    expect(row).to_contain_text("2 Mar 2026")
    screenshot("05-person-added")

    intervention = Intervention.objects.exclude(pk__in=before).get()
    assert intervention.person.person_id == person_id
    assert intervention.created_by.username == "coordinator"
    assert AuditEvent.objects.filter(
        action="add_intervention", outcome="allowed").count() == added_before + 1
    assert AuditEvent.objects.filter(action="view_person", actor=intervention.created_by,
                                     object_id=str(intervention.person.pk)).count() == 3

    # Our styles are served and applied, GOV.UK Frontend's JS ran, the CSP held, and the
    # GDS Transport font was never used or downloaded.
    assert page.evaluate("getComputedStyle(document.body).fontFamily").startswith("system-ui")
    # the compiled GOV.UK stylesheet is applied: the success banner has its green border
    assert page.evaluate(
        "getComputedStyle(document.querySelector('.govuk-notification-banner--success'))"
        ".borderTopColor") == "rgb(15, 122, 82)"
    assert page.evaluate("document.body.classList.contains('govuk-frontend-supported')")
    assert page.fonts_requested == []
    assert page.problems == []

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/cohort/")
    expect(page.get_by_role("button", name="Menu")).to_be_visible()
    screenshot("07-cohort-mobile")


def test_the_outside_agency_user_sees_nobody_and_cannot_open_a_person(page, screenshot, demo):
    housing = demo["housing"]
    page.goto("/sign-in/")
    page.get_by_label("Username").fill(housing.username)
    page.get_by_label("Password").fill(housing.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("There are no people in this analysis that you can see")
           ).to_be_visible()

    person = CohortEntry.objects.filter(status="active").first().person
    response = page.goto(f"/people/{person.pk}/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    screenshot("06-not-found")
    assert AuditEvent.objects.filter(actor__username="housing", outcome="denied").count() == 1

"""A caseworker opens a child's page: the safeguarding warning first, harm over time, and the
timeline filtered by kind with plain links."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from deter.web.models import CohortEntry, PersonLink

from .records import make_records, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_caseworker_reads_a_childs_timeline(page, live_server, screenshot):
    records = make_records()
    world = records.world
    sign_in(page.context, live_server, world.caseworker)
    page.goto(reverse("person", args=[world.active.pk]))

    safeguarding = page.locator("#safeguarding")
    expect(safeguarding).to_contain_text("Child")
    expect(safeguarding).to_contain_text("No safeguarding status recorded in Knife crime")
    expect(page.get_by_role("img", name="Harm over time for P-ACTIVE")).to_be_visible()
    screenshot("20-person-child")

    timeline = page.get_by_role("region", name="Timeline")
    expect(timeline).to_contain_text("Breach of Acceptable Behaviour Agreement")
    expect(timeline).to_contain_text("Suspect: Violence and sexual offences")
    filters = page.get_by_role("navigation", name="Filter the timeline")
    filters.get_by_role("link", name=re.compile(r"^Decisions \(1\)$")).click()
    expect(page).to_have_url(re.compile(r"\?show=decisions#timeline$"))
    rows = page.get_by_role("region", name="Timeline").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Knife crime: Proposed to Active")
    rows.first.get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/cohort/entries/{records.entry.pk}/$"))

    # recording the status on the plan clears the warning
    CohortEntry.objects.filter(pk=records.entry.pk).update(safeguarding="child_in_need")
    page.goto(reverse("person", args=[world.active.pk]))
    expect(page.locator("#safeguarding")).to_contain_text("Child in need")
    expect(page.get_by_text("No safeguarding status recorded")).to_have_count(0)
    assert page.problems == []


def test_a_school_user_sees_no_police_detail_in_the_timeline(page, live_server):
    records = make_records()
    sign_in(page.context, live_server, records.world.partner)
    page.goto(reverse("person", args=[records.world.active.pk]))
    expect(page.get_by_text("Police-held events and group violence flags are not shared "
                            "with you.")).to_be_visible()
    filters = page.get_by_role("navigation", name="Filter the timeline")
    expect(filters.get_by_role("link", name="Events (0)")).to_be_visible()
    timeline = page.get_by_role("region", name="Timeline")
    expect(timeline).to_contain_text("Boxing club mentoring")
    expect(timeline).not_to_contain_text("Suspect")
    expect(page.get_by_role("heading", name="Harm over time")).to_have_count(0)
    assert page.problems == []


@pytest.fixture
def demo(db):
    from deter.web.demo.world import create_demo_world
    from web.factories import make_event, make_person, make_run

    people = []
    categories = ("violence and sexual offences", "robbery", "possession of weapons", "burglary")
    for i in range(30):
        person = make_person(f"DEMO-{i:03}", age=14 + i % 9)
        for j in range(1 + i % 3):
            make_event(f"E-{i:03}-{j}", person, category=categories[(i + j) % 4],
                       days_ago=20 + 37 * j + i)
        people.append(person)
    run = make_run(people, group_of={p.person_id: f"G{i % 3 + 1}" for i, p in enumerate(people)})
    return {login.username: login for login in create_demo_world(run, cohort_size=20)}


def test_every_demo_login_reads_an_active_persons_page_accessibly(page, demo):
    """The demo world's own casework (decisions, referrals, orders, letters, flags) on the
    person page, signed in through the sign-in page as each demo user who may see it."""
    from .test_accessibility import axe_violations, readable

    # one of the school's pupils, so that the school, which sees only its own, may read it too
    pupils = PersonLink.objects.filter(agency__kind="school", ended_at__isnull=True)
    entry = (CohortEntry.objects.filter(status="active", person__in=pupils.values("person"))
             .order_by("pk").first())
    assert entry, "the demo links the school to an active pupil"
    path = reverse("person", args=[entry.person_id])
    for username in ("analyst", "coordinator", "caseworker", "school"):
        page.context.clear_cookies()
        page.goto(reverse("login"))
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(demo[username].password)
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(re.compile(r"/cohort/$"))
        page.goto(path)
        expect(page.get_by_role("heading", name="Timeline")).to_be_visible()
        assert readable(f"{username} {path}", axe_violations(page)) == []
    assert page.problems == []

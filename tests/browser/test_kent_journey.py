"""The Kent case replayed in the browser, from an empty programme to one child left on a plan:
the coordinator starts a programme, proposes the planted emerging group's eight children (known
only for anti-social behaviour, so the analysis never proposes them) and their group by hand,
each dated from the panel's minutes; the panel accepts the group and all eight in January,
steps down all but a core of three in July and two more in October; the programme report then
shows the cohort narrowing and the group's anti-social behaviour before and after, as the
planted truth says."""

from datetime import date, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from deter.analysis.synth.emerging import PHASE_INCIDENTS, STEPS
from deter.web.demo.world import create_demo_world
from deter.web.models import CohortEntry, CohortGroup, Programme
from web.factories import import_emerging_group

from .test_casework_journey import fill_date, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MINUTES = "Entered from the panel's minutes"
PROPOSED_ON = date(2025, 12, 1)
ONE_ON = date(2026, 10, 1)


@pytest.fixture
def kent():
    """The demo world (first programme only) with the planted group's children and incidents
    imported and scored as one found group."""
    run, truth = import_emerging_group()
    logins = {login.username: login for login in create_demo_world(run, cohort_size=4)}
    return logins, truth


def earlier_day(scope, group: str, day: date) -> None:
    scope.get_by_text("Made on an earlier day?").click()
    fill_date(scope, group, day)
    scope.get_by_label("Why it is recorded later").fill(MINUTES)


def decide(page, link: str, decision: str, reason: str, day: date, review: date,
           lead: bool) -> None:
    page.get_by_role("link", name=link).click()
    form = page.locator("#main-content form")
    form.get_by_label(decision).check()
    form.get_by_label("Rationale or reason").fill(reason)
    if lead:
        form.get_by_label("Lead professional").select_option(index=1)
    fill_date(form, "Review date", review)
    earlier_day(form, "Date of the decision", day)
    form.get_by_role("button", name="Record the decision").click()
    expect(page.locator(".govuk-notification-banner--success")).to_be_visible()


def test_the_kent_case_from_an_empty_programme_to_one_child_on_a_plan(page, screenshot, kent):
    logins, truth = kent
    sign_in(page, logins["coordinator"])
    page.goto("/programmes/new/")
    page.get_by_label("Programme name").fill("Eastcliffe station group")
    page.get_by_label("The problem").fill("An emerging group of children: anti-social "
                                          "behaviour at the station since October")
    page.get_by_label("Area", exact=True).fill("Eastcliffe")
    fill_date(page, "Start date", date(2025, 10, 1))
    page.get_by_label("Demoshire Violence Reduction Unit").check()
    page.get_by_label("Support-led").check()
    page.get_by_role("group", name="Does the programme hold call-ins?").get_by_label(
        "No", exact=True).check()
    page.get_by_role("button", name="Start programme").click()
    expect(page.get_by_role("heading", name="Eastcliffe station group", level=1)).to_be_visible()
    programme = Programme.objects.get(name="Eastcliffe station group")
    panel = f"/programmes/{programme.pk}/panel/"

    # The analysis found them but proposed none of them: the coordinator proposes each child.
    for pid in truth.members:
        page.goto(f"/programmes/{programme.pk}/panel/propose/?person_id={pid}")
        page.get_by_label("Why the panel should consider them").fill(
            "Named with the others of the station group in most of the anti-social "
            "behaviour there since October")
        page.locator("input[name=evidence]").first.check()
        fill_date(page, "Decide by", STEPS[0])
        earlier_day(page, "Date of the proposal", PROPOSED_ON)
        page.get_by_role("button", name=f"Propose {pid}").click()
        expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
            f"{pid} proposed to the panel by you")
    page.goto(f"/programmes/{programme.pk}/panel/propose-group/")
    page.get_by_label("Label", exact=True).fill("KENT-01")
    page.get_by_label("Name (optional)").fill("The station group")
    page.get_by_label("Members").fill(", ".join(truth.members))
    page.get_by_label("Why the panel should consider the group").fill(
        "Eight children aged 14 to 16, named together in the station's anti-social behaviour")
    fill_date(page, "Decide by", STEPS[0])
    earlier_day(page, "Date of the proposal", PROPOSED_ON)
    page.get_by_role("button", name="Propose the group").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Group The station group proposed")
    screenshot("kent-01-proposals")

    # January: the panel accepts the group and all eight, dated from its minutes.
    review = STEPS[0] + timedelta(days=91)
    page.goto(panel)
    decide(page, "Record a decision about group The station group", "Accept into the cohort",
           "The whole group, together", STEPS[0], review, lead=True)
    for pid in truth.members:
        decide(page, f"Record a decision about {pid}", "Accept into the cohort",
               "Agreed with the whole station group", STEPS[0], review, lead=True)
    assert CohortEntry.objects.filter(programme=programme, status="active").count() == 8

    # July: all but the core of three step down; October: two more.
    core = set(truth.core)
    for day, leaving in ((STEPS[1], [p for p in truth.members if p not in core]),
                         (ONE_ON, [p for p in truth.core if p != truth.last])):
        for pid in leaving:
            entry = CohortEntry.objects.get(programme=programme, person__person_id=pid)
            page.goto(f"/cohort/entries/{entry.pk}/")
            form = page.locator("#main-content form", has_text="Step down")
            form.get_by_label("Step down").check()
            form.get_by_label("Rationale or reason").fill("No incidents for three months")
            fill_date(form, "Review date", day + timedelta(days=91))
            earlier_day(form, "Date of the decision", day)
            form.get_by_role("button", name="Record the decision").click()
            expect(page.locator(".govuk-notification-banner--success")).to_be_visible()
    left = CohortEntry.objects.get(programme=programme, status="active")
    assert left.person.person_id == truth.last
    assert CohortGroup.objects.get(programme=programme).status == "active"

    # The programme report: the cohort narrowing, the group's ASB either side of January.
    page.goto(f"/programmes/{programme.pk}/report/")
    cohort = page.locator("#table-cohort")
    for month, cells in (("Jan 2026", ["8", "0", "0", "8", "1"]),
                         ("Jul 2026", ["0", "5", "0", "3", "1"]),
                         ("Oct 2026", ["0", "2", "0", "1", "1"])):
        row = cohort.locator("tr", has=page.get_by_role("rowheader", name=month))
        expect(row.locator("td")).to_have_text(cells)
    today = timezone.localdate()
    this_month = f"{today:%b %Y}"
    expect(cohort.locator("tr", has=page.get_by_role("rowheader", name=this_month))
           .locator("td").nth(3)).to_have_text("1")
    group = page.locator("#table-groups tr", has_text="The station group (8 members)")
    cells = group.locator("td")
    expect(cells.nth(0)).to_have_text("15 Jan 2026")
    expect(cells.nth(5)).to_have_text(str(PHASE_INCIDENTS[0]))  # ASB before
    expect(cells.nth(6)).to_have_text(str(sum(PHASE_INCIDENTS[1:])))  # ASB after
    screenshot("kent-02-report")
    assert page.problems == []

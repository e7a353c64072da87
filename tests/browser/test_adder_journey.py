"""The drug-market pathway in the browser (issue 16): a person arrested and brought into
custody is referred into treatment by the drug worker there, the treatment start recorded,
and twelve weeks on the ADDER dashboard shows the arrest, the referral from the criminal
justice system and the person retained in treatment."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from deter.web.actions import interventions
from deter.web.models import Intervention, TreatmentReferral
from web.drug_market_factories import make_adder
from web.factories import make_world

from .test_casework_journey import fill_date

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def market(db):
    world = make_world()
    market = make_adder(world)
    arrested = timezone.localdate() - timedelta(days=100)
    interventions.add_intervention(
        world.analyst, market.person, market.programme, Intervention.Kind.ENFORCEMENT,
        "Arrested for possession with intent to supply", world.police,
        status=Intervention.Status.COMPLETED, start=arrested,
        category=Intervention.Category.ARREST)
    return world, market, arrested


def sign_in(page, user):
    page.goto("/sign-in/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(f"{user.username}-password-123")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/cohort/$"))


def test_a_custody_arrest_leads_to_treatment_and_12_week_retention(page, screenshot, market):
    world, market, arrested = market
    started = arrested + timedelta(days=5)
    sign_in(page, market.drug_worker)
    page.goto(f"/people/{market.person.pk}/")
    page.get_by_role("link", name="Drug treatment and harm reduction in Drug market ADDER").click()
    expect(page.get_by_role("heading", name="Drug treatment and harm reduction")).to_be_visible()

    # the drug worker in custody refers the arrested person the day of the arrest
    page.get_by_label("Police custody (arrest referral)").check()
    fill_date(page, "Date of referral", arrested)
    page.get_by_role("button", name="Refer into treatment").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Referral into treatment recorded")

    # a start before the referral is refused, naming the date
    fill_date(page, "Date of the first treatment intervention", arrested - timedelta(days=1))
    page.get_by_label("Opioid substitution: buprenorphine").check()
    page.get_by_role("button", name="Record the treatment start").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("cannot be before the referral")
    assert TreatmentReferral.objects.get().started_on is None

    fill_date(page, "Date of the first treatment intervention", started)
    page.get_by_label("Opioid substitution: buprenorphine").check()
    page.get_by_role("button", name="Record the treatment start").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Treatment start recorded")
    expect(page.locator('[data-stage="in_treatment"]')).to_have_text("In treatment")
    expect(page.get_by_text("(5 days after referral)")).to_be_visible()
    screenshot("adder-00-treatment-started")

    # the month of the arrest and referral: one arrest, one referral from custody
    page.goto(f"/programmes/{market.programme.pk}/")
    page.get_by_role("link", name="The ADDER dashboard").click()
    page.get_by_label("Month").fill(f"{arrested:%Y-%m}")
    page.get_by_role("button", name="Show the month").click()
    expect(page.get_by_role("heading", name=f"ADDER dashboard: {arrested:%B %Y}")).to_be_visible()
    expect(page.locator("#measure-arrests [data-value]")).to_have_text("1")
    expect(page.locator("#measure-cjs_referrals [data-value]")).to_have_text("1")

    # twelve weeks after the start: retained
    due = started + timedelta(weeks=12)
    page.get_by_label("Month").fill(f"{due:%Y-%m}")
    page.get_by_role("button", name="Show the month").click()
    retention = page.locator("#measure-retention")
    expect(retention.locator("[data-value]")).to_have_text("1")
    expect(retention).to_contain_text("1 of 1 (100%)")
    expect(retention).to_contain_text("still in treatment then")
    screenshot("adder-01-dashboard-retention")
    assert not page.problems, page.problems

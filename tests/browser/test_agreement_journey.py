"""A data protection officer approves a new version of the agreement that brings a housing
association into the programme: its user, linked to a tenant, cannot see the tenant before,
can after, and cannot again once the DPO revokes it, when the agreement page lists the tenant
among the people the revocation affected."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from deter.web.models import DataSharingAgreement
from web.factories import link, make_agreement

from .records import make_records, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def switch_to(page, live_server, user) -> None:
    page.context.clear_cookies()
    sign_in(page.context, live_server, user)


def test_a_dpo_s_approval_and_revocation_change_what_a_partner_sees(page, live_server,
                                                                    screenshot):
    records = make_records()
    world = records.world
    housing_user, tenant = world.stranger, world.active
    shared = ["identity", "cohort"]
    parties = {world.police: ["identity"], world.vru: shared, world.social_care: shared,
               world.school: shared, world.housing: shared}
    make_agreement(world.programme, parties,
                             DataSharingAgreement.Status.AWAITING_APPROVAL,
                             suppliers=[world.police], title="Knife crime with housing")
    link(world.programme, world.housing, tenant, relationship="tenant")
    person_page = reverse("person", args=[tenant.pk])

    switch_to(page, live_server, housing_user)
    assert page.goto(person_page).status == 404

    switch_to(page, live_server, records.dpo)
    page.goto(reverse("dpo"))
    page.get_by_role("link", name=re.compile("Knife crime with housing")).first.click()
    expect(page.locator("[data-awaiting]")).to_contain_text("Testshire Police")
    screenshot("40-agreement-awaiting")
    page.get_by_role("button", name="Approve this agreement").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "every supplier has approved, so the agreement is active")
    expect(page.locator("[data-agreement-status]").first).to_have_text("Active")
    agreement_page = page.url

    switch_to(page, live_server, housing_user)
    response = page.goto(person_page)
    assert response.status == 200
    expect(page.get_by_role("heading", level=1)).to_contain_text("P-ACTIVE")

    switch_to(page, live_server, records.dpo)
    page.goto(agreement_page)
    page.get_by_role("button", name="Revoke the agreement").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Enter why the agreement is revoked")
    page.get_by_label("Why is the agreement revoked?").fill("The tenancy team's DPIA lapsed")
    page.get_by_role("button", name="Revoke the agreement").click()
    expect(page.locator("[data-agreement-status]").first).to_have_text("Revoked")
    affected = page.locator("#affected ~ [data-affected='Outside Housing Association']")
    expect(affected).to_have_count(1)
    expect(page.locator("[data-affected-person]").filter(has_text="P-ACTIVE").first) \
        .to_be_visible()
    screenshot("41-agreement-revoked")

    switch_to(page, live_server, housing_user)
    assert page.goto(person_page).status == 404
    assert page.problems == []

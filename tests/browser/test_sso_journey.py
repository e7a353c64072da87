"""In Chromium: "Sign in with ..." on Deter's sign-in page, the real OpenID provider's own form
(``tests/web/oidc/provider.mjs``), and back to Deter signed in; signing out ends the session at
the provider too (under Deter's Content-Security-Policy, whose form-action must let the sign-out
go on to the provider) and comes back to Deter's sign-in page; a user of no mapped group sees
why on the sign-in page. Both of Deter's pages meet WCAG 2.2 AA (axe)."""

import copy
import re

import pytest
from playwright.sync_api import expect

from browser.test_accessibility import REFUSED_DOCUMENT, axe_violations, readable
from deter.web.models import AuditEvent, StaffRole
from deter.web.sso import config
from web.factories import make_world
from web.oidc.conftest import CLIENT_ID, running_provider
from web.oidc.test_sso import ALICE, BOB, GROUP_MAP

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def provider(live_server, tmp_path, settings):
    make_world()
    with running_provider(tmp_path, [f"{live_server.url}/oidc/callback/"],
                          [f"{live_server.url}/sign-in/"]) as provider:
        settings.DETER_OIDC_ISSUER = provider.issuer
        # as settings.py builds it when DETER_OIDC_ISSUER is set at start
        policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
        policy["DIRECTIVES"]["form-action"] = ["'self'", provider.issuer]
        settings.CONTENT_SECURITY_POLICY = policy
        settings.DETER_OIDC_CLIENT_ID = CLIENT_ID
        settings.DETER_OIDC_CLIENT_SECRET = provider.client_secret
        settings.DETER_OIDC_PROVIDER_NAME = "Testshire ID"
        settings.DETER_OIDC_GROUP_MAP = GROUP_MAP
        settings.AUTHENTICATION_BACKENDS = [
            "django.contrib.auth.backends.ModelBackend",
            "deter.web.sso.backend.SingleSignOnBackend"]
        config.forget_discovery()
        provider.set_accounts({"alice": ALICE, "bob": BOB})
        yield provider
        config.forget_discovery()


def sign_in_at_the_provider(page, login: str, password: str) -> None:
    page.goto("/sign-in/")
    assert not (found := readable("sign-in page", axe_violations(page))), "\n".join(found)
    page.get_by_role("button", name="Sign in with Testshire ID").click()
    expect(page.get_by_role("heading", name="Sign in to the test provider")).to_be_visible()
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_a_user_signs_in_with_the_provider(page, screenshot, provider):
    sign_in_at_the_provider(page, "alice", ALICE["password"])
    expect(page).to_have_url(re.compile(r"/cohort/$"))
    expect(page.get_by_role("heading", name="Cohort", exact=True)).to_be_visible()
    screenshot("sso-01-signed-in")
    assert set(StaffRole.objects.filter(user__username=ALICE["preferred_username"])
               .values_list("role", flat=True)) == {"analyst", "coordinator", "caseworker"}
    row = AuditEvent.objects.get(action="sign_in")
    assert (row.outcome, row.detail["amr"]) == ("allowed", ["pwd", "mfa"])
    assert "HeadlessChrome" in row.user_agent

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name=re.compile("Do you want to sign-out"))).to_be_visible()
    page.get_by_role("button", name="Yes, sign me out").click()
    expect(page).to_have_url(re.compile(r"/sign-in/$"))
    expect(page.get_by_role("button", name="Sign in with Testshire ID")).to_be_visible()
    assert AuditEvent.objects.get(action="sign_out").detail == {"at_provider": "Testshire ID"}
    # the provider's session ended with Deter's: signing in again asks for the password
    page.get_by_role("button", name="Sign in with Testshire ID").click()
    expect(page.get_by_role("heading", name="Sign in to the test provider")).to_be_visible()
    assert page.problems == []


def test_a_user_of_no_mapped_group_is_told_why(page, screenshot, provider):
    sign_in_at_the_provider(page, "bob", BOB["password"])
    expect(page).to_have_url(re.compile(r"/oidc/callback/\?"))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("none of the groups that give access to Deter")
    expect(page).to_have_title(re.compile(r"^Error: Sign in"))
    screenshot("sso-02-refused")
    assert not (found := readable("refusal", axe_violations(page))), "\n".join(found)
    assert AuditEvent.objects.get(action="sign_in").outcome == "denied"
    assert [p for p in page.problems if not REFUSED_DOCUMENT.search(p)] == []

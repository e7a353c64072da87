"""Passkeys in the browser, with Chromium's virtual authenticator (the DevTools protocol's
WebAuthn domain: a CTAP2 platform authenticator holding resident keys, verifying its user):
the coordinator adds a passkey on their account page, signs out, and signs in with the password
and then the passkey; without the passkey step no page opens, where two-factor is required.
The package's own scripts run under Deter's CSP (a console CSP error fails the test)."""

from urllib.parse import urlsplit

import pytest
from django_otp_webauthn.models import WebAuthnCredential
from playwright.sync_api import expect

from deter.web.models import AuditEvent
from web.factories import make_world

from .test_accessibility import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def authenticator(page, live_server, settings):
    """A virtual passkey authenticator in the page's browser tab; the relying party is the
    live server's host name (localhost: browsers take no IP address as one)."""
    host = urlsplit(live_server.url).hostname
    assert host == "localhost"
    settings.OTP_WEBAUTHN_RP_ID = host
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [live_server.url]
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True}})
    return cdp, added["authenticatorId"]


def password_step(page, username: str) -> None:
    page.goto("/sign-in/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(f"{username}-password-123")
    page.get_by_role("button", name="Sign in").click()


def test_a_passkey_added_on_the_account_page_signs_in_after_the_password(
        page, authenticator, screenshot, settings):
    cdp, authenticator_id = authenticator
    make_world()
    password_step(page, "coordinator")
    expect(page.get_by_text("Signed in as coordinator")).to_be_visible()
    page.goto("/account/")
    expect(page.locator("[data-two-factor]")).to_have_text("Off")
    page.get_by_role("button", name="Add a passkey").click()
    # the library's script made the passkey; Deter's goes back to the account page showing it
    expect(page.locator("[data-passkey]")).to_have_count(1)
    expect(page.locator("[data-two-factor]")).to_contain_text("1 passkey")
    held = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})
    assert len(held["credentials"]) == 1 and held["credentials"][0]["isResidentCredential"]
    assert axe_violations(page) == []  # WCAG 2.2 AA with the script's button in place
    screenshot("passkey-account")
    page.get_by_role("button", name="Sign out").first.click()

    settings.DETER_REQUIRE_TWO_FACTOR = True  # as in production
    password_step(page, "coordinator")
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    # no page opens before the passkey is given
    page.goto("/cohort/")
    expect(page).to_have_url(f"{page.url.split('?')[0]}?next=%2Fcohort%2F")
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    assert axe_violations(page) == []
    screenshot("passkey-sign-in")
    page.get_by_role("button", name="Use your passkey").click()
    expect(page).to_have_url(f"{page.url.split('/sign-in/')[0]}/cohort/")
    expect(page.get_by_text("Signed in as coordinator")).to_be_visible()
    assert page.problems == []

    passkey = WebAuthnCredential.objects.get(user__username="coordinator")
    assert passkey.sign_count >= 1 or passkey.last_used_at is not None
    rows = AuditEvent.objects.filter(action__in=["enrol_passkey", "second_factor"]).order_by("id")
    assert [(r.action, r.outcome, r.detail["device"], r.ip_address) for r in rows] == [
        ("enrol_passkey", "allowed", "passkey", "127.0.0.1"),
        ("second_factor", "allowed", "passkey", "127.0.0.1")]
    assert all("Chrome" in r.user_agent for r in rows)


def test_a_partner_sets_up_a_passkey_where_two_factor_is_required(page, authenticator,
                                                                   settings):
    settings.DETER_REQUIRE_TWO_FACTOR = True
    make_world()
    password_step(page, "partner")
    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    page.goto("/cohort/")  # refused until a second factor is set up
    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    page.get_by_role("button", name="Set up a passkey").click()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    expect(page.locator("[data-two-factor]")).to_contain_text("1 passkey")
    page.goto("/cohort/")
    expect(page.get_by_text("Signed in as partner")).to_be_visible()
    assert page.problems == []

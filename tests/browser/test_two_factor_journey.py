"""Two-factor sign-in in the browser, as a partner without single sign-on meets it where it is
required: signed in with the password, sent to set up an authenticator, types the key shown
under the QR code into it (here: RFC 6238 computed from that key), sees the recovery codes once;
next time the password leads to the code prompt, and a recovery code gets them in."""

from base64 import b32decode

import pytest
from django_otp.oath import totp
from playwright.sync_api import expect

from deter.web.models import AuditEvent
from web.factories import make_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def password_step(page, username: str = "partner") -> None:
    page.goto("/sign-in/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(f"{username}-password-123")
    page.get_by_role("button", name="Sign in").click()


def test_a_partner_enrols_and_then_signs_in_with_a_code(page, screenshot, settings):
    settings.DETER_REQUIRE_TWO_FACTOR = True
    make_world()
    password_step(page)
    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    expect(page.locator(".deter-qr svg")).to_be_visible()
    key = b32decode(page.locator("[data-key]").inner_text().replace(" ", ""))
    page.get_by_label("Code from your authenticator app").fill(f"{totp(key):06d}")
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_role("heading", name="Two-factor sign-in is on")).to_be_visible()
    codes = page.locator("[data-recovery-code]").all_inner_texts()
    assert len(codes) == 10
    screenshot("two-factor-recovery-codes")
    page.get_by_role("button", name="Sign out").click()

    password_step(page)
    expect(page.get_by_role("heading", name="Enter your sign-in code")).to_be_visible()
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("Signed in as partner")).to_be_visible()
    page.get_by_role("link", name="Signed in as partner").click()
    expect(page.locator("[data-two-factor]")).to_contain_text("9 recovery codes left")
    assert list(AuditEvent.objects.filter(action="second_factor").values_list(
        "outcome", "detail__device")) == [("allowed", "recovery_code")]

"""Local accounts as a force's IT security reviewer tries them: lockout by account and by
address, the second factor (real TOTP codes computed from the device's key, recovery codes used
once), password change and an administrator's reset, sign out everywhere, deactivation.
Docs: docs/adr/0012-local-accounts.md."""

import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from deter import cli
from deter.web.models import AuditEvent, UserSession

PASSWORD = "coordinator-password-123"  # noqa: S105 (the test world's)
WRONG = "not-the-password"  # noqa: S105
AGENT = "Mozilla/5.0 (reviewer)"


class SingleSignOn(ModelBackend):
    """Stands in for the single sign-on backend (OpenID Connect, another branch): any backend
    but Django's model backend signs a user in through their provider, which asks for the
    second factor itself."""


def browser(address: str = "198.51.100.4") -> Client:
    return Client(HTTP_USER_AGENT=AGENT, REMOTE_ADDR=address)


def sign_in(client: Client, username: str = "coordinator", password: str = PASSWORD):
    return client.post(reverse("login"), {"username": username, "password": password})


def signed_in(client: Client) -> bool:
    response = client.get(reverse("cohort"))
    return response.status_code == 200


def code_for(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """The code the user's authenticator app shows, computed from the device's key (RFC 6238);
    ``steps_ahead`` 30-second steps later (a code once accepted is never accepted again)."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=steps_ahead):06d}"  # noqa: E501


def wait_out_the_throttle() -> None:
    """As if the user waited: django-otp refuses any code for a while after a wrong one (1 s,
    doubling with each wrong code); the failures stay counted."""
    for model in (TOTPDevice, StaticDevice):
        model.objects.exclude(throttling_failure_timestamp=None).update(
            throttling_failure_timestamp=timezone.now() - timedelta(hours=1))


def last(action: str) -> AuditEvent:
    return AuditEvent.objects.filter(action=action).order_by("id").last()


def enrol(client: Client) -> tuple[TOTPDevice, list[str]]:
    page = client.get(reverse("two_factor_setup"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html and "<path" in html  # the QR code, drawn on the server
    device = TOTPDevice.objects.get(user__username="coordinator", confirmed=False)
    shown_key = re.search(r"data-key>([A-Z2-7 ]+)<", html).group(1).replace(" ", "")
    from base64 import b32decode

    assert b32decode(shown_key) == device.bin_key
    done = client.post(reverse("two_factor_setup"), {"code": code_for(device)})
    assert done.status_code == 200
    codes = re.findall(r"data-recovery-code>([a-z2-7]+)<", done.content.decode())
    device.refresh_from_db()
    return device, codes


# --- lockout and throttling -----------------------------------------------------------------


def test_fifty_wrong_passwords_then_the_right_one_does_not_sign_in(world, settings):
    """The reviewer's probe: 50 wrong passwords for one user, then the right one."""
    client = browser()
    statuses = [sign_in(client, password=f"wrong-{i}").status_code for i in range(50)]
    limit = settings.AXES_FAILURE_LIMIT
    assert statuses[:limit - 1] == [400] * (limit - 1)  # wrong password, clear error
    assert set(statuses[limit - 1:]) == {429}  # locked from the limit on
    right = sign_in(client)
    assert right.status_code == 429 and "_auth_user_id" not in client.session
    page = right.content.decode()
    assert "Too many wrong passwords: signing in is locked for 15 minutes" in page
    assert "There is a problem" in page
    assert not signed_in(client)
    lockouts = AuditEvent.objects.filter(action="sign_in_locked_out")
    assert lockouts.count() == 50 - limit + 2  # the lockout, each try during it
    row = lockouts.first()
    assert (row.outcome, row.ip_address, row.user_agent, row.detail["username"]) == (
        "denied", "198.51.100.4", AGENT, "coordinator")
    assert AuditEvent.objects.filter(action="sign_in", outcome="denied",
                                     detail__locked_out=True).exists()


def test_an_account_is_locked_from_every_address_and_an_address_for_every_account(world,
                                                                                   settings):
    limit = settings.AXES_FAILURE_LIMIT
    for i in range(limit):  # the coordinator's password guessed from many addresses
        sign_in(browser(f"198.51.100.{10 + i}"), password=WRONG)
    assert sign_in(browser("198.51.100.99")).status_code == 429  # the account is locked
    # the caseworker, from an address with no failures, still signs in
    assert sign_in(browser("198.51.100.99"), "caseworker", "caseworker-password-123"
                   ).status_code == 302
    # one address trying many accounts is locked for all of them
    sprayer = browser("203.0.113.50")
    for name in ("a", "b", "c", "d", "e", "f")[:limit]:
        sign_in(sprayer, name, WRONG)
    assert sign_in(sprayer, "caseworker", "caseworker-password-123").status_code == 429


def test_signing_in_does_not_forget_an_addresss_failures(world, settings):
    """A sprayer holding one account cannot reset their address's count by using it."""
    sprayer = browser("203.0.113.51")
    for name in ("a", "b", "c", "d", "e", "f")[:settings.AXES_FAILURE_LIMIT - 1]:
        sign_in(sprayer, name, WRONG)
    assert sign_in(sprayer, "caseworker", "caseworker-password-123").status_code == 302
    sprayer.post(reverse("logout"))
    assert sign_in(sprayer, "g", WRONG).status_code == 429


def test_a_lockout_ends_after_its_cool_off(world, settings):
    client = browser()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, password=WRONG)
    assert sign_in(client).status_code == 429
    # the cool-off has passed: every failure is older than DETER_LOCKOUT_MINUTES
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(
        minutes=settings.DETER_LOCKOUT_MINUTES + 1))
    assert sign_in(client).status_code == 302 and signed_in(client)


def test_lockout_settings_come_from_the_environment():
    from .test_production_hardening import load_settings

    result = load_settings(DETER_LOCKOUT_BY="password")
    assert result.returncode != 0 and "DETER_LOCKOUT_BY='password'" in result.stderr
    result = load_settings(DETER_LOCKOUT_FAILURES="0")
    assert result.returncode != 0 and "DETER_LOCKOUT_FAILURES='0'" in result.stderr


# --- the second factor ----------------------------------------------------------------------


def test_enrolling_shows_a_qr_code_and_recovery_codes_once(world):
    client, elsewhere = browser(), browser("198.51.100.6")
    sign_in(client)
    sign_in(elsewhere)
    device, codes = enrol(client)
    assert not signed_in(elsewhere)  # signed in without the second factor: ended
    assert device.confirmed and len(codes) == 10 and len(set(codes)) == 10
    assert sorted(codes) == sorted(StaticToken.objects.filter(
        device__user=world.coordinator).values_list("token", flat=True))
    rows = AuditEvent.objects.filter(action="enrol_two_factor")
    assert [(r.outcome, r.ip_address, r.detail) for r in rows] == [
        ("allowed", "198.51.100.4", {"recovery_codes": 10, "other_sessions_ended": 1})]
    account = client.get(reverse("account")).content.decode()
    assert "10 recovery codes left" in account
    assert not re.search(r"data-recovery-code", account)  # never shown again


def test_a_wrong_enrolment_code_enrols_nothing(world):
    client = browser()
    sign_in(client)
    client.get(reverse("two_factor_setup"))
    device = TOTPDevice.objects.get(user=world.coordinator)
    wrong = f"{(int(code_for(device)) + 1) % 1000000:06d}"
    response = client.post(reverse("two_factor_setup"), {"code": wrong})
    assert response.status_code == 400
    assert "The code is not right" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed and not StaticToken.objects.exists()
    assert AuditEvent.objects.get(action="enrol_two_factor").outcome == "denied"


def test_after_the_password_a_user_with_an_authenticator_must_give_its_code(world):
    enrolling = browser()
    sign_in(enrolling)
    device, _ = enrol(enrolling)

    client = browser("198.51.100.5")
    response = sign_in(client)
    assert response.status_code == 302
    sign_in_row = last("sign_in")
    assert sign_in_row.detail == {"second_factor": "verify"}
    # every page sends them to the code, with where they were going
    person = reverse("person", args=[world.active.pk])
    page = client.get(person)
    assert page.status_code == 302
    assert page["Location"] == (f"{reverse('two_factor_verify')}"
                                f"?next=%2Fpeople%2F{world.active.pk}%2F")
    assert client.get(reverse("account"))["Location"].startswith(reverse("two_factor_verify"))
    assert client.get(reverse("two_factor_setup"))["Location"].startswith(
        reverse("two_factor_verify"))
    assert client.post(reverse("sign_out_everywhere"))["Location"] == reverse(
        "two_factor_verify")

    wrong = client.post(reverse("two_factor_verify"), {"code": "000000"})
    assert wrong.status_code == 400 and "The code is not right" in wrong.content.decode()
    assert not signed_in(client)
    wait_out_the_throttle()
    right = client.post(reverse("two_factor_verify"), {"code": code_for(device, 1),
                                                       "next": person})
    assert right.status_code == 302 and right["Location"] == person
    assert signed_in(client) and client.get(person).status_code == 200
    rows = list(AuditEvent.objects.filter(action="second_factor").order_by("id"))
    assert [(r.outcome, r.detail.get("device"), r.ip_address, r.user_agent) for r in rows] == [
        ("denied", None, "198.51.100.5", AGENT), ("allowed", "totp", "198.51.100.5", AGENT)]


def test_a_code_already_used_is_refused(world):
    client = browser()
    sign_in(client)
    device, _ = enrol(client)
    used = code_for(device)  # accepted at enrolment
    again = browser()
    sign_in(again)
    assert again.post(reverse("two_factor_verify"), {"code": used}).status_code == 400
    assert not signed_in(again)


def test_a_recovery_code_works_once(world):
    client = browser()
    sign_in(client)
    _, codes = enrol(client)
    first = browser()
    sign_in(first)
    assert first.post(reverse("two_factor_verify"), {"code": codes[0].upper()}
                      ).status_code == 302
    assert signed_in(first)
    assert last("second_factor").detail == {
        "device": "recovery_code", "recovery_codes_left": 9}
    second = browser()
    sign_in(second)
    assert second.post(reverse("two_factor_verify"), {"code": codes[0]}).status_code == 400
    assert not signed_in(second)
    wait_out_the_throttle()
    assert second.post(reverse("two_factor_verify"), {"code": codes[1]}).status_code == 302


def test_guessing_codes_is_slowed_down(world):
    client = browser()
    sign_in(client)
    device, codes = enrol(client)
    guesser = browser()
    sign_in(guesser)
    for _ in range(3):
        guesser.post(reverse("two_factor_verify"), {"code": "123456"})
    # even the right code waits out the throttle: each wrong one doubled the wait
    response = guesser.post(reverse("two_factor_verify"), {"code": code_for(device, 1)})
    assert response.status_code == 400 and "Too many wrong codes" in response.content.decode()
    assert last("second_factor").detail == {"throttled": True}
    wait_out_the_throttle()  # after the wait, the right code is taken
    assert guesser.post(reverse("two_factor_verify"), {"code": code_for(device, 1)}
                        ).status_code == 302


def test_two_factor_is_required_for_local_accounts_where_configured(world, settings):
    settings.DETER_REQUIRE_TWO_FACTOR = True
    client = browser()
    assert sign_in(client).status_code == 302
    page = client.get(reverse("cohort"))
    assert page.status_code == 302 and page["Location"] == reverse("two_factor_setup")
    assert client.get(reverse("two_factor_setup")).status_code == 200
    assert "Set one up before you go on" in client.get(
        reverse("two_factor_setup")).content.decode()
    device = TOTPDevice.objects.get(user=world.coordinator)
    assert client.post(reverse("two_factor_setup"), {"code": code_for(device)}
                       ).status_code == 200
    assert signed_in(client)


def test_single_sign_on_owes_no_second_factor_here(world, settings):
    settings.DETER_REQUIRE_TWO_FACTOR = True
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS,
                                        f"{__name__}.SingleSignOn"]
    client = browser()
    client.force_login(world.coordinator, backend=f"{__name__}.SingleSignOn")
    assert signed_in(client)


def test_production_requires_two_factor():
    from .test_production_hardening import PRODUCTION, load_settings

    result = load_settings(**PRODUCTION)
    assert result.returncode == 0, result.stderr
    import subprocess
    import sys

    from .test_production_hardening import clean_env

    out = subprocess.run(
        [sys.executable, "-c", "import deter.web.settings as s; print(s.DETER_REQUIRE_TWO_FACTOR)"],
        env={**clean_env(), **PRODUCTION, "DETER_REQUIRE_TWO_FACTOR": "false"},
        capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "True", out.stderr


# --- passwords ------------------------------------------------------------------------------


def test_changing_the_password_ends_the_other_sessions(world):
    here, elsewhere = browser(), browser("198.51.100.6")
    sign_in(here)
    sign_in(elsewhere)
    assert signed_in(elsewhere)
    page = here.get(reverse("password_change"))
    assert page.status_code == 200 and 'for="id_old_password"' in page.content.decode()
    new = "a-long-new-passphrase-2026"
    done = here.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": new, "new_password2": new})
    assert done.status_code == 200 and "Password changed" in done.content.decode()
    assert signed_in(here)
    assert not signed_in(elsewhere)
    assert UserSession.objects.filter(user=world.coordinator).count() == 1
    assert AuditEvent.objects.get(action="change_password").detail == {
        "other_sessions_ended": 1}
    assert sign_in(browser(), password=new).status_code == 302


@pytest.mark.parametrize(("old", "new", "again", "message"), [
    ("wrong-password", "a-long-new-passphrase-2026", "a-long-new-passphrase-2026",
     "Your current password is not right"),
    (PASSWORD, "short", "short", "This password is too short"),
    (PASSWORD, "a-long-new-passphrase-2026", "a-different-one-2026",
     "The two new passwords do not match"),
    ("", "", "", "Enter your current password"),
])
def test_a_refused_password_change_says_why_and_changes_nothing(world, old, new, again,
                                                                 message):
    client = browser()
    sign_in(client)
    response = client.post(reverse("password_change"), {
        "old_password": old, "new_password1": new, "new_password2": again})
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page and message in page
    world.coordinator.refresh_from_db()
    assert world.coordinator.check_password(PASSWORD)
    assert AuditEvent.objects.get(action="change_password").outcome == "denied"


def test_an_administrators_reset_forces_a_new_password_and_lifts_a_lockout(world, capsys,
                                                                          settings):
    signed_in_before = browser()
    sign_in(signed_in_before)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(browser(), password=WRONG)
    assert cli.main(["user", "reset-password", "coordinator"]) == 0
    temporary = re.search(r"temporary password for coordinator: (\S+)",
                          capsys.readouterr().out).group(1)
    assert not signed_in(signed_in_before)  # the reset ended their sessions
    client = browser()
    assert sign_in(client, password=temporary).status_code == 302  # lockout lifted
    page = client.get(reverse("cohort"))
    assert page.status_code == 302 and page["Location"] == reverse("password_change")
    form = client.get(reverse("password_change")).content.decode()
    assert "An administrator set a temporary password for you" in form
    new = "my-own-passphrase-2026"
    assert client.post(reverse("password_change"), {
        "old_password": temporary, "new_password1": new, "new_password2": new}
    ).status_code == 200
    assert signed_in(client)
    row = AuditEvent.objects.get(action="reset_password")
    assert (row.actor_name, row.detail["sessions_ended"], row.detail["lockouts_lifted"]) == (
        "system", 1, 1)


def test_the_user_command_names_a_missing_user(db, capsys):
    assert cli.main(["user", "deactivate", "nobody"]) == 2
    assert "No user is called 'nobody'. Nothing was changed." in capsys.readouterr().err


# --- sessions -------------------------------------------------------------------------------


def test_sign_out_everywhere_ends_every_session(world):
    here, elsewhere, other_user = browser(), browser("198.51.100.6"), browser()
    sign_in(here)
    sign_in(elsewhere)
    sign_in(other_user, "caseworker", "caseworker-password-123")
    account = here.get(reverse("account")).content.decode()
    assert account.count("data-session") == 2 and "198.51.100.6" in account
    response = here.post(reverse("sign_out_everywhere"))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert not signed_in(here) and not signed_in(elsewhere)
    assert signed_in(other_user)
    row = AuditEvent.objects.get(action="sign_out_everywhere")
    assert (row.actor, row.detail) == (world.coordinator, {"sessions_ended": 2})
    assert not UserSession.objects.filter(user=world.coordinator).exists()


def test_deactivating_a_user_ends_their_sessions_at_once(world, capsys):
    client = browser()
    sign_in(client)
    assert signed_in(client)
    assert cli.main(["user", "deactivate", "coordinator"]) == 0
    assert "coordinator deactivated; 1 session(s) ended" in capsys.readouterr().out
    response = client.get(reverse("cohort"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert not User.objects.get(username="coordinator").is_active
    assert sign_in(browser()).status_code == 400
    assert AuditEvent.objects.get(action="deactivate_user").detail["sessions_ended"] == 1


def test_an_administrator_resets_a_lost_authenticator(world, capsys, settings):
    client = browser()
    sign_in(client)
    enrol(client)
    assert cli.main(["user", "reset-two-factor", "coordinator"]) == 0
    assert not signed_in(client)
    assert not TOTPDevice.objects.exists() and not StaticToken.objects.exists()
    settings.DETER_REQUIRE_TWO_FACTOR = True
    again = browser()
    sign_in(again)
    assert again.get(reverse("cohort"))["Location"] == reverse("two_factor_setup")


def test_sign_out_forgets_the_session(world):
    client = browser()
    sign_in(client)
    assert UserSession.objects.filter(user=world.coordinator).count() == 1
    client.post(reverse("logout"))
    assert not UserSession.objects.exists()


def test_a_user_made_inactive_any_other_way_loses_their_sessions_too(world):
    from django.contrib.sessions.models import Session

    client = browser()
    sign_in(client)
    key = client.session.session_key
    user = User.objects.get(username="coordinator")
    user.is_active = False
    user.save()
    assert not Session.objects.filter(session_key=key).exists()
    assert client.get(reverse("cohort")).status_code == 302
    row = AuditEvent.objects.get(action="end_sessions_of_inactive_user")
    assert (row.actor_name, row.detail) == ("system", {"sessions_ended": 1})


def test_the_steps_after_sign_in_cost_a_page_at_most_the_device_read(world):
    """The gate reads the session, not the database: a page costs the same queries with or
    without it owing nothing; a session verified by a second factor adds django-otp's one
    read of its device."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(client) -> int:
        client.get(reverse("cohort"))  # warm: the session's first write
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("cohort")).status_code == 200
        return len(captured)

    plain = browser()
    sign_in(plain)
    without = queries(plain)
    verified = browser()
    sign_in(verified)
    enrol(verified)
    assert queries(verified) == without + 1

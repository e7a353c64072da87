"""Passkeys (WebAuthn, django-otp-webauthn) as the second factor of a local account, through
Deter's JSON endpoints with a software authenticator (real ES256 keys and signatures, checked
by py_webauthn): added, given after the password, refused when forged, replayed, counted back
or from another site, removed; each step audited with address and agent.
Docs: docs/adr/0012-local-accounts.md."""

import json
import subprocess
import sys

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp_webauthn.models import WebAuthnCredential

from deter import cli
from deter.web.models import AuditEvent

from .passkey_authenticator import SoftAuthenticator
from .test_accounts import AGENT, browser, enrol, last, sign_in, signed_in
from .test_production_hardening import PRODUCTION, clean_env

ORIGIN = "http://localhost:8000"


@pytest.fixture(autouse=True)
def relying_party(settings):
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [ORIGIN]


def post_json(client: Client, name: str, body: dict | None = None):
    return client.post(reverse(name), json.dumps(body or {}), content_type="application/json")


def add_passkey(client: Client, authenticator: SoftAuthenticator, **kwargs):
    options = post_json(client, "passkey_register_begin")
    assert options.status_code == 200, options.content
    return post_json(client, "passkey_register_complete",
                     authenticator.create(options.json(), **kwargs))


def give_passkey(client: Client, authenticator: SoftAuthenticator, next_page: str = "",
                 **kwargs):
    options = post_json(client, "passkey_verify_begin")
    assert options.status_code == 200, options.content
    url = reverse("passkey_verify_complete") + (f"?next={next_page}" if next_page else "")
    return client.post(url, json.dumps(authenticator.get(options.json(), **kwargs)),
                       content_type="application/json")


def test_a_passkey_is_added_and_then_asked_for_after_the_password(world):
    key = SoftAuthenticator()
    first = browser()
    sign_in(first)
    added = add_passkey(first, key)
    assert added.status_code == 200
    passkey = WebAuthnCredential.objects.get(user__username="coordinator")
    assert added.json() == {"id": passkey.pk} and passkey.confirmed
    assert passkey.name.startswith("Passkey added ")
    row = last("enrol_passkey")
    assert (row.outcome, row.object_id, row.ip_address, row.user_agent) == (
        "allowed", str(passkey.pk), "198.51.100.4", AGENT)
    assert row.detail["discoverable"] is True and row.detail["transports"] == ["internal"]
    assert last("start_passkey_enrolment").detail == {"device": "passkey", "passkeys_held": 0}
    page = first.get(reverse("account")).content.decode()
    assert "1 passkey," in page and "data-passkey" in page

    client = browser("198.51.100.5")
    assert sign_in(client).status_code == 302
    assert last("sign_in").detail == {"second_factor": "verify"}
    person = reverse("person", args=[world.active.pk])
    assert client.get(person)["Location"].startswith(reverse("two_factor_verify"))
    prompt = client.get(reverse("two_factor_verify")).content.decode()
    assert "Use your passkey" in prompt and 'id="otp_webauthn_config"' in prompt
    assert not signed_in(client)

    given = give_passkey(client, key, next_page=person)
    assert given.status_code == 200
    assert given.json() == {"id": passkey.pk, "redirect_url": person}
    assert signed_in(client) and client.get(person).status_code == 200
    rows = list(AuditEvent.objects.filter(action="second_factor").order_by("id"))
    assert [(r.outcome, r.detail["device"], r.object_id, r.ip_address, r.user_agent)
            for r in rows] == [("allowed", "passkey", str(passkey.pk), "198.51.100.5", AGENT)]
    assert last("start_passkey_sign_in").detail == {"device": "passkey", "passkeys_held": 1}
    passkey.refresh_from_db()
    assert passkey.sign_count == 1 and passkey.last_used_at is not None


def test_adding_a_passkey_ends_the_other_sessions(world):
    other, client = browser("198.51.100.9"), browser()
    sign_in(other)
    sign_in(client)
    assert add_passkey(client, SoftAuthenticator()).status_code == 200
    assert last("enrol_passkey").detail["other_sessions_ended"] == 1
    assert not signed_in(other) and signed_in(client)


@pytest.mark.parametrize("forgery", ["another site", "wrong challenge", "garbage"])
def test_a_forged_passkey_is_not_added(world, forgery):
    client = browser()
    sign_in(client)
    key = SoftAuthenticator()
    options = post_json(client, "passkey_register_begin").json()
    if forgery == "another site":
        body = key.create(options, origin="https://deter.example.net")
    elif forgery == "wrong challenge":
        body = key.create({**options, "challenge": "c2VjcmV0LWNoYWxsZW5nZQ"})
    else:
        body = {"id": "x", "rawId": "x", "type": "public-key", "response": {}}
    refused = post_json(client, "passkey_register_complete", body)
    assert refused.status_code in (400, 422) and "detail" in refused.json()
    assert not WebAuthnCredential.objects.exists()
    row = last("enrol_passkey")
    assert (row.outcome, row.detail["device"], row.ip_address) == ("denied", "passkey",
                                                                    "198.51.100.4")
    # the challenge went with the attempt: sending the same answer again finds none
    again = post_json(client, "passkey_register_complete", body)
    assert again.status_code == 400 and again.json()["code"] == "invalid_state"
    assert AuditEvent.objects.filter(action="enrol_passkey", outcome="denied").count() == 2


def signed_in_with_passkey(world, settings) -> tuple[SoftAuthenticator, Client]:
    key = SoftAuthenticator()
    first = browser()
    sign_in(first)
    add_passkey(first, key)
    settings.DETER_REQUIRE_TWO_FACTOR = True
    client = browser("198.51.100.5")
    sign_in(client)
    return key, client


def sign_in_again(client: Client) -> None:
    client.post(reverse("logout"))
    sign_in(client)


@pytest.mark.parametrize("forgery", ["another site", "another key", "counted back", "replayed"])
def test_a_forged_or_replayed_passkey_does_not_sign_in(world, settings, forgery):
    key, client = signed_in_with_passkey(world, settings)
    if forgery == "counted back":  # a cloned authenticator: its counter is behind the server's
        assert give_passkey(client, key).status_code == 200
        sign_in_again(client)
    if forgery == "replayed":
        options = post_json(client, "passkey_verify_begin").json()
        answer = key.get(options)
        assert client.post(reverse("passkey_verify_complete"), json.dumps(answer),
                           content_type="application/json").status_code == 200
        sign_in_again(client)
        post_json(client, "passkey_verify_begin")  # a new challenge; the old answer is sent
        refused = post_json(client, "passkey_verify_complete", answer)
    elif forgery == "another key":
        stranger = SoftAuthenticator()
        stranger.create({"rp": {"id": "localhost"}, "user": {"id": "dXNlcg"},
                         "challenge": "x"})
        options = post_json(client, "passkey_verify_begin").json()
        refused = post_json(client, "passkey_verify_complete",
                            stranger.get(options, credential=stranger.credentials[0]))
    else:
        refused = give_passkey(client, key, origin="https://deter.example.net"
                               if forgery == "another site" else None,
                               count_back=forgery == "counted back")
    assert refused.status_code in (400, 403, 404, 422), refused.content
    assert "detail" in refused.json()
    assert not signed_in(client)
    assert client.get(reverse("cohort"))["Location"].startswith(reverse("two_factor_verify"))
    row = last("second_factor")
    assert (row.outcome, row.detail["device"], row.ip_address, row.user_agent) == (
        "denied", "passkey", "198.51.100.5", AGENT)


def test_another_users_passkey_does_not_sign_in(world, settings):
    key, _ = signed_in_with_passkey(world, settings)
    settings.DETER_REQUIRE_TWO_FACTOR = False  # the partner has none
    partner = browser("198.51.100.6")
    partner.post(reverse("login"), {"username": "partner", "password": "partner-password-123"})
    options = post_json(partner, "passkey_verify_begin").json()
    assert options.get("allowCredentials", []) == []
    refused = post_json(partner, "passkey_verify_complete",
                        key.get(options, credential=key.credentials[0]))
    assert refused.status_code == 403 and refused.json()["code"] == "credential_user_mismatch"
    assert last("second_factor").actor_name == "partner"


def test_no_passkey_without_the_password(world):
    """Passwordless sign-in is off: a passkey is a second factor only, after the password and
    so after django-axes' lockout."""
    anonymous = browser()
    refused = post_json(anonymous, "passkey_verify_begin")
    assert refused.status_code == 403
    assert refused.json()["code"] == "passwordless_login_disabled"
    assert (last("start_passkey_sign_in").outcome, last("start_passkey_sign_in").actor_name) == (
        "denied", "anonymous")
    assert post_json(anonymous, "passkey_register_begin").status_code == 403


def test_a_second_passkey_needs_the_first_factor_given(world, settings):
    """The library's own check: a user holding a second factor adds another only after giving
    it; Deter's gate sends the half-signed-in session to the code page first anyway."""
    key, client = signed_in_with_passkey(world, settings)
    refused = post_json(client, "passkey_register_begin")
    assert refused.status_code == 302 and refused["Location"] == reverse("two_factor_verify")
    assert give_passkey(client, key).status_code == 200
    assert add_passkey(client, SoftAuthenticator()).status_code == 200
    assert WebAuthnCredential.objects.count() == 2


def test_a_passkey_satisfies_required_two_factor_at_enrolment(world, settings):
    settings.DETER_REQUIRE_TWO_FACTOR = True
    client = browser()
    sign_in(client)
    assert client.get(reverse("cohort"))["Location"] == reverse("two_factor_setup")
    page = client.get(reverse("two_factor_setup")).content.decode()
    assert "Set up a passkey" in page and "otp_webauthn_register.js" in page
    assert add_passkey(client, SoftAuthenticator()).status_code == 200
    assert signed_in(client)


def test_removing_passkeys(world, settings):
    key = SoftAuthenticator()
    client = browser()
    sign_in(client)
    add_passkey(client, key)
    add_passkey(client, key)
    first, second = WebAuthnCredential.objects.order_by("pk")
    assert client.post(reverse("new_recovery_codes")).status_code == 200
    assert StaticToken.objects.count() == 10
    partner = browser()
    partner.post(reverse("login"), {"username": "partner", "password": "partner-password-123"})
    assert partner.post(reverse("passkey_remove", args=[second.pk])).status_code == 404
    assert last("remove_passkey").detail["reason"] == "not yours"
    settings.DETER_REQUIRE_TWO_FACTOR = True
    assert client.post(reverse("passkey_remove", args=[first.pk]))["Location"] == reverse(
        "account")
    # the last second factor stays where two-factor is required
    assert client.post(reverse("passkey_remove", args=[second.pk])).status_code == 404
    assert last("remove_passkey").detail == {"device": "passkey",
                                             "reason": "last second factor"}
    settings.DETER_REQUIRE_TWO_FACTOR = False
    assert client.post(reverse("passkey_remove", args=[second.pk])).status_code == 302
    assert not WebAuthnCredential.objects.exists() and not StaticToken.objects.exists()
    rows = AuditEvent.objects.filter(action="remove_passkey").order_by("id")
    assert [r.outcome for r in rows] == ["denied", "allowed", "denied", "allowed"]


def test_a_user_with_an_app_and_a_passkey_may_give_either(world):
    client = browser()
    sign_in(client)
    enrol(client)
    key = SoftAuthenticator()
    add_passkey(client, key)
    again = browser("198.51.100.5")
    sign_in(again)
    prompt = again.get(reverse("two_factor_verify")).content.decode()
    assert "Use your passkey" in prompt and 'name="code"' in prompt
    assert give_passkey(again, key).status_code == 200 and signed_in(again)


def test_an_administrators_reset_removes_passkeys_too(world, capsys):
    client = browser()
    sign_in(client)
    add_passkey(client, SoftAuthenticator())
    assert cli.main(["user", "reset-two-factor", "coordinator"]) == 0
    assert not WebAuthnCredential.objects.exists()
    assert last("reset_two_factor").detail["devices_removed"] == 1


def relying_party_of(**env: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 (this interpreter)
        [sys.executable, "-c", "import deter.web.settings as s; print(s.OTP_WEBAUTHN_RP_ID, "
         "','.join(s.OTP_WEBAUTHN_ALLOWED_ORIGINS), s.OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN)"],
        env={**clean_env(), **env}, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(("env", "expected"), [
    (PRODUCTION, "deter.example.police.uk https://deter.example.police.uk False"),
    ({**PRODUCTION, "DETER_ALLOWED_HOSTS": "10.1.2.3,.deter.force.uk"},
     "deter.force.uk https://deter.force.uk False"),
    ({**PRODUCTION, "DETER_WEBAUTHN_RP_ID": "force.uk",
      "DETER_WEBAUTHN_ORIGINS": "https://deter.force.uk,https://deter2.force.uk"},
     "force.uk https://deter.force.uk,https://deter2.force.uk False"),
    ({}, "localhost http://localhost:8000 False"),
])
def test_the_relying_party_comes_from_the_host_names(env, expected):
    result = relying_party_of(**env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


def test_production_accepts_passkeys_over_https_only():
    result = relying_party_of(**PRODUCTION, DETER_WEBAUTHN_ORIGINS="http://deter.force.uk")
    assert result.returncode != 0 and "passkeys are accepted over https:// only" in result.stderr

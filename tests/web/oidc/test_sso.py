"""Single sign-on with OpenID Connect, against a real OpenID provider on loopback
(``provider.mjs``: the npm oidc-provider package, which requires PKCE of the client).

The whole authorisation-code flow runs: Deter's redirect to the provider, the provider's own
sign-in form, its redirect back with a code, Deter's token request, the ID token's signature
(the provider's key), nonce, issuer and audience, the groups claim mapped to agencies and
roles, and the audit rows.
"""

import json
import os
import re
import subprocess
import sys
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import pytest
import requests
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.test import Client
from django.urls import reverse

from deter.web.apps import _sso_agencies_exist
from deter.web.models import AuditEvent, SingleSignOnIdentity, StaffRole
from deter.web.sso import config
from deter.web.sso.backend import SingleSignOnBackend

from .conftest import CLIENT_ID, Browser, local

POLICE_ANALYSTS = "0f6c1e42-7d1b-4c39-9a57-5b1f2f0d6a11"  # Entra ID sends group object ids
VRU_COORDINATORS = "8a3e9b70-2c4d-4f0e-b6a1-93d7e5c4f022"
UNMAPPED = "d41f5a88-0b6e-4a7c-8f3d-1c2b9e7a6033"
GROUP_MAP = {
    POLICE_ANALYSTS: {"agency": "Testshire Police", "roles": ["analyst"]},
    VRU_COORDINATORS: [{"agency": "Testshire VRU", "roles": ["coordinator", "caseworker"]}],
    "Deter.Evaluator": {"agency": "Testshire VRU", "roles": ["evaluator"]},  # an app role
}
ALICE = {"password": "alice-at-the-provider", "email": "alice.smith@testshire.police.uk",
         "preferred_username": "alice.smith@testshire.police.uk", "given_name": "Alice",
         "family_name": "Smith", "groups": [POLICE_ANALYSTS, VRU_COORDINATORS, UNMAPPED],
         "amr": ["pwd", "mfa"], "acr": "urn:deter:test:mfa"}
BOB = {"password": "bob-at-the-provider", "email": "bob@testshire.police.uk",
       "preferred_username": "bob@testshire.police.uk", "groups": [UNMAPPED]}
AGENT = "Mozilla/5.0 (single sign-on test)"


@pytest.fixture
def sso(settings, oidc_provider, world):
    settings.DETER_OIDC_ISSUER = oidc_provider.issuer
    settings.DETER_OIDC_CLIENT_ID = CLIENT_ID
    settings.DETER_OIDC_CLIENT_SECRET = oidc_provider.client_secret
    settings.DETER_OIDC_PROVIDER_NAME = "Testshire ID"
    settings.DETER_OIDC_GROUP_MAP = GROUP_MAP
    settings.AUTHENTICATION_BACKENDS = [
        "django.contrib.auth.backends.ModelBackend", "deter.web.sso.backend.SingleSignOnBackend"]
    config.forget_discovery()
    oidc_provider.set_accounts({"alice": ALICE, "bob": BOB})
    yield oidc_provider
    config.forget_discovery()


def deter() -> Client:
    return Client(REMOTE_ADDR="203.0.113.9", HTTP_USER_AGENT=AGENT)


def start(client: Client, next_page: str | None = None) -> str:
    """Press "Sign in with ..." on Deter's sign-in page: the provider's authorisation URL."""
    query = f"?{urlencode({'next': next_page})}" if next_page else ""
    response = client.get(reverse("oidc_authentication_init") + query)
    assert response.status_code == 302, response.content.decode()[:500]
    return response["Location"]


def sign_in(client: Client, provider, login: str, password: str, next_page=None):
    back = Browser(provider).authorise(start(client, next_page), login, password)
    return client.get(local(back))


def roles_of(username: str) -> set[tuple[str, str]]:
    return set(StaffRole.objects.filter(user__username=username)
               .values_list("agency__name", "role"))


def test_the_sign_in_page_offers_the_provider_only_when_it_is_configured(settings, sso):
    page = deter().get(reverse("login") + "?next=/programmes/").content.decode()
    assert "Sign in with Testshire ID</a>" in page
    assert 'href="/oidc/authenticate/?next=/programmes/"' in page
    assert 'name="username"' in page  # local accounts still sign in beside it
    settings.DETER_OIDC_ISSUER = ""
    page = deter().get(reverse("login")).content.decode()
    assert "Sign in with" not in page and "/oidc/" not in page
    assert deter().get(reverse("oidc_authentication_init")).status_code == 404


def test_the_authorisation_request_carries_state_nonce_and_a_pkce_challenge(sso):
    client = deter()
    url = start(client)
    assert url.startswith(f"{sso.issuer}/auth?")
    query = parse_qs(urlsplit(url).query)
    assert query["client_id"] == [CLIENT_ID] and query["response_type"] == ["code"]
    assert query["redirect_uri"] == ["http://testserver/oidc/callback/"]
    assert query["code_challenge_method"] == ["S256"]
    state, nonce = query["state"][0], query["nonce"][0]
    kept = client.session["oidc_states"][state]
    assert kept["nonce"] == nonce and len(kept["code_verifier"]) >= 43
    assert AuditEvent.objects.get(action="start_sso_sign_in").outcome == "allowed"


def test_a_first_sign_in_creates_the_user_with_the_mapped_roles_and_audits_it(sso):
    client = deter()
    response = sign_in(client, sso, "alice", ALICE["password"], next_page="/programmes/")
    assert response.status_code == 302 and response["Location"] == "/programmes/"
    user = User.objects.get(username="alice.smith@testshire.police.uk")
    assert (user.email, user.first_name, user.last_name) == (
        ALICE["email"], "Alice", "Smith")
    assert not user.has_usable_password()  # it signs in only through the provider
    assert SingleSignOnIdentity.objects.get(user=user).subject == "alice"
    assert roles_of(user.username) == {("Testshire Police", "analyst"),
                                       ("Testshire VRU", "coordinator"),
                                       ("Testshire VRU", "caseworker")}
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.session["_auth_user_backend"] == "deter.web.sso.backend.SingleSignOnBackend"
    assert client.session["deter_sso"]["amr"] == ["pwd", "mfa"]
    assert client.get(reverse("cohort")).status_code == 200

    synced = AuditEvent.objects.get(action="sync_sso_user")
    assert (synced.actor_name, synced.object_id) == ("system", str(user.pk))
    assert synced.detail["groups"] == sorted([POLICE_ANALYSTS, VRU_COORDINATORS])
    assert len(synced.detail["granted"]) == 3 and synced.detail["revoked"] == []
    row = AuditEvent.objects.get(action="sign_in")
    assert (row.actor, row.outcome, row.ip_address, row.user_agent, row.purpose) == (
        user, "allowed", "203.0.113.9", AGENT, "account")
    assert row.detail["method"] == "sso" and row.detail["provider"] == "Testshire ID"
    assert (row.detail["amr"], row.detail["acr"]) == (["pwd", "mfa"], "urn:deter:test:mfa")
    assert {r["role"] for r in row.actor_roles} == {"analyst", "coordinator", "caseworker"}


def test_a_user_whose_groups_map_to_nothing_is_refused_and_it_is_audited(sso):
    client = deter()
    response = sign_in(client, sso, "bob", BOB["password"])
    assert response.status_code == 403
    page = response.content.decode()
    assert "There is a problem" in page and "none of the groups that give access" in page
    assert "Sign in with Testshire ID" in page  # to try again
    assert not User.objects.filter(username=BOB["preferred_username"]).exists()
    assert "_auth_user_id" not in client.session
    row = AuditEvent.objects.get(action="sign_in")
    assert (row.actor, row.actor_name, row.outcome, row.ip_address) == (
        None, "anonymous", "denied", "203.0.113.9")
    assert "none of the groups" in row.detail["reason"]


def test_roles_follow_the_groups_at_every_sign_in(sso, world):
    first = deter()
    sign_in(first, sso, "alice", ALICE["password"])
    username = ALICE["preferred_username"]
    assert len(roles_of(username)) == 3
    person = reverse("person", args=[world.active.pk])
    assert first.get(person).status_code == 200

    # an administrator takes Alice out of the VRU group and renames her
    sso.set_accounts({"alice": {**ALICE, "groups": [POLICE_ANALYSTS],
                                "preferred_username": "alice.jones@testshire.police.uk"}})
    response = sign_in(deter(), sso, "alice", ALICE["password"])
    assert response.status_code == 302
    assert roles_of("alice.jones@testshire.police.uk") == {("Testshire Police", "analyst")}
    assert User.objects.filter(sso_identity__subject="alice").count() == 1  # the same account
    synced = AuditEvent.objects.filter(action="sync_sso_user").latest("id")
    assert len(synced.detail["revoked"]) == 2 and synced.detail["granted"] == []
    assert "username" in synced.detail["changed"]

    # and out of every Deter group: refused, and her roles go, in her open sessions too
    sso.set_accounts({"alice": {**ALICE, "groups": [UNMAPPED]}})
    assert sign_in(deter(), sso, "alice", ALICE["password"]).status_code == 403
    assert roles_of(username) == set()
    assert first.get(person).status_code == 404


def test_a_tampered_or_replayed_state_is_refused(sso):
    client = deter()
    back = Browser(sso).authorise(start(client), "alice", ALICE["password"])
    query = parse_qs(urlsplit(back).query)
    tampered = {**{k: v[0] for k, v in query.items()}, "state": query["state"][0][:-1] + "x"}
    response = client.get(reverse("oidc_authentication_callback"), tampered)
    assert response.status_code == 400
    assert "not started in this browser" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert not User.objects.filter(username=ALICE["preferred_username"]).exists()
    assert AuditEvent.objects.get(action="sign_in").outcome == "denied"

    assert client.get(local(back)).status_code == 302  # the genuine answer signs in, once
    other = deter()  # the same answer in another browser (a stolen redirect) is refused
    assert other.get(local(back)).status_code == 400
    client.post(reverse("logout"))
    assert client.get(local(back)).status_code == 400  # and not twice in the same one


@pytest.mark.parametrize("kept, expected", [
    ("nonce", "Nonce verification failed"),
    ("code_verifier", "did not accept the sign-in"),
])
def test_a_wrong_nonce_or_pkce_verifier_is_refused(sso, kept, expected):
    client = deter()
    url = start(client)
    state = parse_qs(urlsplit(url).query)["state"][0]
    session = client.session
    session["oidc_states"][state][kept] = "x" * 64  # not what the provider was given
    session.save()
    back = Browser(sso).authorise(url, "alice", ALICE["password"])
    response = client.get(local(back))
    assert response.status_code == 403 and expected in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert expected in AuditEvent.objects.get(action="sign_in").detail["reason"]


def test_app_roles_can_be_the_claim_that_is_mapped(settings, sso):
    settings.DETER_OIDC_GROUPS_CLAIM = "roles"  # Entra ID's app roles
    sso.set_accounts({"erin": {"password": "erin-pw", "preferred_username": "erin@uni.ac.uk",
                               "roles": ["Deter.Evaluator"], "groups": [POLICE_ANALYSTS]}})
    assert sign_in(deter(), sso, "erin", "erin-pw").status_code == 302
    assert roles_of("erin@uni.ac.uk") == {("Testshire VRU", "evaluator")}


def test_a_local_account_of_the_same_name_is_not_taken_over(sso, world):
    sso.set_accounts({"mallory": {"password": "m-pw", "preferred_username": "Analyst",
                                  "groups": [VRU_COORDINATORS]}})
    response = sign_in(deter(), sso, "mallory", "m-pw")
    assert response.status_code == 403
    assert "already has an account named &#x27;analyst&#x27;" in response.content.decode()
    assert roles_of("analyst") == {("Testshire Police", "analyst")}  # unchanged
    assert not SingleSignOnIdentity.objects.exists()


def test_a_user_deactivated_in_deter_is_refused_and_signed_out(sso):
    client = deter()
    sign_in(client, sso, "alice", ALICE["password"])
    user = User.objects.get(username=ALICE["preferred_username"])
    User.objects.filter(pk=user.pk).update(is_active=False)  # as an administrator would
    assert client.get(reverse("cohort")).status_code == 302  # the open session ends
    response = sign_in(deter(), sso, "alice", ALICE["password"])
    assert response.status_code == 403 and "deactivated" in response.content.decode()


def test_local_sign_in_still_works_and_sso_users_have_no_password(sso, world):
    response = deter().post(reverse("login"), {
        "username": "coordinator", "password": "coordinator-password-123"})
    assert response.status_code == 302
    sign_in(deter(), sso, "alice", ALICE["password"])
    response = deter().post(reverse("login"), {
        "username": ALICE["preferred_username"], "password": ""})
    assert response.status_code == 400


def test_the_providers_own_refusal_is_shown_and_audited(sso):
    client = deter()
    url = start(client)
    state = parse_qs(urlsplit(url).query)["state"][0]
    response = client.get(reverse("oidc_authentication_callback"), {
        "error": "access_denied", "error_description": "End-User aborted interaction",
        "state": state})
    assert response.status_code == 403
    assert "Testshire ID did not sign you in: End-User aborted interaction" in (
        response.content.decode())
    assert state not in client.session.get("oidc_states", {})
    assert AuditEvent.objects.get(action="sign_in").detail["reason"].endswith("aborted interaction")


def test_a_provider_that_cannot_be_reached_is_a_clear_refusal(settings, sso):
    settings.DETER_OIDC_ISSUER = "http://127.0.0.1:9"  # the discard port: nothing listens
    config.forget_discovery()
    response = deter().get(reverse("oidc_authentication_init"))
    assert response.status_code == 503
    assert "Testshire ID cannot be reached" in response.content.decode()
    assert AuditEvent.objects.get(action="sign_in").outcome == "denied"


def test_the_group_map_is_checked_and_names_what_is_wrong(db):
    assert config.group_map(GROUP_MAP)[VRU_COORDINATORS] == {
        config.Grant("Testshire VRU", "coordinator"), config.Grant("Testshire VRU", "caseworker")}
    with pytest.raises(ImproperlyConfigured, match="group 'g1': unknown role 'admin'"):
        config.group_map({"g1": {"agency": "Testshire Police", "roles": ["admin"]}})
    with pytest.raises(ImproperlyConfigured, match="group 'g2' must map to an object"):
        config.group_map({"g2": {"agency": "Testshire Police", "role": "analyst"}})
    with pytest.raises(ImproperlyConfigured, match="must be a JSON object of group ids"):
        config.group_map(["g3"])


def test_an_id_token_for_another_client_is_refused(settings, sso):
    """The library leaves the ID token's audience unchecked; Deter checks it (a real token,
    signed by the provider for this client, offered to a Deter registered as another)."""
    client = deter()
    url = start(client)
    state = parse_qs(urlsplit(url).query)["state"][0]
    kept = client.session["oidc_states"][state]
    back = Browser(sso).authorise(url, "alice", ALICE["password"])
    tokens = requests.post(config.discovery()["token_endpoint"], timeout=10, data={
        "grant_type": "authorization_code", "code": parse_qs(urlsplit(back).query)["code"][0],
        "redirect_uri": "http://testserver/oidc/callback/", "client_id": CLIENT_ID,
        "client_secret": sso.client_secret, "code_verifier": kept["code_verifier"]}).json()
    backend = SingleSignOnBackend()
    assert backend.verify_token(tokens["id_token"], nonce=kept["nonce"])["sub"] == "alice"
    settings.DETER_OIDC_CLIENT_ID = "another-application"
    with pytest.raises(SuspiciousOperation, match="is for 'deter-tests', not this client"):
        backend.verify_token(tokens["id_token"], nonce=kept["nonce"])


def test_a_discovery_document_naming_another_issuer_is_refused(settings, sso):
    settings.DETER_OIDC_ISSUER = sso.issuer.replace("127.0.0.1", "localhost")
    config.forget_discovery()
    response = deter().get(reverse("oidc_authentication_init"))
    assert response.status_code == 503
    assert f"describes the issuer &#x27;{sso.issuer}&#x27;" in response.content.decode()


def test_a_next_page_elsewhere_is_not_followed(sso):
    client = deter()
    response = sign_in(client, sso, "alice", ALICE["password"], next_page="https://evil.example/")
    assert response.status_code == 302 and response["Location"] == reverse("cohort")


SSO_ENV = {"DETER_OIDC_ISSUER": "https://login.microsoftonline.com/tenant-id/v2.0",
           "DETER_OIDC_CLIENT_ID": "client-id", "DETER_OIDC_CLIENT_SECRET": "a-secret",
           "DETER_OIDC_GROUP_MAP": json.dumps(GROUP_MAP)}


def start_deter(tmp_path, **env: str) -> subprocess.CompletedProcess:
    """Django set up in a fresh interpreter with ``env``: the settings and the app's start."""
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith("DETER_") and k not in ("DATABASE_URL",)}
    return subprocess.run(  # noqa: S603 (our own interpreter and code)
        [sys.executable, "-c", "import django, os; "
         "os.environ['DJANGO_SETTINGS_MODULE'] = 'deter.web.settings'; django.setup(); "
         "from django.conf import settings; print(settings.AUTHENTICATION_BACKENDS[-1])"],
        env={**clean, "DATABASE_URL": f"sqlite:///{tmp_path}/d.sqlite3", **env},
        capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(("change", "message"), [
    ({"DETER_OIDC_CLIENT_ID": "", "DETER_OIDC_GROUP_MAP": ""},
     "single sign-on needs DETER_OIDC_CLIENT_ID, DETER_OIDC_GROUP_MAP or "
     "DETER_OIDC_GROUP_MAP_FILE too"),
    ({"DETER_OIDC_GROUP_MAP": "{'g1': 1}"}, "DETER_OIDC_GROUP_MAP is not JSON"),
    ({"DETER_OIDC_GROUP_MAP": '{"g1": {"agency": "A", "roles": ["admin"]}}'},
     "group 'g1': unknown role 'admin'"),
    ({"DETER_OIDC_GROUP_MAP_FILE": "/nonexistent/map.json"},
     "DETER_OIDC_GROUP_MAP_FILE='/nonexistent/map.json': cannot be read"),
])
def test_deter_will_not_start_with_single_sign_on_half_configured(tmp_path, change, message):
    result = start_deter(tmp_path, **{**SSO_ENV, **change})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr


def test_deter_starts_with_single_sign_on_configured_without_asking_the_provider(tmp_path):
    # the issuer's host does not resolve here: nothing is fetched until someone signs in
    path = tmp_path / "map.json"
    path.write_text(json.dumps(GROUP_MAP))
    result = start_deter(tmp_path, **{**SSO_ENV, "DETER_OIDC_GROUP_MAP": "",
                                      "DETER_OIDC_GROUP_MAP_FILE": str(path)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "deter.web.sso.backend.SingleSignOnBackend"
    assert start_deter(tmp_path).stdout.strip() == "django.contrib.auth.backends.ModelBackend"


def test_deter_check_names_an_agency_the_map_names_that_deter_does_not_have(settings, sso):
    assert _sso_agencies_exist(None) == []
    settings.DETER_OIDC_GROUP_MAP = {**GROUP_MAP, "g": {"agency": "Nowhere", "roles": ["dpo"]}}
    [warning] = _sso_agencies_exist(None)
    assert warning.id == "deter.W013" and "Deter does not have: Nowhere" in warning.msg


HIDDEN = re.compile(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"')


def _signed_in(sso) -> tuple[Client, Browser]:
    client, browser = deter(), Browser(sso)
    client.get(local(browser.authorise(start(client), "alice", ALICE["password"])))
    assert "_auth_user_id" in client.session
    return client, browser


def test_signing_out_ends_the_session_at_the_provider_too(sso):
    client, browser = _signed_in(sso)
    response = client.post(reverse("logout"))
    assert "_auth_user_id" not in client.session  # Deter's session ends first, whatever follows
    assert response.status_code == 302
    url = response["Location"]
    assert url.startswith(f"{config.discovery()['end_session_endpoint']}?")
    assert parse_qs(urlsplit(url).query) == {
        "client_id": [CLIENT_ID], "post_logout_redirect_uri": ["http://testserver/sign-in/"]}
    assert AuditEvent.objects.get(action="sign_out").detail == {"at_provider": "Testshire ID"}
    # the provider asks the user to confirm, then sends them back to Deter's sign-in page
    page = browser.http.get(url, allow_redirects=False, timeout=10)
    assert page.status_code == 200
    action = re.search(r'<form[^>]*action="([^"]+)"', page.text).group(1)
    confirmed = browser.http.post(urljoin(url, action), allow_redirects=False, timeout=10,
                                  data={**dict(HIDDEN.findall(page.text)), "logout": "yes"})
    assert confirmed.is_redirect
    assert confirmed.headers["Location"] == "http://testserver/sign-in/"
    # the provider's session is over: signing in again asks for the password there
    shown = len(browser.pages)
    client.get(local(browser.authorise(start(client), "alice", ALICE["password"])))
    assert len(browser.pages) == shown + 1 and "Sign in to the test provider" in browser.pages[-1]
    assert "_auth_user_id" in client.session


def test_without_it_the_provider_would_sign_the_next_person_straight_back_in(settings, sso):
    # why it is on by default: at a shared PC, signing out of Deter alone leaves the
    # provider's session, and the next "Sign in with ..." needs no password
    settings.DETER_OIDC_SIGN_OUT_AT_PROVIDER = False
    client, browser = _signed_in(sso)
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and not response["Location"].startswith(sso.issuer)
    assert AuditEvent.objects.get(action="sign_out").detail == {}
    shown = len(browser.pages)
    client.get(local(browser.authorise(start(client), "alice", "not asked for")))
    assert len(browser.pages) == shown  # no sign-in form at the provider
    assert "_auth_user_id" in client.session


def test_a_local_account_signs_out_at_deter_alone(sso, world):
    client = deter()
    client.force_login(world.coordinator)
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and not response["Location"].startswith(sso.issuer)

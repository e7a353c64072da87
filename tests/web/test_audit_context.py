"""Each audit row carries the request it was written in: address, user agent, a keyed HMAC of
the session, the actor's roles and the purpose; the system outside a request carries none."""

import hashlib
import hmac

import pytest
from django.test import Client, RequestFactory

from deter.web import audit
from deter.web.audit.context import client_ip, session_token
from deter.web.models import AuditEvent
from deter.web.models.audit import USER_AGENT_LENGTH


@pytest.mark.parametrize(("proxies", "forwarded", "expected"), [
    (0, "198.51.100.1", "192.0.2.9"),  # no proxy trusted: the header is the client's word
    (1, "198.51.100.1", "198.51.100.1"),
    (1, "203.0.113.5, 198.51.100.1", "198.51.100.1"),  # only the entry our proxy added
    (2, "203.0.113.5, 198.51.100.1", "203.0.113.5"),
    (2, "198.51.100.1", "192.0.2.9"),  # fewer entries than proxies: not trusted
    (1, "not-an-address", None),
    (1, " 2001:0DB8::0001 ", "2001:db8::1"),  # stored as the database would normalise it
])
def test_the_client_address_honours_the_trusted_proxies(proxies, forwarded, expected):
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.9",
                                   HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request, proxies) == expected


def test_the_session_is_a_keyed_hmac_never_the_key(settings):
    hashed = session_token("abc123")
    assert len(hashed) == 64 and "abc123" not in hashed
    assert hashed == session_token("abc123") != session_token("abc124")
    assert hashed != hmac.new(b"", b"abc123", hashlib.sha256).hexdigest()
    settings.SECRET_KEY = "another-secret-key-for-this-test"  # noqa: S105 (a test's key)
    assert session_token("abc123") != hashed  # keyed: not computable without the secret
    assert session_token(None) == session_token("") == ""


def test_a_request_writes_address_agent_session_roles_and_purpose(world, settings):
    settings.DETER_TRUSTED_PROXIES = 1
    client = Client(HTTP_USER_AGENT="x" * 5000, REMOTE_ADDR="10.0.0.2",
                    HTTP_X_FORWARDED_FOR="203.0.113.77")
    client.force_login(world.analyst)
    assert client.get("/profile/").status_code == 200
    assert client.get("/programmes/").status_code == 200
    rows = list(AuditEvent.objects.order_by("id"))
    assert [row.action for row in rows] == ["view_profile", "view_programmes"]
    session_key = client.session.session_key
    for row in rows:
        assert row.ip_address == "203.0.113.77"
        assert row.user_agent == "x" * USER_AGENT_LENGTH
        assert row.session == session_token(session_key) and session_key not in row.session
        assert row.actor_roles == [{"agency": world.police.name, "agency_id": world.police.pk,
                                    "role": "analyst"}]
    assert [row.purpose for row in rows] == ["analysis", "delivery"]


def test_sign_in_is_audited_with_the_session_it_starts(world):
    client = Client(HTTP_USER_AGENT="browser")
    response = client.post("/sign-in/", {"username": "caseworker",
                                         "password": "caseworker-password-123"})
    assert response.status_code == 302
    row = AuditEvent.objects.get(action="sign_in")
    assert row.session == session_token(client.session.session_key) != ""
    assert row.purpose == "account" and row.ip_address == "127.0.0.1"


def test_a_request_no_view_answers_is_still_audited(world):
    client = Client(HTTP_USER_AGENT="probe")
    client.force_login(world.stranger)
    assert client.get("/no-such-page/").status_code == 404
    row = AuditEvent.objects.get()
    assert (row.action, row.outcome, row.actor, row.purpose) == (
        "request", "denied", world.stranger, "")
    assert row.detail == {"method": "GET", "path": "/no-such-page/", "status": 404}
    assert row.user_agent == "probe" and row.session


def test_the_system_outside_a_request_records_no_request_context(world):
    row = audit.record(None, "retention_run", "retention_run", 1)
    assert (row.ip_address, row.user_agent, row.session, row.purpose, row.actor_roles) == (
        None, "", "", "", [])
    row = audit.record(world.coordinator, "create_demo_world", "programme", 1)
    assert row.ip_address is None and row.actor_roles[0]["role"] == "coordinator"

"""The HTTP API's behaviour beyond who sees what (test_api_access.py): tokens (hashed, shown
once, expiring, revocable, bound to an agency), the fields a data-sharing agreement grants,
writes through the actions with their audit rows, clear JSON errors that change nothing, one
audit row per call naming the integration, rate limits, and no session or CSRF confusion."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from deter.web.actions import api_tokens
from deter.web.models import (
    AgreementParty,
    ApiToken,
    AuditEvent,
    Intervention,
    InterventionUpdate,
    StaffRole,
)

from .api_helpers import api_client, issue

PEOPLE = "/api/v1/people/"


@pytest.fixture(autouse=True)
def _fresh_rate_counts():
    cache.clear()  # the throttles count in the cache, which outlives one test
    yield
    cache.clear()


def _rows_since(before: int):
    return list(AuditEvent.objects.filter(id__gt=before).order_by("id"))


def _last_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


# --- tokens -----------------------------------------------------------------------------------


def test_a_token_is_stored_only_as_its_digest_and_acts_as_a_passwordless_service_user(world):
    issued = issue(world, "partner", name="Northgate MIS")
    token = ApiToken.objects.get()
    assert issued.secret.startswith(f"deter_{token.prefix}_") and len(issued.secret) > 40
    assert token.digest == api_tokens.digest(issued.secret) != issued.secret
    stored = [str(v) for v in ApiToken.objects.values().get().values()]
    assert not any(issued.secret in value for value in stored)
    user = token.user
    assert user.username == "api-northgate-mis" and not user.has_usable_password()
    assert set(StaffRole.objects.filter(user=user).values_list("agency", "role")) == {
        (world.school.pk, "partner")}
    row = AuditEvent.objects.get(action="issue_api_token")
    assert row.detail["integration"] == "Northgate MIS" and issued.secret not in str(row.detail)


def test_issuing_refuses_bad_input_naming_it_and_changes_nothing(world):
    before = (ApiToken.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ValidationError) as error:
        api_tokens.issue_token(None, name="  ", agency_name="Nowhere", role="king", days=400)
    assert set(error.value.message_dict) == {"name", "agency", "role", "days"}
    assert "Nowhere" in error.value.message_dict["agency"][0]
    assert (ApiToken.objects.count(), AuditEvent.objects.count()) == before


def test_a_signed_in_user_may_not_issue_or_revoke_tokens(world):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        api_tokens.issue_token(world.coordinator, name="x", agency_name=world.vru.name,
                               role="coordinator")
    assert not ApiToken.objects.exists()
    assert AuditEvent.objects.filter(action="issue_api_token", outcome="denied").exists()


def test_a_name_taken_by_a_staff_account_is_refused(world):
    from .factories import make_user

    make_user("api-northgate-mis", world.school, StaffRole.Role.PARTNER)
    with pytest.raises(ValidationError, match="not this agency's service user"):
        issue(world, "partner", name="Northgate MIS")
    assert not ApiToken.objects.exists()


def test_revoked_expired_and_unknown_tokens_are_refused_with_401_naming_why(world):
    live, revoked, expired = (issue(world, "partner", name=n) for n in ("a", "b", "c"))
    api_tokens.revoke_token(None, prefix=revoked.token.prefix)
    ApiToken.objects.filter(pk=expired.token.pk).update(expires_at=timezone.now())
    assert api_client(live.secret).get(PEOPLE).status_code == 200
    for secret, message in (
        (revoked.secret, "This API token was revoked"),
        (expired.secret, "This API token has expired"),
        (live.secret[:-3] + "xyz", "This API token is not known"),
        ("not-a-token", "This is not a Deter API token"),
    ):
        response = api_client(secret).get(PEOPLE)
        assert response.status_code == 401, secret
        assert response.json()["error"]["message"] == message
        assert response["WWW-Authenticate"] == 'Bearer realm="deter"'
    response = Client(HTTP_AUTHORIZATION="Basic abc").get(PEOPLE)
    assert response.json()["error"]["message"] == "The Authorization header must be " \
        "'Bearer <token>'"
    assert Client().get(PEOPLE).status_code == 401
    with pytest.raises(ValidationError, match="already revoked"):
        api_tokens.revoke_token(None, prefix=revoked.token.prefix)


def test_a_token_whose_service_user_gains_a_role_elsewhere_stops_acting(world):
    issued = issue(world, "partner")
    StaffRole.objects.create(user=issued.token.user, agency=world.police, role="analyst")
    response = api_client(issued.secret).get(PEOPLE)
    assert response.status_code == 401
    assert "roles outside its agency" in response.json()["error"]["message"]


# --- what is shown ----------------------------------------------------------------------------


def test_a_person_is_shown_only_in_the_categories_the_agreement_grants(world):
    AgreementParty.objects.filter(agency=world.school).update(categories=["identity"])
    partner = api_client(issue(world, "partner").secret)
    coordinator = api_client(issue(world, "coordinator").secret)
    url = f"{PEOPLE}{world.active.pk}/"
    narrow, full = partner.get(url).json(), coordinator.get(url).json()
    assert narrow["categories"] == ["identity"]
    assert narrow["person_id"] == "P-ACTIVE" and narrow["is_child"] is True
    assert "date_of_birth" not in narrow and "ethnicity" not in narrow
    assert [set(p) for p in narrow["programmes"]] == [{"entry", "programme", "programme_name"}]
    assert full["date_of_birth"] == world.active.date_of_birth.isoformat()
    assert full["programmes"][0]["status"] == "active"
    assert "cohort" in full["categories"] and "date_of_birth" in full["categories"]


def test_the_list_pages_and_refuses_a_bad_page_naming_the_parameter(world):
    client = api_client(issue(world, "coordinator").secret)
    first = client.get(PEOPLE, {"limit": 2}).json()
    second = client.get(PEOPLE, {"limit": 2, "offset": 2}).json()
    assert first["count"] == second["count"] == 4
    assert len(first["results"]) == len(second["results"]) == 2
    assert not {p["id"] for p in first["results"]} & {p["id"] for p in second["results"]}
    response = client.get(PEOPLE, {"limit": 1000})
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["limit"]


def test_listing_people_costs_the_same_queries_however_many_there_are(world,
                                                                     django_assert_max_num_queries):
    from .factories import make_entry, make_person

    client = api_client(issue(world, "coordinator").secret)
    client.get(PEOPLE)  # warm: the first call reads the token's user's roles
    with django_assert_max_num_queries(20) as few:
        client.get(PEOPLE)
    for n in range(10):
        make_entry(world.programme, make_person(f"P-MORE-{n}"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get(PEOPLE).json()["results"]) == 14


# --- writes -----------------------------------------------------------------------------------


def _new_intervention(world, **overrides) -> dict:
    return {"programme": world.programme.pk, "agency": world.school.pk, "kind": "support",
            "category": "mentoring", "title": "Weekly mentoring", **overrides}


def test_recording_and_moving_an_intervention_goes_through_the_actions(world):
    client = api_client(issue(world, "partner", name="Northgate MIS").secret)
    before = _last_id()
    response = client.post(f"{PEOPLE}{world.active.pk}/interventions/",
                           _new_intervention(world, status="referred"),
                           content_type="application/json")
    assert response.status_code == 201, response.content
    made = Intervention.objects.get(pk=response.json()["id"])
    assert (made.person, made.agency, made.status) == (world.active, world.school, "referred")
    assert made.created_by.username == "api-northgate-mis"
    actions = [(r.action, r.outcome) for r in _rows_since(before)]
    assert actions == [("add_intervention", "allowed"), ("api_add_intervention", "allowed")]
    today = timezone.localdate().isoformat()
    response = client.post(f"/api/v1/interventions/{made.pk}/updates/",
                           {"status": "accepted", "on": today}, content_type="application/json")
    assert response.status_code == 201 and response.json()["status"] == "accepted"
    response = client.post(f"/api/v1/interventions/{made.pk}/updates/",
                           {"status": "engaged", "on": today, "note": "Attended session 1"},
                           content_type="application/json")
    assert [u["status"] for u in response.json()["updates"]] == [
        "referred", "accepted", "engaged"]
    assert response.json()["updates"][-1]["note"] == "Attended session 1"
    listed = client.get(f"{PEOPLE}{world.active.pk}/interventions/").json()
    assert [i["id"] for i in listed] == [made.pk]


def test_invalid_input_is_a_400_naming_each_field_and_writes_nothing(world):
    client = api_client(issue(world, "partner").secret)
    url = f"{PEOPLE}{world.active.pk}/interventions/"
    counts = (Intervention.objects.count(), InterventionUpdate.objects.count())
    for body, fields in (
        ({"kind": "magic"}, {"programme", "agency", "kind", "title"}),
        (_new_intervention(world, programme=world.police_only_programme.pk), {"programme"}),
        (_new_intervention(world, agency=world.housing.pk), {"agency"}),
        (_new_intervention(world, category="aba"), {"category"}),  # not a support category
        (_new_intervention(world, start="2026-05-02", end="2026-05-01"), {"end"}),
    ):
        response = client.post(url, body, content_type="application/json")
        assert response.status_code == 400, (body, response.content)
        error = response.json()["error"]
        assert set(error["fields"]) == fields, body
        assert error["message"].startswith("The request has errors in: ")
    response = client.post(url, "{not json", content_type="application/json")
    assert response.status_code == 400 and "JSON parse error" in response.json()["error"][
        "message"]
    response = client.post(url, "kind=support", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert (Intervention.objects.count(), InterventionUpdate.objects.count()) == counts


def test_a_change_the_life_cycle_refuses_names_what_it_can_become(world):
    client = api_client(issue(world, "partner").secret)
    made = client.post(f"{PEOPLE}{world.active.pk}/interventions/", _new_intervention(world),
                       content_type="application/json").json()
    response = client.post(f"/api/v1/interventions/{made['id']}/updates/",
                           {"status": "completed", "on": timezone.localdate().isoformat()},
                           content_type="application/json")
    assert response.status_code == 400
    message = response.json()["error"]["fields"]["status"][0]
    assert "cannot become completed: it can become referred" in message
    future = (timezone.localdate() + timedelta(days=2)).isoformat()
    response = client.post(f"/api/v1/interventions/{made['id']}/updates/",
                           {"status": "referred", "on": future}, content_type="application/json")
    assert list(response.json()["error"]["fields"]) == ["on"]
    assert InterventionUpdate.objects.filter(intervention_id=made["id"]).count() == 1


# --- the audit trail --------------------------------------------------------------------------


def test_every_call_writes_a_row_naming_the_integration_refusals_too(world):
    issued = issue(world, "partner", name="Northgate MIS")
    client = api_client(issued.secret, REMOTE_ADDR="203.0.113.9")
    before = _last_id()
    client.get(PEOPLE)
    client.get(f"{PEOPLE}{world.active.pk}/")
    client.get(f"{PEOPLE}{world.proposed.pk}/")  # hidden from a partner: 404
    client.get("/api/v1/nowhere/")
    api_tokens.revoke_token(None, prefix=issued.token.prefix)
    client.get(PEOPLE)
    rows = _rows_since(before)
    assert [(r.action, r.object_id, r.outcome, r.detail.get("status")) for r in rows] == [
        ("api_list_people", "", "allowed", 200),
        ("view_person", str(world.active.pk), "allowed", 200),
        ("view_person", str(world.proposed.pk), "denied", 404),
        ("api_not_found", "", "denied", 404),
        ("revoke_api_token", str(issued.token.pk), "allowed", None),
        ("api_list_people", "", "denied", 401),
    ]
    calls = [r for r in rows if r.action != "revoke_api_token"]
    assert {r.detail["integration"] for r in calls} == {"Northgate MIS"}
    assert {r.detail["token"] for r in calls} == {issued.token.prefix}
    assert {r.ip_address for r in calls} == {"203.0.113.9"}
    assert {r.purpose for r in calls} == {"delivery"}
    assert rows[0].detail["people"] == sorted([world.active.pk, world.stepped_down.pk])
    assert rows[0].actor_name == "api-northgate-mis" and rows[-1].actor_name == "anonymous"


# --- rate limits ------------------------------------------------------------------------------


def test_a_token_over_its_rate_is_answered_429_with_retry_after(world, settings):
    settings.DETER_API_RATE = "3/minute"
    first, second = issue(world, "partner", name="one"), issue(world, "partner", name="two")
    one, other = api_client(first.secret), api_client(second.secret)
    assert [one.get(PEOPLE).status_code for _ in range(4)] == [200, 200, 200, 429]
    refused = one.get(PEOPLE)
    assert refused.status_code == 429 and 1 <= int(refused["Retry-After"]) <= 60
    assert "throttled" in refused.json()["error"]["message"].lower()
    assert other.get(PEOPLE).status_code == 200  # counted per token
    row = AuditEvent.objects.filter(action="api_list_people",
                                    detail__token=first.token.prefix).order_by("id").last()
    assert (row.outcome, row.detail["status"]) == ("denied", 429)


def test_calls_without_a_good_token_are_limited_by_address(world, settings):
    settings.DETER_API_ANONYMOUS_RATE = "2/minute"
    guesser = api_client("deter_0000_guess", REMOTE_ADDR="198.51.100.1")
    assert [guesser.get(PEOPLE).status_code for _ in range(3)] == [401, 401, 429]
    assert Client(REMOTE_ADDR="198.51.100.1").get(PEOPLE).status_code == 429
    assert api_client(issue(world, "partner").secret,
                      REMOTE_ADDR="198.51.100.1").get(PEOPLE).status_code == 200


# --- no session, no CSRF, no caching ----------------------------------------------------------


def test_a_session_cookie_does_not_authenticate_a_call(world):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.coordinator)
    assert browser.get("/cohort/").status_code == 200  # signed in to the pages
    response = browser.get(PEOPLE)
    assert response.status_code == 401
    response = browser.post(f"{PEOPLE}{world.active.pk}/interventions/",
                            _new_intervention(world), content_type="application/json")
    assert response.status_code == 401  # not a CSRF 403: the cookie is not even read
    assert not Intervention.objects.exists()
    assert "sessionid" not in response.cookies


def test_answers_are_not_stored_by_browsers_or_proxies_and_are_json(world):
    client = api_client(issue(world, "partner").secret)
    for response in (client.get(PEOPLE), client.get(f"{PEOPLE}{world.proposed.pk}/"),
                     Client().get(PEOPLE), client.get("/api/v1/nowhere/")):
        assert "no-store" in response["Cache-Control"]
        assert response["Content-Type"] == "application/json"
        assert set(response.json()) in ({"count", "limit", "offset", "results"}, {"error"})


# --- the command ------------------------------------------------------------------------------


def test_the_command_issues_once_lists_without_the_token_and_revokes(world, capsys):
    import re

    from deter import cli

    assert cli.main(["api-token", "create", "--name", "Northgate MIS", "--agency",
                     world.school.name, "--days", "30"]) == 0
    printed = capsys.readouterr().out
    secret = re.search(r"^(deter_\S+)$", printed, re.MULTILINE).group(1)
    assert "shown this once" in printed and "acting as api-northgate-mis" in printed
    assert api_client(secret).get(PEOPLE).status_code == 200
    prefix = ApiToken.objects.get().prefix
    assert cli.main(["api-token", "list"]) == 0
    listed = capsys.readouterr().out
    assert prefix in listed and "live" in listed and secret not in listed
    assert cli.main(["api-token", "revoke", prefix]) == 0
    assert api_client(secret).get(PEOPLE).status_code == 401
    assert cli.main(["api-token", "list"]) == 0
    assert "revoked" in capsys.readouterr().out
    assert cli.main(["api-token", "revoke", "nope"]) == 2
    assert "No API token starts 'nope'. Nothing was changed." in capsys.readouterr().err
    assert cli.main(["api-token", "create", "--name", "x", "--agency", "Nowhere"]) == 2
    assert "No agency is called 'Nowhere'" in capsys.readouterr().err

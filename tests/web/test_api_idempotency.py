"""Idempotency-Key on the API's writes: a retried POST records once and is answered the same;
the key cannot be reused for another request; a refused request gives its key back."""

import uuid

import pytest
from django.utils import timezone

from deter.web.models import AuditEvent, Intervention, InterventionUpdate

from .api_helpers import api_client, issue

PEOPLE = "/api/v1/people/"


def _body(world, **overrides) -> dict:
    return {"programme": world.programme.pk, "agency": world.school.pk, "kind": "support",
            "category": "mentoring", "title": "Weekly mentoring", **overrides}


def _post(client, url, body, key=None):
    extra = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(url, body, content_type="application/json", **extra)


@pytest.fixture
def client(world):
    return api_client(issue(world, "partner", name="Northgate MIS").secret)


def test_a_retry_with_the_same_key_records_once_and_answers_the_same(world, client):
    url, key = f"{PEOPLE}{world.active.pk}/interventions/", str(uuid.uuid4())
    first = _post(client, url, _body(world), key)
    again = _post(client, url, _body(world), key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Intervention.objects.filter(person=world.active, title="Weekly mentoring").count() == 1
    rows = AuditEvent.objects.filter(action="api_add_intervention").order_by("id")
    assert [r.detail.get("replayed", False) for r in rows] == [False, True]
    assert AuditEvent.objects.filter(action="add_intervention").count() == 1


def test_without_a_key_each_post_records(world, client):
    url = f"{PEOPLE}{world.active.pk}/interventions/"
    assert _post(client, url, _body(world)).status_code == 201
    assert _post(client, url, _body(world)).status_code == 201
    assert Intervention.objects.filter(person=world.active, title="Weekly mentoring").count() == 2


def test_the_same_key_for_another_request_is_refused_and_records_nothing(world, client):
    url, key = f"{PEOPLE}{world.active.pk}/interventions/", "retry-1"
    assert _post(client, url, _body(world), key).status_code == 201
    other = _post(client, url, _body(world, title="Boxing club"), key)
    assert other.status_code == 422
    assert "used for a different request" in other.json()["error"]["message"]
    assert not Intervention.objects.filter(title="Boxing club").exists()


def test_a_refused_request_gives_its_key_back(world, client):
    url, key = f"{PEOPLE}{world.active.pk}/interventions/", "retry-2"
    refused = _post(client, url, _body(world, kind="magic"), key)
    assert refused.status_code == 400
    assert _post(client, url, _body(world), key).status_code == 201  # corrected, same key


def test_keys_belong_to_the_caller(world, client):
    url, key = f"{PEOPLE}{world.active.pk}/interventions/", "shared-key"
    assert _post(client, url, _body(world), key).status_code == 201
    coordinator = api_client(issue(world, "coordinator", name="VRU system").secret)
    second = _post(coordinator, url, _body(world), key)
    assert second.status_code == 201 and "Idempotent-Replayed" not in second
    assert Intervention.objects.filter(person=world.active, title="Weekly mentoring").count() == 2


@pytest.mark.parametrize("key", ["", "has space", "x" * 65, "naïve"])
def test_a_malformed_key_is_a_400_naming_the_header(world, client, key):
    response = _post(client, f"{PEOPLE}{world.active.pk}/interventions/", _body(world), key)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["error"]["fields"]
    assert not Intervention.objects.filter(person=world.active,
                                           title="Weekly mentoring").exists()


def test_a_retried_update_moves_the_intervention_once(world, client):
    made = _post(client, f"{PEOPLE}{world.active.pk}/interventions/",
                 _body(world, status="referred")).json()
    url = f"/api/v1/interventions/{made['id']}/updates/"
    today = timezone.localdate().isoformat()
    for _ in range(2):
        response = _post(client, url, {"status": "accepted", "on": today}, "accept-1")
        assert response.status_code == 201
    assert InterventionUpdate.objects.filter(intervention_id=made["id"],
                                             status="accepted").count() == 1


def test_the_schema_documents_the_header(db, client):
    schema = client.get("/api/v1/schema/").json()
    post = schema["paths"]["/api/v1/people/{pk}/interventions/"]["post"]
    assert "Idempotency-Key" in [p["name"] for p in post["parameters"] if p["in"] == "header"]
    assert {"409", "422"} <= set(post["responses"])

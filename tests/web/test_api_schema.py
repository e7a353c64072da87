"""The API fuzzed against its own OpenAPI schema with schemathesis, through the WSGI app.

Every operation of the schema the app serves (/api/v1/schema/) is called with generated
requests, valid and not, as a coordinator's token (who sees the most of the programme, so
reads and writes reach real records) and the answers are checked: no server error, every
response in the schema (body, status code, content type and headers). Path ids are drawn
from the records that exist as well as at random, so found and not-found are both fuzzed.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from deter.web.models import Intervention
from deter.web.wsgi import application

from .api_helpers import issue

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance,
          content_type_conformance, response_headers_conformance, negative_data_rejection]
EXAMPLES = 40  # per operation


@pytest.fixture
def fuzz_settings(settings):
    settings.DETER_API_RATE = "100000/minute"  # the fuzzing is not what is being limited
    settings.DETER_API_ANONYMOUS_RATE = "100000/minute"
    # schemathesis calls the WSGI app directly, so each request's start and end would close
    # the test's database connection (inside its transaction) as a real request does; on
    # PostgreSQL that ends the test. Django's own test client unhooks the same signals.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield settings
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_the_schema_is_served_and_valid(db, client):
    response = client.get("/api/v1/schema/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) == {
        "/api/v1/people/", "/api/v1/people/{pk}/", "/api/v1/people/{pk}/interventions/",
        "/api/v1/interventions/{pk}/", "/api/v1/interventions/{pk}/updates/"}
    assert schema["components"]["securitySchemes"]["token"] == {
        "type": "http", "scheme": "bearer",
        "description": "A token from `deter api-token create` (docs/api.md)"}


def test_every_operation_answers_within_its_schema(world, fuzz_settings):
    token = issue(world, "coordinator").secret
    Intervention.objects.create(
        programme=world.programme, person=world.active, kind="support", category="mentoring",
        title="Mentoring", agency=world.school, created_by=world.coordinator)
    known = [world.active.pk, world.proposed.pk, world.unlisted.pk,
             *Intervention.objects.values_list("pk", flat=True)]
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application)
    failures: list[str] = []
    calls = sum(_fuzz(result.ok(), known, token, failures)
                for result in schema.get_all_operations())
    assert calls >= 5 * EXAMPLES / 2
    assert not failures, "\n\n".join(failures[:5])


def _fuzz(operation, known: list[int], token: str, failures: list[str]) -> int:
    """Call one operation with generated requests; failures are added to ``failures``."""
    calls = 0
    strategy = operation.as_strategy()
    if "{pk}" in operation.path:
        strategy = st.tuples(strategy, st.sampled_from(known) | st.integers()).map(_with_pk)

    @given(case=strategy)
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def check(case):
        nonlocal calls
        calls += 1
        try:
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
        except (Exception, FailureGroup) as error:
            failures.append(f"{operation.label}: {error}")
            raise

    try:
        check()
    except (Exception, FailureGroup):  # noqa: S110 (the failure is in ``failures``)
        pass
    return calls


def _with_pk(pair):
    case, pk = pair
    if case.path_parameters is not None and isinstance(case.path_parameters.get("pk"), int):
        case.path_parameters["pk"] = pk
    return case

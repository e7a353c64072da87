"""Every API route, role by role, from one table: each role's token sees and does exactly
what the rules in ``deter.web.policy``'s docstring allow, and a hidden record answers 404
exactly as a missing one does.

The roles' tokens act as service users holding the same roles in the same agencies as the
test world's staff; the expected answers are written from the rules (as in
test_policy_matrix.py), and each is also checked against the policy itself, so the API and
the pages cannot drift apart. A new API route without a row fails
``test_every_api_route_has_rows``.
"""

from typing import NamedTuple

import pytest
from django.urls import URLPattern, get_resolver
from django.utils import timezone

from deter.web import policy
from deter.web.models import Intervention, InterventionUpdate

from .api_helpers import ROLE_AGENCIES, api_client, issue

ROLES = tuple(ROLE_AGENCIES)
A, C, CW, P = "analyst", "coordinator", "caseworker", "partner"
STAFF = frozenset({A, C, CW})
ENGAGED = STAFF | {P}
EVERY_STATUS = frozenset({A, C})
NOBODY: frozenset[str] = frozenset()
MISSING = 10**9


class Row(NamedTuple):
    route: str  # the URL name
    method: str
    record: str  # a key of the ``records`` fixture
    allowed: frozenset[str]  # roles answered 200/201; every other role is refused
    body: tuple = ()  # (field, key of ``records`` or a value) for a POST


def row(route, method, record, allowed, **body) -> Row:
    return Row(route, method, record, frozenset(allowed), tuple(sorted(body.items())))


TABLE = [
    # a person: through a cohort entry only (test_policy_matrix's people rows)
    row("api_person", "get", "active", ENGAGED),
    row("api_person", "get", "stepped_down", ENGAGED),
    row("api_person", "get", "proposed", EVERY_STATUS),
    row("api_person", "get", "exited", EVERY_STATUS),
    row("api_person", "get", "police_only", {A}),
    row("api_person", "get", "unlisted", NOBODY),
    row("api_person_interventions", "get", "active", ENGAGED),
    row("api_person_interventions", "get", "proposed", EVERY_STATUS),
    row("api_person_interventions", "get", "police_only", {A}),
    row("api_person_interventions", "get", "unlisted", NOBODY),
    # recording: staff for any of the programme's agencies, a partner for its own
    row("api_person_interventions", "post", "active", ENGAGED, agency="school"),
    row("api_person_interventions", "post", "active", STAFF, agency="police"),
    row("api_person_interventions", "post", "proposed", EVERY_STATUS, agency="school"),
    row("api_person_interventions", "post", "unlisted", NOBODY, agency="school"),
    # an intervention: seen with its person; moved along by whoever records for its agency
    row("api_intervention", "get", "schools_intervention", ENGAGED),
    row("api_intervention", "get", "polices_intervention", ENGAGED),
    row("api_intervention", "get", "proposed_persons_intervention", EVERY_STATUS),
    row("api_intervention", "get", "police_only_intervention", {A}),
    row("api_intervention_updates", "post", "schools_intervention", ENGAGED),
    row("api_intervention_updates", "post", "polices_intervention", STAFF),
    row("api_intervention_updates", "post", "proposed_persons_intervention", EVERY_STATUS),
    row("api_intervention_updates", "post", "police_only_intervention", {A}),
]
# the list of people: exactly the people of the rows above each role may see
PEOPLE = ("active", "stepped_down", "proposed", "exited", "police_only", "unlisted")
SEES = {role: {r.record for r in TABLE if r.route == "api_person" and role in r.allowed}
        for role in ROLES}
# routes answered the same to every token (no record): the schema and the catch-all 404
NOT_RECORDS = {"api_schema", "api_not_found", "api_people"}


@pytest.fixture
def records(world) -> dict:
    def intervention(person, agency, programme=world.programme) -> Intervention:
        made = Intervention.objects.create(
            programme=programme, person=person, kind="support", category="mentoring",
            title="Mentoring", agency=agency, created_by=world.coordinator)
        InterventionUpdate.objects.create(intervention=made, status="planned",
                                          on=timezone.localdate(), recorded_by=world.coordinator)
        return made

    return {
        "active": world.active, "stepped_down": world.stepped_down,
        "proposed": world.proposed, "exited": world.exited, "police_only": world.police_only,
        "unlisted": world.unlisted, "school": world.school, "police": world.police,
        "programme": world.programme,
        "schools_intervention": intervention(world.active, world.school),
        "polices_intervention": intervention(world.active, world.police),
        "proposed_persons_intervention": intervention(world.proposed, world.social_care),
        "police_only_intervention": intervention(world.police_only, world.police,
                                                 world.police_only_programme),
    }


@pytest.fixture
def tokens(world) -> dict:
    return {role: issue(world, role) for role in ROLES}


def _call(client, r: Row, pk: int, records) -> object:
    path = {
        "api_person": f"/api/v1/people/{pk}/",
        "api_person_interventions": f"/api/v1/people/{pk}/interventions/",
        "api_intervention": f"/api/v1/interventions/{pk}/",
        "api_intervention_updates": f"/api/v1/interventions/{pk}/updates/",
    }[r.route]
    if r.method == "get":
        return client.get(path)
    if r.route == "api_intervention_updates":
        data = {"status": "referred", "on": timezone.localdate().isoformat()}
    else:
        body = dict(r.body)
        data = {"programme": records["programme"].pk, "agency": records[body["agency"]].pk,
                "kind": "support", "category": "mentoring", "title": "Mentoring via the API"}
    return client.post(path, data, content_type="application/json")


def _policy_allows(r: Row, user, records) -> bool:
    """The same question asked of the policy directly."""
    record = records[r.record]
    if r.route in ("api_person", "api_person_interventions") and r.method == "get":
        return policy.people.visible(user).filter(pk=record.pk).exists()
    if r.route == "api_person_interventions":
        return policy.people.visible(user).filter(pk=record.pk).exists() and policy.people.can(
            user, "add_intervention", record, programme=records["programme"],
            agency=records[dict(r.body)["agency"]])
    if r.route == "api_intervention":
        return policy.interventions.visible(user).filter(pk=record.pk).exists()
    return policy.interventions.can(user, "update", record)


@pytest.mark.parametrize("role", ROLES)
def test_each_route_answers_each_role_as_the_rules_say(role, records, tokens):
    client = api_client(tokens[role].secret)
    user = tokens[role].token.user
    wrong = []
    for r in TABLE:
        record = records[r.record]
        expected = role in r.allowed
        response = _call(client, r, record.pk, records)
        ok = response.status_code in (200, 201)
        if ok != expected or _policy_allows(r, user, records) != expected:
            wrong.append(f"{r.method.upper()} {r.route} {r.record}: {response.status_code}, "
                         f"expected {'allowed' if expected else 'refused'}")
        if not expected and response.status_code == 404:
            missing = _call(client, r, MISSING, records)
            if (missing.status_code, missing.content) != (404, response.content):
                wrong.append(f"{r.route} {r.record}: a hidden record's 404 differs from a "
                             f"missing one's: {response.content} vs {missing.content}")
        elif not expected and response.status_code != 403:
            wrong.append(f"{r.route} {r.record}: refused with {response.status_code}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("role", ROLES)
def test_the_list_of_people_is_exactly_whom_the_role_sees(role, records, tokens):
    response = api_client(tokens[role].secret).get("/api/v1/people/")
    assert response.status_code == 200
    got = {person["id"] for person in response.json()["results"]}
    assert got == {records[name].pk for name in SEES[role]}
    assert got == set(policy.people.visible(tokens[role].token.user).values_list("pk", flat=True))
    assert response.json()["count"] == len(got)


def test_every_api_route_has_rows():
    api = next(p for p in get_resolver().url_patterns if str(p.pattern) == "api/")
    names = {p.name for p in api.url_patterns if isinstance(p, URLPattern)}
    assert names - NOT_RECORDS == {r.route for r in TABLE}

"""Within a request the policy reads each user's roles and partnerships once: the answers are
the same as reading them afresh, and a change to partnerships in the request is seen."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from deter.web import policy
from deter.web.actions.programmes import update_programme
from deter.web.models import CohortEntry, Programme

ROLES = ("analyst", "coordinator", "caseworker", "partner", "stranger", "superuser")


@pytest.fixture
def caching():
    token = policy.caching_grants()
    yield
    policy.stop_caching(token)


def answers(world, user) -> dict:
    programmes = list(Programme.objects.order_by("pk"))
    return {
        "people": set(policy.people.visible(user)),
        "entries": set(policy.entries.visible(user)),
        "programmes": list(policy.programmes.visible(user)),
        "decided": list(policy.programmes.instances(user, "decide")),
        "case_detail": list(policy.programmes.instances(user, "see_case_detail")),
        "panel": set(policy.programmes.instances(user, "run_panel")),
        "groups": set(policy.groups.visible(user)),
        "meetings": set(policy.meetings.visible(user)),
        "actions": set(policy.meeting_actions.visible(user)),
        "interventions": set(policy.interventions.visible(user)),
        "profile": policy.runs.can(user, "view_profile"),
        "decides": [policy.programmes.can(user, "decide", p) for p in programmes],
        "delivery": [policy.programmes.can(user, "see_delivery", p) for p in programmes],
        "letters": [policy.entries.can(user, "write_letter", e)
                    for e in CohortEntry.objects.order_by("pk")],
        "scores": list(policy.scores.in_run(user, world.run)
                       .values_list("person_id", "case_detail")),
    }


@pytest.mark.parametrize("role", ROLES)
def test_cached_answers_are_the_uncached_ones(world, role):
    user = getattr(world, role)
    fresh = answers(world, user)
    token = policy.caching_grants()
    try:
        cached = answers(world, user)
    finally:
        policy.stop_caching(token)
    assert cached == fresh
    if role in ("coordinator", "caseworker"):
        assert fresh["people"]  # the comparison is not between two empty answers
    if role == "coordinator":
        assert any(fresh["decides"]) and any(fresh["letters"]) and not all(fresh["letters"])


def test_roles_are_read_once_per_request(world, caching):
    with CaptureQueriesContext(connection) as queries:
        for _ in range(5):
            list(policy.people.visible(world.coordinator))
            policy.runs.can(world.coordinator, "view_profile")
    reads = [q["sql"] for q in queries.captured_queries if 'FROM "deter_staffrole"' in q["sql"]]
    assert len(reads) == 1
    # the grants once (roles, programmes led, agreements in force), then five lists of people
    assert len(queries) == 8


def test_a_change_of_partners_in_the_request_is_seen(world, caching):
    assert world.active in set(policy.people.visible(world.partner))
    programme = Programme.objects.get(pk=world.programme.pk)
    kept = [a for a in programme.agencies.all() if a != world.school]
    update_programme(world.coordinator, programme, agencies=kept)
    assert set(policy.people.visible(world.partner)) == set()


def test_each_request_starts_afresh(world):
    token = policy.caching_grants()
    list(policy.people.visible(world.partner))
    policy.stop_caching(token)
    world.programme.agencies.remove(world.school)  # not through the action: no forget_grants
    token = policy.caching_grants()
    try:
        assert set(policy.people.visible(world.partner)) == set()
    finally:
        policy.stop_caching(token)

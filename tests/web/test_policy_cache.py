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
    return {
        "people": set(policy.people_visible_to(user)),
        "entries": set(policy.cohort_entries_visible_to(user)),
        "programmes": list(policy.programmes_for(user)),
        "decided": list(policy.programmes_decided_by(user)),
        "case_detail": list(policy.programmes_with_case_detail(user)),
        "panel": set(policy.programmes_with_panel(user)),
        "groups": set(policy.cohort_groups_visible_to(user)),
        "meetings": set(policy.meetings_visible_to(user)),
        "actions": set(policy.actions_visible_to(user)),
        "interventions": set(policy.interventions_visible_to(user)),
        "profile": policy.can_see_problem_profile(user),
        "decides": [policy.can_decide(user, p) for p in Programme.objects.order_by("pk")],
        "delivery": [policy.can_see_delivery(user, p) for p in Programme.objects.order_by("pk")],
        "letters": [policy.can_write_letter(user, e)
                    for e in CohortEntry.objects.order_by("pk")],
        "scores": list(policy.person_scores_visible_to(user, world.run)
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
            list(policy.people_visible_to(world.coordinator))
            policy.can_see_problem_profile(world.coordinator)
    reads = [q["sql"] for q in queries.captured_queries if 'FROM "deter_staffrole"' in q["sql"]]
    assert len(reads) == 1
    assert len(queries) == 6  # the roles once, then the five lists of people


def test_a_change_of_partners_in_the_request_is_seen(world, caching):
    assert world.active in set(policy.people_visible_to(world.partner))
    programme = Programme.objects.get(pk=world.programme.pk)
    kept = [a for a in programme.agencies.all() if a != world.school]
    update_programme(world.coordinator, programme, agencies=kept)
    assert set(policy.people_visible_to(world.partner)) == set()


def test_each_request_starts_afresh(world):
    token = policy.caching_grants()
    list(policy.people_visible_to(world.partner))
    policy.stop_caching(token)
    world.programme.agencies.remove(world.school)  # not through the action: no forget_grants
    token = policy.caching_grants()
    try:
        assert set(policy.people_visible_to(world.partner)) == set()
    finally:
        policy.stop_caching(token)

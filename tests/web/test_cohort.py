"""The cohort page: the latest complete run's ranked people, restricted by the policy."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from deter.web.models import AnalysisRun, AuditEvent
from deter.web.views import cohort as cohort_view
from deter.web.views.cohort import PAGE_SIZE

from .factories import make_entry, make_event, make_person, make_run

URL = reverse("cohort")


def listed(response) -> set[str]:
    return {row.score.person.person_id for row in response.context["rows"]}


def test_it_lists_every_status_to_the_coordinator(client, world):
    client.force_login(world.coordinator)
    response = client.get(URL)
    assert response.status_code == 200
    assert listed(response) == {"P-PROPOSED", "P-ACTIVE", "P-STEPPED", "P-EXITED"}
    assert "OFFICIAL-SENSITIVE" in response.content.decode()


def test_it_lists_only_active_and_stepped_down_people_to_caseworkers(client, world):
    client.force_login(world.caseworker)
    assert listed(client.get(URL)) == {"P-ACTIVE", "P-STEPPED"}


def test_it_lists_nobody_to_the_outside_agency_user(client, world):
    client.force_login(world.stranger)
    response = client.get(URL)
    assert response.status_code == 200
    assert listed(response) == set()
    page = response.content.decode()
    # group labels are matched as whole words: "G1" can occur inside the random CSRF token
    assert "P-ACTIVE" not in page and not re.search(r"\bG1\b", page)
    assert "There are no people in this analysis that you can see" in page


def test_it_summarises_the_harm_explanation(client, world):
    client.force_login(world.coordinator)
    response = client.get(URL)
    row = next(r for r in response.context["rows"] if r.score.person == world.active)
    (top,) = row.top_events  # the victim-side event is not part of the harm score
    assert (top.event_id, top.offence_category, top.harm_weight) == (
        "E-P-ACTIVE", "violence and sexual offences", 365.0)
    assert 0 < top.decay <= 1 and top.contribution == round(365.0 * top.decay, 3)
    page = response.content.decode()
    assert "Violence and sexual offences" in page and "Review" in page and "Active" in page


def test_it_shows_partner_users_statuses_but_not_scores(client, world):
    client.force_login(world.partner)
    response = client.get(URL)
    assert listed(response) == {"P-ACTIVE", "P-STEPPED"}
    assert all(r.top_events == [] for r in response.context["rows"])
    assert response.context["groups"] == []
    page = response.content.decode()
    assert "Scores are shared with analysts, coordinators and caseworkers only" in page
    assert "Violence and sexual offences" not in page


def test_it_lists_groups_with_people_the_user_can_see(client, world):
    client.force_login(world.caseworker)
    groups = client.get(URL).context["groups"]
    assert {(g.group_label, g.size, g.visible_members) for g in groups} == {
        ("G1", 2, 1), ("G2", 1, 1)}


def test_it_lists_only_the_highest_ranked_groups_and_says_so(client, world, monkeypatch):
    monkeypatch.setattr(cohort_view, "MAX_GROUPS", 1)
    client.force_login(world.caseworker)
    response = client.get(URL)
    assert [g.group_label for g in response.context["groups"]] == ["G1"]  # rank 1 of G1, G2
    assert "the 1 highest-ranked of 2" in response.content.decode()


def test_it_uses_the_latest_complete_run_only(client, world):
    make_run([world.active], status="running")
    client.force_login(world.coordinator)
    assert client.get(URL).context["run"] == world.run


def test_it_lists_cohort_members_missing_from_the_run_separately(client, world):
    newcomer = make_person("P-NEW")
    make_entry(world.programme, newcomer, "active")
    client.force_login(world.caseworker)
    response = client.get(URL)
    assert [e.person for e in response.context["unranked"]] == [newcomer]
    assert "P-NEW" not in listed(response)


def test_it_audits_the_people_shown(client, world):
    client.force_login(world.caseworker)
    client.get(URL)
    row = AuditEvent.objects.get(action="view_cohort")
    assert row.actor == world.caseworker and row.object_id == str(world.run.pk)
    assert set(row.detail["people"]) == {world.active.pk, world.stepped_down.pk}


def test_it_redirects_anonymous_users_to_sign_in(client, world):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={URL}"


def _cohort_of(world, n: int):
    people = []
    for i in range(n):
        person = make_person(f"P-BULK-{n}-{i:03}")
        make_event(f"E-BULK-{n}-{i:03}", person, days_ago=10 + i)
        make_event(f"E-BULK-{n}-{i:03}-V", person, role="victim", days_ago=20 + i)
        make_entry(world.programme, person, "active")
        people.append(person)
    make_run(people, group_of={p.person_id: f"G{i % 7}" for i, p in enumerate(people)})


def _queries(client, path) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(path)
    assert response.status_code == 200
    return len(context)


def test_its_query_count_is_the_same_for_5_and_50_people(
    client, world, django_assert_max_num_queries
):
    client.force_login(world.coordinator)
    _cohort_of(world, 5)
    five = _queries(client, URL)
    _cohort_of(world, 50)
    with django_assert_max_num_queries(five):
        response = client.get(URL)
    assert len(response.context["rows"]) == PAGE_SIZE
    assert _queries(client, URL) == five
    assert _queries(client, URL + "?page=2") == five


def test_it_paginates(client, world):
    _cohort_of(world, PAGE_SIZE + 3)
    client.force_login(world.caseworker)
    first, second = client.get(URL), client.get(URL + "?page=2")
    assert len(first.context["rows"]) == PAGE_SIZE
    assert len(second.context["rows"]) == 3  # the latest run scores only the 28 new people
    assert not listed(first) & listed(second)
    assert 'aria-label="Pagination"' in first.content.decode()
    assert client.get(URL + "?page=999").context["page"].number == 2


@pytest.mark.parametrize("who", ["coordinator", "stranger"])
def test_a_new_install_before_its_first_analysis_shows_an_empty_cohort(client, world, who):
    AnalysisRun.objects.all().delete()
    client.force_login(getattr(world, who))
    response = client.get(reverse("cohort"))
    assert response.status_code == 200

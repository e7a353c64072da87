"""The person page: who may open it, what it shows, and the audit row every view writes."""

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from deter.web.models import AuditEvent, Intervention, PersonScore

from .factories import make_event, without_form_tokens


def url(person) -> str:
    return reverse("person", args=[person.pk])


def audit_rows(action="view_person"):
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def test_it_shows_a_visible_person_with_their_case_detail(client, world):
    client.force_login(world.coordinator)
    response = client.get(url(world.active))
    assert response.status_code == 200
    page = response.content.decode()
    assert "OFFICIAL-SENSITIVE" in page
    assert "P-ACTIVE" in page
    assert "Age" in page and ">16" in page
    assert "E-P-ACTIVE" in page and "E-ACTIVE-VICTIM" in page  # events with roles
    assert "Violence and sexual offences" in page
    assert "Events behind the harm score" in page
    assert "Events behind the victim harm score" in page
    assert re.search(r"\bG1\b", page)  # analysis group (whole word: not in a CSRF token)
    assert "Test rationale for P-ACTIVE" in page
    assert "Add an intervention" in page


def test_it_writes_an_audit_row_for_every_view(client, world):
    client.force_login(world.caseworker)
    client.get(url(world.active))
    client.get(url(world.active))
    rows = audit_rows()
    assert len(rows) == 2
    assert all(r.actor == world.caseworker and r.actor_name == "caseworker" for r in rows)
    assert all(r.object_type == "person" and r.object_id == str(world.active.pk) for r in rows)
    assert all(r.outcome == "allowed" for r in rows)


def test_it_gives_the_outside_agency_user_a_404_and_audits_the_attempt(client, world):
    client.force_login(world.stranger)
    response = client.get(url(world.active))
    assert response.status_code == 404
    assert b"P-ACTIVE" not in response.content
    (row,) = audit_rows()
    assert (row.actor, row.outcome, row.object_type, row.object_id) == (
        world.stranger, "denied", "person", str(world.active.pk))


def test_it_gives_an_identical_404_for_a_nonexistent_person(client, world):
    client.force_login(world.stranger)
    hidden = client.get(url(world.active))
    missing = client.get(reverse("person", args=[999_999]))
    assert hidden.status_code == missing.status_code == 404
    assert without_form_tokens(hidden.content) == without_form_tokens(missing.content)
    assert [r.outcome for r in audit_rows()] == ["denied", "denied"]


def test_it_gives_the_same_404_for_an_out_of_range_id(client, world):
    client.force_login(world.coordinator)
    missing = client.get(reverse("person", args=[999_999]))
    huge = client.get(f"/people/{10**30}/")
    assert huge.status_code == 404
    assert without_form_tokens(huge.content) == without_form_tokens(missing.content)


def test_it_hides_proposed_people_from_caseworkers_like_missing_ones(client, world):
    client.force_login(world.caseworker)
    hidden = client.get(url(world.proposed))
    missing = client.get(reverse("person", args=[999_999]))
    assert hidden.status_code == missing.status_code == 404
    assert without_form_tokens(hidden.content) == without_form_tokens(missing.content)


def test_it_shows_proposed_people_to_the_coordinator(client, world):
    client.force_login(world.coordinator)
    assert client.get(url(world.proposed)).status_code == 200


def test_it_gives_a_superuser_without_roles_a_404(client, world):
    client.force_login(world.superuser)
    assert client.get(url(world.active)).status_code == 404


def test_it_withholds_case_detail_from_partner_users(client, world):
    client.force_login(world.partner)
    response = client.get(url(world.active))
    assert response.status_code == 200
    page = response.content.decode()
    assert "P-ACTIVE" in page
    # the rationale is analysis-written: police intelligence, not shared with the school
    assert "Test rationale for P-ACTIVE" not in page
    assert "Not shared with your agency under the programme's data-sharing agreement" in page
    assert "E-P-ACTIVE" not in page
    assert "Events behind the harm score" not in page
    assert "shared with analysts, coordinators and caseworkers only" in page
    assert AuditEvent.objects.get(action="view_person").detail == {"case_detail": False}


def test_it_never_shows_ethnicity(client, world):
    world.active.ethnicity = "Recorded-Ethnicity-Value"
    world.active.save()
    client.force_login(world.analyst)
    assert b"Recorded-Ethnicity-Value" not in client.get(url(world.active)).content


def test_it_redirects_anonymous_users_to_sign_in(client, world):
    response = client.get(url(world.active))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert not audit_rows()


def test_it_sends_a_strict_content_security_policy(client, world):
    client.force_login(world.coordinator)
    response = client.get(url(world.active))
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert b"<script>" not in response.content and b"style=" not in response.content


def test_it_lists_every_event_in_the_timeline(client, world):
    for i in range(25):
        make_event(f"E-MANY-{i:02}", world.active, days_ago=40 + i)
    client.force_login(world.coordinator)
    response = client.get(url(world.active))
    events = [i for i in response.context["timeline"].items if i.kind == "event"]
    assert len(events) == 27  # 25 here, 2 in the world
    assert all(f"Event E-MANY-{i:02}" in response.content.decode() for i in range(25))


def _queries(client, path) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(path).status_code == 200
    return len(context)


def _grow(world, person, n):
    for i in range(n):
        make_event(f"E-GROW-{person.person_id}-{i}", person, days_ago=40 + i)
        Intervention.objects.create(
            programme=world.programme, person=person, kind="support", title=f"Support {i}",
            agency=world.police, created_by=world.coordinator,
        )


def test_its_query_count_does_not_grow_with_events_and_interventions(
    client, world, django_assert_max_num_queries
):
    client.force_login(world.coordinator)
    _grow(world, world.active, 5)
    small = _queries(client, url(world.active))
    _grow(world, world.stepped_down, 50)
    with django_assert_max_num_queries(small):
        client.get(url(world.stepped_down))
    assert _queries(client, url(world.stepped_down)) == small


def test_a_long_explanation_lists_the_largest_events_and_still_adds_up(client, world):
    """30 offending events: the page lists the 25 largest and sums the other five, so the
    table still adds up to the score; ?events=all lists every one."""
    items = [{"side": "offender", "event_id": f"E-LONG-{n:02d}", "offence_code": "105A",
              "offence_category": "Violence and sexual offences", "role": "suspect",
              "occurred_at": "2026-01-01T12:00:00Z", "harm_weight": 10.0, "decay": 1.0,
              "contribution": float(n)} for n in range(1, 31)]
    score = PersonScore.objects.get(run=world.run, person=world.active)
    score.explanation = items
    score.harm_score = sum(i["contribution"] for i in items)  # 465
    score.save()
    client.force_login(world.coordinator)

    page = client.get(url(world.active)).content.decode()
    listed = re.findall(r"E-LONG-(\d\d)", page)
    assert sorted(map(int, listed)) == list(range(6, 31))  # the 25 largest
    assert "The other 5 events, each smaller" in page
    assert ">15.0<" in page  # 1 + 2 + 3 + 4 + 5
    assert ">465.0<" in page

    # the link keeps the timeline's filter and page
    filtered = client.get(url(world.active) + "?show=events&page=1").content.decode()
    assert 'href="?show=events&amp;page=1&amp;events=all#harm"' in filtered

    every = client.get(url(world.active) + "?events=all").content.decode()
    assert sorted(map(int, re.findall(r"E-LONG-(\d\d)", every))) == list(range(1, 31))
    assert "each smaller" not in every

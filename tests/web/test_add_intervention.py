"""Adding an intervention from the person page: the form, the action, the audit row."""

import pytest
from django.test import Client
from django.urls import reverse

from deter.web.models import AuditEvent, Intervention

from .casework_factories import the_audit_row

VALID = {
    "kind": "support",
    "title": "Boxing club mentoring",
    "status": "referred",
    "start_day": "2", "start_month": "3", "start_year": "2026",
    "end_day": "", "end_month": "", "end_year": "",
    "outcome": "Attended first session",
}


def post(client, world, person, **changes):
    data = {**VALID, "programme": world.programme.pk, "agency": world.police.pk, **changes}
    return client.post(reverse("add_intervention", args=[person.pk]), data)


def test_it_adds_the_intervention_and_audits_it(client, world):
    client.force_login(world.caseworker)
    assert not Intervention.objects.exists()
    response = post(client, world, world.active)
    assert response.status_code == 302
    assert response["Location"] == reverse("person", args=[world.active.pk]) + "#interventions"
    intervention = Intervention.objects.get()
    assert (intervention.person, intervention.programme, intervention.agency) == (
        world.active, world.programme, world.police)
    assert intervention.title == "Boxing club mentoring"
    assert intervention.start.isoformat() == "2026-03-02" and intervention.end is None
    assert (intervention.kind, intervention.status, intervention.outcome) == (
        "support", "referred", "Attended first session")
    assert intervention.created_by == world.caseworker
    row = AuditEvent.objects.get(action="add_intervention")
    assert (row.actor, row.outcome, row.object_type, row.object_id) == (
        world.caseworker, "allowed", "intervention", str(intervention.pk))
    assert row.detail["person"] == world.active.pk
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "Intervention added: Boxing club mentoring" in page.content.decode()


def test_it_lists_the_new_intervention_on_the_person_page(client, world):
    client.force_login(world.coordinator)
    response = post(client, world, world.active)
    page = client.get(response["Location"]).content.decode()
    assert "Intervention added: Boxing club mentoring" in page
    assert "Boxing club mentoring" in page and "Testshire Police" in page


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": ""}, "Enter what is offered or done"),
        ({"title": "   "}, "Enter what is offered or done"),
        ({"kind": ""}, "Select the type of intervention"),
        ({"end_day": "1", "end_month": "3", "end_year": "2026"},
         "The end date must be the same as or after the start date"),
        ({"start_day": "31", "start_month": "2", "start_year": "2026"},
         "Start date must be a real date"),
        ({"start_year": ""}, "Start date must include a year"),
    ],
)
def test_it_rejects_bad_input_with_a_clear_error_and_changes_nothing(
    client, world, changes, message
):
    client.force_login(world.caseworker)
    response = post(client, world, world.active, **changes)
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page and message in page
    assert 'class="govuk-error-summary"' in page
    assert not Intervention.objects.exists()
    assert not AuditEvent.objects.filter(action="add_intervention").exists()


def test_it_refuses_a_partner_naming_another_agency_as_provider(client, world):
    client.force_login(world.partner)
    response = post(client, world, world.active, agency=world.police.pk)
    assert response.status_code == 400
    assert "Select an agency you may record interventions for" in response.content.decode()
    assert not Intervention.objects.exists()
    assert not AuditEvent.objects.filter(action="add_intervention", outcome="allowed").exists()


def test_it_lets_a_partner_record_their_own_agency(client, world):
    client.force_login(world.partner)
    assert post(client, world, world.active, agency=world.school.pk).status_code == 302
    intervention = Intervention.objects.get()
    assert (intervention.agency, intervention.person, intervention.created_by) == (
        world.school, world.active, world.partner)
    the_audit_row("add_intervention", world.partner, "intervention", intervention.pk)


def test_it_refuses_an_agency_outside_the_programme(client, world):
    client.force_login(world.coordinator)
    response = post(client, world, world.active, agency=world.housing.pk)
    assert response.status_code == 400
    assert not Intervention.objects.exists()


def test_it_offers_partners_only_their_own_agency(client, world):
    client.force_login(world.partner)
    page = client.get(reverse("person", args=[world.active.pk])).content.decode()
    assert "Northgate School" in page
    assert f'<option value="{world.police.pk}"' not in page


def test_it_gives_the_outside_agency_user_a_404_and_audits_it(client, world):
    client.force_login(world.stranger)
    response = post(client, world, world.active)
    assert response.status_code == 404
    assert not Intervention.objects.exists()
    row = AuditEvent.objects.get(action="add_intervention")
    assert (row.actor, row.outcome, row.object_id) == (
        world.stranger, "denied", str(world.active.pk))


def test_it_gives_a_caseworker_a_404_for_a_proposed_person(client, world):
    client.force_login(world.caseworker)
    assert post(client, world, world.proposed).status_code == 404
    assert not Intervention.objects.exists()


def test_it_enforces_csrf(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.coordinator)
    response = post(client, world, world.active)
    assert response.status_code == 403
    assert not Intervention.objects.exists()
    # The same post with the token from the page goes through.
    client.get(reverse("person", args=[world.active.pk]))
    token = client.cookies["csrftoken"].value
    response = post(client, world, world.active, csrfmiddlewaretoken=token)
    assert response.status_code == 302
    assert Intervention.objects.count() == 1


def test_it_only_accepts_post(client, world):
    client.force_login(world.coordinator)
    assert client.get(reverse("add_intervention", args=[world.active.pk])).status_code == 405


def test_it_redirects_anonymous_users_to_sign_in(client, world):
    response = post(client, world, world.active)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert not Intervention.objects.exists()

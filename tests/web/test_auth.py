"""Sign in and sign out, and that every page needs a signed-in user."""

import pytest
from django.test import Client
from django.urls import reverse

from deter.web.models import AuditEvent


@pytest.mark.parametrize("name", ["home", "cohort"])
def test_it_redirects_anonymous_users_to_sign_in(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_signs_in_and_audits_it(client, world):
    response = client.post(reverse("login"), {
        "username": "coordinator", "password": "coordinator-password-123"})
    assert response.status_code == 302 and response["Location"] == reverse("cohort")
    row = AuditEvent.objects.get(action="sign_in")
    assert (row.actor, row.outcome) == (world.coordinator, "allowed")


def test_it_rejects_a_wrong_password_with_a_clear_error_and_audits_it(client, world):
    response = client.post(reverse("login"), {"username": "coordinator", "password": "nope"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page and "Enter a correct username and password" in page
    row = AuditEvent.objects.get(action="sign_in")
    assert (row.actor, row.actor_name, row.outcome, row.detail) == (
        None, "anonymous", "denied", {"username": "coordinator"})
    assert "_auth_user_id" not in client.session


def test_it_renders_an_accessible_sign_in_page(client, db):
    page = client.get(reverse("login")).content.decode()
    assert '<html lang="en-GB"' in page
    assert 'class="govuk-skip-link"' in page
    assert '<label class="govuk-label govuk-label--s" for="id_username">' in page
    assert "govuk/govuk.css" in page and "deter/app.css" in page


def test_it_signs_out_only_by_post_and_audits_it(client, world):
    client.force_login(world.caseworker)
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert AuditEvent.objects.get(action="sign_out").actor == world.caseworker
    assert client.get(reverse("cohort")).status_code == 302


def test_it_enforces_csrf_on_sign_in(world):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {
        "username": "coordinator", "password": "coordinator-password-123"})
    assert response.status_code == 403
    assert "Your form could not be sent" in response.content.decode()

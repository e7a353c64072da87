"""The rights pages: who sees them, what they list, and their forms end to end."""

import io
import zipfile
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from deter.web.actions import rights as actions
from deter.web.domain.rights import NOTIFICATION_BODY
from deter.web.models import (
    AuditEvent,
    Challenge,
    CohortDecision,
    CohortEntry,
    Notification,
    StaffRole,
    SubjectAccessRequest,
)

from .factories import make_user

Role = StaffRole.Role


@pytest.fixture
def dpo(world):
    return make_user("dpo", world.police, Role.DPO)


@pytest.fixture
def entry(world):
    found = CohortEntry.objects.get(programme=world.programme, person=world.active)
    CohortDecision.objects.create(entry=found, from_status="proposed", to_status="active",
                                  reason="Agreed", decided_by=world.coordinator)
    return found


def day_parts(prefix: str, day: date) -> dict[str, str]:
    return {f"{prefix}_day": str(day.day), f"{prefix}_month": str(day.month),
            f"{prefix}_year": str(day.year)}


def test_the_rights_page_lists_who_has_not_been_told(client, world, entry, dpo):
    client.force_login(dpo)
    page = client.get(reverse("programme_rights", args=[world.programme.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-entry="{entry.pk}"' in html and "P-ACTIVE" in html
    assert "P-PROPOSED" not in html  # not in the cohort yet


def test_the_rights_page_is_hidden_from_partners_and_caseworkers(client, world):
    for user in (world.partner, world.caseworker, world.analyst):
        client.force_login(user)
        assert client.get(reverse("programme_rights", args=[world.programme.pk])) \
            .status_code == 404


def test_open_challenges_are_listed_first(client, world, entry):
    today = timezone.localdate()
    for outcome, due in (("kept", today - timedelta(days=40)), ("open", today + timedelta(days=9))):
        Challenge.objects.create(entry=entry, received_on=today - timedelta(days=50),
                                 due_on=due, grounds="x", logged_by=world.coordinator,
                                 outcome=outcome)
    client.force_login(world.coordinator)
    html = client.get(reverse("programme_rights", args=[world.programme.pk])).content.decode()
    assert html.index("Awaiting a decision") < html.index("Not upheld")


def test_an_exemption_past_review_is_listed_as_due(client, world, entry):
    Notification.objects.create(entry=entry, kind="exempt", exemption_reason="Crime",
                                review_date=timezone.localdate() - timedelta(days=1),
                                recorded_by=world.coordinator)
    client.force_login(world.coordinator)
    html = client.get(reverse("programme_rights", args=[world.programme.pk])).content.decode()
    due = html.split('data-list="review-due"')[1].split("</ul>")[0]
    assert "P-ACTIVE" in due


def test_recording_a_notification_through_the_form(client, world, entry):
    client.force_login(world.coordinator)
    address = reverse("notification_new", args=[entry.pk])
    empty = client.post(address, {})
    assert empty.status_code == 400 and "Select whether they were told" in empty.content.decode()
    done = client.post(address, {"kind": "told", "method": "letter", "told_by":
                                 str(world.caseworker.pk), "recipient": "person",
                                 **day_parts("told_on", timezone.localdate())})
    assert done.status_code == 302
    assert Notification.objects.get(entry=entry).told_by == world.caseworker


def test_a_challenge_logged_and_upheld_through_the_pages(client, world, entry, dpo):
    client.force_login(world.coordinator)
    logged = client.post(reverse("challenge_new", args=[entry.pk]), {
        "on_behalf": "yes", "made_by": "Their mother", "grounds": "Wrong person",
        **day_parts("received_on", date(2026, 1, 31))})
    challenge = Challenge.objects.get()
    assert logged.status_code == 302 and challenge.due_on == date(2026, 2, 28)
    page = client.get(reverse("challenge", args=[challenge.pk])).content.decode()
    assert "someone else" in page and "Record the decision" not in page
    assert "Overdue" in page or challenge.due_on >= timezone.localdate()
    refused = client.post(reverse("challenge", args=[challenge.pk]),
                          {"outcome": "upheld", "reasons": "x"})
    assert refused.status_code == 400

    client.force_login(dpo)
    client.post(reverse("challenge", args=[challenge.pk]),
                {"outcome": "upheld", "reasons": "The events were not theirs"})
    challenge.refresh_from_db()
    assert challenge.outcome == "upheld"
    letter = client.get(reverse("challenge_letter", args=[challenge.pk]))
    assert letter["Content-Type"] == "application/pdf"

    client.force_login(world.partner)
    assert client.get(reverse("person", args=[world.active.pk])).status_code == 404


def test_the_dpo_logs_a_request_and_downloads_the_archive(client, world, dpo):
    client.force_login(dpo)
    address = reverse("subject_access")
    programme = str(world.programme.pk)  # the DPO answers for two programmes: choose one
    wrong = client.post(address, {"person_id": "P-NOBODY", "programme": programme,
                                  **day_parts("received_on", timezone.localdate())})
    assert wrong.status_code == 400
    assert "Enter the id of someone in the Knife crime cohort" in wrong.content.decode()
    client.post(address, {"person_id": "P-ACTIVE", "programme": programme,
                          **day_parts("received_on", date(2026, 1, 31))})
    request = SubjectAccessRequest.objects.get()
    assert request.deadline == date(2026, 2, 28)
    listing = client.get(address).content.decode()
    assert "28 Feb 2026" in listing
    archive = client.get(reverse("subject_access_archive", args=[request.pk]))
    assert archive["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(archive.content)).namelist()
    assert {"subject-access.pdf", "subject-access.json", "csv/events.csv"} <= set(names)
    assert AuditEvent.objects.filter(action="export_subject_access", actor=dpo).count() == 1


def test_an_extension_beyond_two_months_is_refused_on_the_page(client, world, dpo):
    request = actions.log_subject_access(dpo, world.programme, world.active,
                                         received_on=date(2026, 1, 31))
    client.force_login(dpo)
    page = client.post(reverse("subject_access_extend", args=[request.pk]),
                       {"reason": "Complex", **day_parts("extended_to", date(2026, 6, 1))})
    assert page.status_code == 400 and "30 April 2026" in page.content.decode()


def test_subject_access_is_the_lead_agency_dpo_s_only(client, world, dpo):
    request = actions.log_subject_access(dpo, world.programme, world.active,
                                         received_on=timezone.localdate())
    for user in (world.coordinator, make_user("school-dpo", world.school, Role.DPO)):
        client.force_login(user)
        assert client.get(reverse("subject_access")).status_code == 404
        assert client.get(reverse("subject_access_archive", args=[request.pk])) \
            .status_code == 404
    assert not AuditEvent.objects.filter(action="export_subject_access",
                                         outcome="allowed").exists()


def test_the_standard_notification_letter_prefills_a_new_template(client, world):
    client.force_login(world.coordinator)
    page = client.get(reverse("letter_template_new", args=[world.programme.pk])
                      + "?kind=notification").content.decode()
    assert "Information Commissioner" in page and "ICO" in NOTIFICATION_BODY


def test_a_removed_entry_s_plan_still_opens_for_the_coordinator_only(client, world, entry, dpo):
    challenge = actions.log_challenge(world.coordinator, entry, received_on=timezone.localdate(),
                                      grounds="Not me")
    actions.decide_challenge(dpo, challenge, outcome="upheld", reasons="Wrong person")
    client.force_login(world.coordinator)
    page = client.get(reverse("entry_plan", args=[entry.pk]))
    assert page.status_code == 200 and "Removed after a challenge" in page.content.decode()
    for user in (world.analyst, world.caseworker, world.partner):
        client.force_login(user)
        assert client.get(reverse("entry_plan", args=[entry.pk])).status_code == 404

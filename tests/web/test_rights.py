"""Individuals' rights: notification or exemption, challenges decided by someone else (an
upheld one removes the person from every partner's view), and subject access requests with
their calendar-month deadlines and an archive of the person's own data and who viewed it."""

import io
import json
import zipfile
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from pypdf import PdfReader

from deter.web import audit, policy
from deter.web.actions import rights as actions
from deter.web.domain import rights
from deter.web.models import (
    AuditEvent,
    Challenge,
    CohortDecision,
    CohortEntry,
    DeletionConfirmation,
    Intervention,
    MeetingAction,
    Notification,
    StaffRole,
    SubjectAccessRequest,
)

from .factories import make_event, make_person, make_programme, make_user

Role = StaffRole.Role
today = timezone.localdate


@pytest.fixture
def dpo(world):
    return make_user("dpo", world.police, Role.DPO)


@pytest.fixture
def accepted(world):
    """The active person's entry, accepted at the panel by the coordinator."""
    entry = CohortEntry.objects.get(programme=world.programme, person=world.active)
    CohortDecision.objects.create(entry=entry, from_status="proposed", to_status="active",
                                  reason="Agreed at the panel", decided_by=world.coordinator)
    return entry


# --- deadlines --------------------------------------------------------------------------------


@pytest.mark.parametrize(("received", "deadline"), [
    (date(2026, 1, 31), date(2026, 2, 28)),
    (date(2028, 1, 31), date(2028, 2, 29)),  # a leap year
    (date(2026, 3, 31), date(2026, 4, 30)),
    (date(2026, 1, 15), date(2026, 2, 15)),
    (date(2026, 12, 31), date(2027, 1, 31)),
])
def test_a_request_is_due_one_calendar_month_later(received, deadline):
    assert rights.sar_deadline(received) == deadline


def test_an_extension_reaches_at_most_three_months_from_receipt():
    assert rights.latest_extension(date(2026, 11, 30)) == date(2027, 2, 28)
    assert rights.latest_extension(date(2026, 1, 31)) == date(2026, 4, 30)


def test_a_challenge_is_due_the_set_number_of_days_later(settings):
    assert rights.challenge_due(date(2026, 1, 31)) == date(2026, 2, 28)  # 28 days
    settings.DETER_CHALLENGE_DAYS = 14
    assert rights.challenge_due(date(2026, 1, 31)) == date(2026, 2, 14)


# --- notifications ----------------------------------------------------------------------------


def test_the_coordinator_records_how_a_child_s_parent_was_told(world, accepted):
    made = actions.record_notification(
        world.coordinator, accepted, kind="told", method="home_visit",
        told_on=today() - timedelta(days=2), told_by=world.caseworker,
        recipient="parent_or_carer")
    assert (made.method, made.recipient, made.told_by) == (
        "home_visit", "parent_or_carer", world.caseworker)
    row = AuditEvent.objects.get(action="record_notification")
    assert row.detail["person"] == world.active.pk and row.detail["told_by"] == \
        world.caseworker.pk


def test_an_adult_is_told_themselves(world):
    entry = world.police_only.cohort_entries.get()  # 19
    coordinator = make_user("police-coordinator", world.police, Role.COORDINATOR)
    with pytest.raises(ValidationError) as error:
        actions.record_notification(coordinator, entry, kind="told", method="letter",
                                    told_on=today(), told_by=coordinator,
                                    recipient="parent_or_carer")
    assert "adult" in error.value.message_dict["recipient"][0]


def test_a_notification_needs_how_when_and_who_and_changes_nothing_without(world, accepted):
    with pytest.raises(ValidationError) as error:
        actions.record_notification(world.coordinator, accepted, kind="told",
                                    told_on=today() + timedelta(days=1))
    assert set(error.value.message_dict) == {"method", "told_on", "told_by", "recipient"}
    assert "today or in the past" in error.value.message_dict["told_on"][0]
    assert not Notification.objects.exists()


def test_an_exemption_needs_a_reason_and_a_future_review(world, accepted):
    with pytest.raises(ValidationError) as error:
        actions.record_notification(world.coordinator, accepted, kind="exempt",
                                    review_date=today())
    assert set(error.value.message_dict) == {"exemption_reason", "review_date"}
    made = actions.record_notification(
        world.coordinator, accepted, kind="exempt", exemption_reason=rights.EXEMPTION_HINT,
        review_date=today() + timedelta(days=60))
    assert made.kind == "exempt"


def test_partners_and_caseworkers_may_not_record_notifications(world, accepted):
    for user in (world.partner, world.caseworker, world.analyst):
        with pytest.raises(PermissionDenied):
            actions.record_notification(user, accepted, kind="exempt",
                                        exemption_reason="x",
                                        review_date=today() + timedelta(days=9))
    assert AuditEvent.objects.filter(action="record_notification",
                                     outcome=audit.DENIED).count() == 3


def test_a_proposed_person_is_not_notified_yet(world):
    proposed = CohortEntry.objects.get(programme=world.programme, person=world.proposed)
    assert not policy.notifications.can(world.coordinator, "record", entry=proposed)


# --- challenges -------------------------------------------------------------------------------


def log(world, entry, **extra):
    return actions.log_challenge(
        world.coordinator, entry, received_on=date(2026, 1, 31) if extra.pop("old", False)
        else today(), grounds="I have never been in a gang", **extra)


def test_a_challenge_is_due_28_days_after_receipt(world, accepted):
    challenge = log(world, accepted, old=True)
    assert challenge.due_on == date(2026, 2, 28)
    assert challenge.is_open


def test_the_original_decider_may_not_decide_the_challenge(world, accepted, dpo):
    challenge = log(world, accepted)
    assert not policy.challenges.can(world.coordinator, "decide", challenge)
    assert policy.challenges.can(dpo, "decide", challenge)
    with pytest.raises(PermissionDenied, match="someone else must decide"):
        actions.decide_challenge(world.coordinator, challenge, outcome="upheld",
                                 reasons="Mistaken identity")
    challenge.refresh_from_db()
    assert challenge.is_open
    row = AuditEvent.objects.get(action="decide_challenge")
    assert row.outcome == audit.DENIED and row.detail["own_decision"] is True


def test_another_coordinator_may_decide(world, accepted):
    other = make_user("second-coordinator", world.vru, Role.COORDINATOR)
    challenge = log(world, accepted)
    assert policy.challenges.can(other, "decide", challenge)


def test_on_behalf_needs_who_made_it(world, accepted):
    with pytest.raises(ValidationError) as error:
        actions.log_challenge(world.coordinator, accepted, received_on=today(), grounds="x",
                              on_behalf=True)
    assert list(error.value.message_dict) == ["made_by"]


def test_an_upheld_challenge_removes_the_person_from_the_partner_s_view(world, accepted, dpo):
    action = MeetingAction.objects.create(
        programme=world.programme, entry=accepted, description="Visit", owner=world.partner,
        due=today() + timedelta(days=3), created_by=world.coordinator)
    support = Intervention.objects.create(
        programme=world.programme, person=world.active, kind="support", title="Mentoring",
        agency=world.school, created_by=world.coordinator)
    assert policy.people.visible(world.partner).filter(pk=world.active.pk).exists()
    assert policy.meeting_actions.visible(world.partner).filter(pk=action.pk).exists()
    challenge = log(world, accepted)

    actions.decide_challenge(dpo, challenge, outcome="upheld",
                             reasons="The events were another person's")

    accepted.refresh_from_db()
    assert accepted.status == "removed"
    for user in (world.partner, world.caseworker, world.analyst):
        assert not policy.people.visible(user).filter(pk=world.active.pk).exists(), user
        assert not policy.entries.visible(user).filter(pk=accepted.pk).exists(), user
        assert not policy.interventions.visible(user).filter(pk=support.pk).exists(), user
    assert not policy.meeting_actions.visible(world.partner).filter(pk=action.pk).exists()
    # those who decide still see it, for the record
    assert policy.entries.visible(world.coordinator).filter(pk=accepted.pk).exists()
    assert policy.meeting_actions.visible(world.coordinator).filter(pk=action.pk).exists()
    confirmations = DeletionConfirmation.objects.filter(reason="removal")
    assert sorted(c.agency.name for c in confirmations) == sorted(
        a.name for a in world.programme.agencies.all())
    assert all("P-ACTIVE" in c.reference and c.count == 1 for c in confirmations)
    decision = CohortDecision.objects.filter(entry=accepted).first()
    assert (decision.to_status, decision.decided_by) == ("removed", dpo)


def test_a_challenge_not_upheld_keeps_the_person_with_reasons(world, accepted, dpo):
    challenge = log(world, accepted)
    with pytest.raises(ValidationError) as error:
        actions.decide_challenge(dpo, challenge, outcome="kept", reasons="")
    assert list(error.value.message_dict) == ["reasons"]
    decided = actions.decide_challenge(dpo, challenge, outcome="kept",
                                       reasons="Three recent knife events name you")
    accepted.refresh_from_db()
    assert accepted.status == "active" and decided.reasons.startswith("Three")
    assert not DeletionConfirmation.objects.exists()
    assert not policy.challenges.can(dpo, "decide", decided)  # decided once


# --- subject access ---------------------------------------------------------------------------


def test_only_the_lead_agency_s_dpo_logs_a_request(world, dpo):
    request = actions.log_subject_access(dpo, world.programme, world.active,
                                         received_on=date(2026, 1, 31))
    assert request.deadline == date(2026, 2, 28)
    school_dpo = make_user("school-dpo", world.school, Role.DPO)
    with pytest.raises(PermissionDenied):
        actions.log_subject_access(school_dpo, world.programme, world.active,
                                   received_on=today())
    assert not policy.subject_access_requests.visible(school_dpo).exists()


def test_a_request_is_only_for_someone_in_the_cohort(world, dpo):
    with pytest.raises(ValidationError) as error:
        actions.log_subject_access(dpo, world.programme, world.unlisted, received_on=today())
    assert "Knife crime cohort" in error.value.message_dict["person"][0]


def test_an_extension_is_up_to_two_more_months_with_a_reason(world, dpo):
    request = actions.log_subject_access(dpo, world.programme, world.active,
                                         received_on=date(2026, 1, 31))
    with pytest.raises(ValidationError) as error:
        actions.extend_subject_access(dpo, request, extended_to=date(2026, 5, 1), reason="")
    assert "30 April 2026" in error.value.message_dict["extended_to"][0]
    assert "reason" in error.value.message_dict
    actions.extend_subject_access(dpo, request, extended_to=date(2026, 4, 30),
                                  reason="Records from three agencies")
    request.refresh_from_db()
    assert (request.status, request.due_on) == ("extended", date(2026, 4, 30))
    assert not policy.subject_access_requests.can(dpo, "extend", request)  # once


def read_archive(data: bytes) -> tuple[dict, str, zipfile.ZipFile]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    found = json.loads(archive.read("subject-access.json"))
    return found, archive.read("csv/events.csv").decode(), archive


def test_the_archive_holds_their_data_and_who_viewed_it_but_no_one_else(world, dpo, accepted,
                                                                        client):
    other = make_person("P-CO-ACCUSED")
    shared = make_event("E-SHARED", world.active)
    shared.involvements.create(person=other, role="suspect")
    accepted.support_offer = "Mentoring, away from P-CO-ACCUSED"
    accepted.save()
    client.force_login(world.coordinator)
    client.get(f"/people/{world.active.pk}/")  # a view of the person, audited
    request = actions.log_subject_access(dpo, world.programme, world.active,
                                         received_on=today())

    data = actions.export_subject_access(dpo, request)

    found, events_csv, archive = read_archive(data)
    sections = found["sections"]
    assert found["person_id"] == "P-ACTIVE"
    assert {e["event_id"] for e in sections["events"]["records"]} >= {"E-P-ACTIVE", "E-SHARED"}
    shared_row = next(e for e in sections["events"]["records"] if e["event_id"] == "E-SHARED")
    assert shared_row["others_involved"] == "another person (suspect)"
    assert sections["cohort_entries"]["records"][0]["support_offer"] == \
        "Mentoring, away from another person"
    viewers = sections["who_viewed"]["records"]
    assert any(v["who"] == "coordinator" and v["what"] == "view person" for v in viewers), \
        viewers
    everything = b"".join(archive.read(name) for name in archive.namelist())
    assert b"P-CO-ACCUSED" not in everything
    assert "E-SHARED" in events_csv
    assert archive.read("subject-access.pdf").startswith(b"%PDF")
    row = AuditEvent.objects.filter(action="export_subject_access").get()
    assert (row.actor, row.object_type, row.object_id) == (dpo, "person", str(world.active.pk))


def test_the_archive_pdf_reads_as_text(world, dpo):
    request = actions.log_subject_access(dpo, world.programme, world.active,
                                         received_on=today())
    _, _, archive = read_archive(actions.export_subject_access(dpo, request))
    reader = PdfReader(io.BytesIO(archive.read("subject-access.pdf")))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Information held about P-ACTIVE" in text and "E-P-ACTIVE" in text


def test_answering_marks_the_request_and_its_lateness(world, dpo):
    request = actions.log_subject_access(dpo, world.programme, world.active,
                                         received_on=today() - timedelta(days=40))
    actions.answer_subject_access(dpo, request)
    request.refresh_from_db()
    assert request.status == SubjectAccessRequest.Status.ANSWERED
    assert AuditEvent.objects.get(action="answer_subject_access").detail["late"] is True
    with pytest.raises(PermissionDenied):
        actions.answer_subject_access(dpo, request)


def test_a_challenge_is_recorded_as_open_until_decided(world, accepted):
    assert log(world, accepted).outcome == Challenge.Outcome.OPEN


def test_a_police_dpo_answers_for_a_programme_another_agency_leads(world):
    """The VRU leads this one; the police joins by the agreement and its DPO still answers
    (the police hold the detail), while social care's DPO does not."""
    programme = make_programme("VRU led", [world.vru, world.police, world.social_care])
    police_dpo = make_user("police-dpo", world.police, Role.DPO)
    care_dpo = make_user("care-dpo", world.social_care, Role.DPO)
    assert policy.programmes.can(police_dpo, "see_rights", programme)
    assert policy.subject_access_requests.can(police_dpo, "log", programme=programme)
    assert policy.programmes.can(care_dpo, "view", programme)  # in it, but not answering
    assert not policy.programmes.can(care_dpo, "see_rights", programme)
    assert not policy.subject_access_requests.can(care_dpo, "log", programme=programme)

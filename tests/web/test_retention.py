"""Retention: the schedule's periods, what falls due and when, the run that deletes or
anonymises it in one transaction, partners' deletion confirmations, and the suspension of an
entry overdue for review from partner view."""

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from deter.web import policy
from deter.web.actions import retention as retention_actions
from deter.web.actions.retention import confirm_deletion, run_retention
from deter.web.actions.sharing import PartyTerms, draft_agreement
from deter.web.domain.retention import (
    DEFAULT_SCHEDULE,
    Period,
    RecordKind,
    RetentionSchedule,
    add_months,
    schedule_for,
)
from deter.web.models import (
    AuditEvent,
    CallInInvitation,
    CohortDecision,
    CohortEntry,
    DataSharingAgreement,
    DeletionConfirmation,
    Event,
    HarmReductionRecord,
    Intervention,
    InterventionUpdate,
    Letter,
    Meeting,
    MeetingAction,
    Person,
    RetentionRun,
    StaffRole,
    TreatmentReferral,
)

from .factories import (
    make_agreement,
    make_entry,
    make_event,
    make_person,
    make_run,
    make_user,
    without_form_tokens,
)
from .meetings_factories import make_action, make_meeting

Role = StaffRole.Role
Status = CohortEntry.Status
TODAY = timezone.localdate


def late_on(day: date) -> datetime:
    """23:30 local time: a record made late on ``day`` still counts as ``day``'s."""
    return timezone.make_aware(datetime.combine(day, time(23, 30)))


def months_ago(months: int) -> date:
    return add_months(TODAY(), -months)


def plant_entry(world, person_id: str, status: str, on: date) -> CohortEntry:
    """An entry that reached ``status`` by a decision late on ``on``."""
    entry = make_entry(world.programme, make_person(person_id), status)
    CohortDecision.objects.create(entry=entry, from_status="proposed", to_status=status,
                                  reason="Panel decision", decided_by=world.coordinator)
    CohortDecision.objects.filter(entry=entry).update(decided_at=late_on(on))
    CohortEntry.objects.filter(pk=entry.pk).update(decided_at=late_on(on),
                                                   decided_by=world.coordinator)
    return CohortEntry.objects.get(pk=entry.pk)


def plant_letter(world, person: Person, on: date) -> Letter:
    intervention = Intervention.objects.create(
        programme=world.programme, person=person, kind="communication", category="letter",
        title="Focused deterrence letter", agency=world.vru, status="completed",
        created_by=world.coordinator)
    InterventionUpdate.objects.create(intervention=intervention, status="completed", on=on,
                                      recorded_by=world.coordinator)
    letter = Letter.objects.create(intervention=intervention, recipient="Jo Bloggs",
                                   address="1 High Street", body="Dear Jo",
                                   created_by=world.coordinator)
    Letter.objects.filter(pk=letter.pk).update(created_at=late_on(on))
    return letter


def plant_meeting(world, on: date, notes: str = "Discussed the cohort") -> Meeting:
    meeting = make_meeting(world.programme, world.coordinator, title="Old panel",
                           notes=notes, other_attendees="A youth worker")
    Meeting.objects.filter(pk=meeting.pk).update(held_at=late_on(on))
    return Meeting.objects.get(pk=meeting.pk)


def due_ids(report, kind: RecordKind) -> list[int]:
    return [pk for item in report.of_kind(kind) for pk in item.ids]


# --- the schedule ---------------------------------------------------------------------------------


@pytest.mark.parametrize("period", [Period(months=6), Period(months=1), Period(months=24),
                                    Period(days=28), Period(months=1, days=3)])
def test_a_periods_cutoff_is_exactly_the_last_record_day_due(period):
    """For every day across leap years and month ends: a record dated d is due on as_of
    exactly when d <= cutoff(as_of), and due_on(cutoff) <= as_of < due_on(cutoff + 1)."""
    start = date(2027, 12, 1)
    for offset in range(0, 900, 1):
        as_of = start + timedelta(days=offset)
        cutoff = period.cutoff(as_of)
        assert period.due_on(cutoff) <= as_of < period.due_on(cutoff + timedelta(days=1)), \
            (period, as_of, cutoff)


def test_the_defaults_are_the_documented_ones_and_bad_periods_are_refused():
    assert DEFAULT_SCHEDULE.rejected_proposal == Period(months=6)
    assert DEFAULT_SCHEDULE.deferred == Period(months=12)
    assert DEFAULT_SCHEDULE.exited == DEFAULT_SCHEDULE.letter == Period(months=24)
    assert DEFAULT_SCHEDULE.meeting_notes == DEFAULT_SCHEDULE.audit == Period(months=72)
    assert str(Period(months=30, days=1)) == "2 years and 6 months and 1 day"
    assert Period(months=6).due_on(date(2027, 8, 31)) == date(2028, 2, 29)
    with pytest.raises(ValueError, match="months must be a whole number"):
        Period(months=-1)
    with pytest.raises(ValueError, match="longer than nothing"):
        Period()
    with pytest.raises(ValueError, match="unknown retention record kinds: letters"):
        RetentionSchedule.from_dict({"letters": {"months": 1}})
    with pytest.raises(ValueError, match="retention period for exited: .*days"):
        RetentionSchedule.from_dict({"exited": {"days": -3}})
    assert RetentionSchedule.from_dict({"exited": {"months": 36}}).exited == Period(months=36)


# --- what falls due, and when ---------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "status"), [
    (RecordKind.REJECTED_PROPOSAL, Status.REJECTED),
    (RecordKind.DEFERRED, Status.DEFERRED),
    (RecordKind.EXITED, Status.EXITED),
])
def test_an_entry_falls_due_on_the_boundary_day_and_not_the_day_before(world, kind, status):
    months = DEFAULT_SCHEDULE.period(kind).months
    on = months_ago(months) - timedelta(days=3)
    entry = plant_entry(world, "P-PLANTED", status, on)
    boundary = add_months(on, months)
    day_before = run_retention(boundary - timedelta(days=1), dry_run=True).report
    assert entry.pk not in due_ids(day_before, kind)
    on_the_day = run_retention(boundary, dry_run=True).report
    assert due_ids(on_the_day, kind) == [entry.pk]
    assert on_the_day.of_kind(kind)[0].people == ["P-PLANTED"]
    assert on_the_day.counts()[kind.value] == 1


def test_letters_and_meeting_notes_fall_due_on_their_boundary_day(world):
    on = months_ago(72) - timedelta(days=10)
    letter = plant_letter(world, world.active, add_months(on, 48))
    meeting = plant_meeting(world, on)
    letter_due = add_months(add_months(on, 48), 24)
    notes_due = add_months(on, 72)
    assert due_ids(run_retention(letter_due - timedelta(days=1), dry_run=True).report,
                   RecordKind.LETTER) == []
    assert due_ids(run_retention(letter_due, dry_run=True).report,
                   RecordKind.LETTER) == [letter.pk]
    assert due_ids(run_retention(notes_due - timedelta(days=1), dry_run=True).report,
                   RecordKind.MEETING_NOTES) == []
    assert due_ids(run_retention(notes_due, dry_run=True).report,
                   RecordKind.MEETING_NOTES) == [meeting.pk]


def test_audit_rows_past_their_period_are_reported_and_never_deleted(world):
    run_retention(dry_run=True)  # writes an audit row today
    boundary = add_months(TODAY(), 72)
    before = run_retention(boundary - timedelta(days=1), dry_run=True).report
    assert not before.of_kind(RecordKind.AUDIT)
    count = AuditEvent.objects.count()
    newest = AuditEvent.objects.order_by("-pk").first()
    report = run_retention(boundary, dry_run=True).report
    (item,) = report.of_kind(RecordKind.AUDIT)
    assert item.count == count and item.ids[-1] == newest.pk
    # a real run cannot count ahead of today, and a run today finds no row six years old
    assert not run_retention().report.of_kind(RecordKind.AUDIT)
    assert AuditEvent.objects.count() == count + 2


# --- the run --------------------------------------------------------------------------------------


@pytest.fixture
def rejected(world):
    """A proposal rejected six months ago today, with everything the programme holds about
    the person: decisions, an intervention with its letter, an action, a call-in invitation,
    an agenda item and a mention in the notes."""
    entry = plant_entry(world, "P-REJECTED", Status.REJECTED, months_ago(6))
    person = entry.person
    letter = plant_letter(world, person, TODAY() - timedelta(days=30))
    action = make_action(world.programme, world.caseworker, world.coordinator, entry=entry,
                         description="Check on P-REJECTED's school place")
    other_action = make_action(world.programme, world.caseworker, world.coordinator,
                               description="Ask about P-REJECTED and P-ACTIVE at school")
    meeting = make_meeting(world.programme, world.coordinator, kind=Meeting.Kind.CALL_IN,
                           notes="P-REJECTED was discussed; P-REJECTED-2 was not")
    meeting.agenda = {"reviews": [
        {"type": "person", "entry": entry.pk, "person": person.pk, "person_id": "P-REJECTED"},
        {"type": "person", "entry": 0, "person": world.active.pk, "person_id": "P-ACTIVE"},
    ]}
    meeting.save()
    invitation = CallInInvitation.objects.create(meeting=meeting, role="subject", person=person)
    return {"entry": entry, "person": person, "letter": letter, "action": action,
            "other_action": other_action, "meeting": meeting, "invitation": invitation}


def snapshot() -> dict[str, int]:
    return {
        "entries": CohortEntry.objects.count(), "decisions": CohortDecision.objects.count(),
        "interventions": Intervention.objects.count(), "letters": Letter.objects.count(),
        "actions": MeetingAction.objects.count(), "invitations": CallInInvitation.objects.count(),
        "confirmations": DeletionConfirmation.objects.count(),
        "notes": "|".join(Meeting.objects.order_by("pk").values_list("notes", flat=True)),
        "deletions": AuditEvent.objects.filter(action__startswith="retention_").exclude(
            action__in=["retention_run", "retention_dry_run"]).count(),
    }


def test_a_dry_run_reports_and_changes_nothing(world, rejected):
    before = snapshot()
    result = run_retention(dry_run=True)
    assert due_ids(result.report, RecordKind.REJECTED_PROPOSAL) == [rejected["entry"].pk]
    assert snapshot() == before
    assert result.changed == {} and result.confirmations == []
    run = RetentionRun.objects.get()
    assert run.dry_run and run.as_of == TODAY() and run.counts["rejected_proposal"] == 1
    row = AuditEvent.objects.get(action="retention_dry_run")
    assert row.actor is None and row.actor_name == "system" and row.object_id == str(run.pk)


def test_a_run_deletes_the_persons_programme_records_and_keeps_the_polices(world, rejected):
    entry, person = rejected["entry"], rejected["person"]
    events = Event.objects.filter(involvements__person=person).count()
    kept_entries = set(CohortEntry.objects.exclude(pk=entry.pk).values_list("pk", flat=True))
    result = run_retention()
    assert not CohortEntry.objects.filter(pk=entry.pk).exists()
    assert not CohortDecision.objects.filter(entry_id=entry.pk).exists()
    assert not Intervention.objects.filter(person=person).exists()
    assert not Letter.objects.filter(pk=rejected["letter"].pk).exists()
    assert not MeetingAction.objects.filter(pk=rejected["action"].pk).exists()
    assert not CallInInvitation.objects.filter(pk=rejected["invitation"].pk).exists()
    meeting = Meeting.objects.get(pk=rejected["meeting"].pk)
    assert meeting.notes == "[removed] was discussed; P-REJECTED-2 was not"
    assert [i["person_id"] for i in meeting.agenda["reviews"]] == ["P-ACTIVE"]
    assert MeetingAction.objects.get(pk=rejected["other_action"].pk).description == \
        "Ask about [removed] and P-ACTIVE at school"
    # the police's records stay, and so does everyone else's place in the programme
    assert Person.objects.filter(pk=person.pk).exists()
    assert Event.objects.filter(involvements__person=person).count() == events
    assert set(CohortEntry.objects.values_list("pk", flat=True)) == kept_entries
    assert result.changed == {"rejected_proposal": [entry.pk]}
    row = AuditEvent.objects.get(action="retention_delete")
    assert row.actor is None and row.actor_name == "system"
    assert row.detail["kind"] == "rejected_proposal" and row.detail["ids"] == [entry.pk]
    assert row.detail["people"] == ["P-REJECTED"]
    assert row.object_id == str(result.run.pk) and not result.run.dry_run


def test_a_run_deletes_the_persons_treatment_records_too(world, rejected):
    """The drug-market pathway's records (issue 16) are programme records about the person."""
    person, other = rejected["person"], world.active
    for who in (person, other):
        TreatmentReferral.objects.create(
            programme=world.programme, person=who, provider=world.social_care, source="self",
            referred_on=TODAY() - timedelta(days=40), recorded_by=world.caseworker)
        HarmReductionRecord.objects.create(
            programme=world.programme, person=who, kind="naloxone", recipient="peer",
            on=TODAY() - timedelta(days=40), agency=world.social_care,
            recorded_by=world.caseworker)
    run_retention()
    assert not TreatmentReferral.objects.filter(person=person).exists()
    assert not HarmReductionRecord.objects.filter(person=person).exists()
    assert TreatmentReferral.objects.filter(person=other).count() == 1
    assert HarmReductionRecord.objects.filter(person=other).count() == 1


def test_exited_people_letters_and_meeting_notes_each_get_their_treatment(world):
    exited = plant_entry(world, "P-LEFT", Status.EXITED, months_ago(24))
    letter = plant_letter(world, world.active, months_ago(24))
    young_letter = plant_letter(world, world.active, months_ago(24) + timedelta(days=1))
    meeting = plant_meeting(world, months_ago(72))
    CallInInvitation.objects.create(meeting=meeting, role="victims_family", name="A mother")
    result = run_retention()
    assert not CohortEntry.objects.filter(pk=exited.pk).exists()
    assert not Letter.objects.filter(pk=letter.pk).exists()
    assert Intervention.objects.filter(pk=letter.intervention_id).exists()  # the fact stays
    assert Letter.objects.filter(pk=young_letter.pk).exists()
    meeting = Meeting.objects.get(pk=meeting.pk)
    assert (meeting.notes, meeting.other_attendees, meeting.agenda) == ("", "", {})
    assert meeting.title == "Old panel" and not meeting.invitations.exists()
    assert result.changed == {"exited": [exited.pk], "letter": [letter.pk],
                              "meeting_notes": [meeting.pk]}
    actions = dict(AuditEvent.objects.filter(action__in=["retention_delete",
                                                         "retention_anonymise"])
                   .values_list("detail__kind", "action"))
    assert actions == {"exited": "retention_delete", "letter": "retention_delete",
                       "meeting_notes": "retention_anonymise"}


def test_a_person_removed_after_a_challenge_goes_a_month_later_without_asking_again(world):
    removed = plant_entry(world, "P-REMOVED", Status.REMOVED, months_ago(1))
    recent = plant_entry(world, "P-REMOVED-LATE", Status.REMOVED,
                         months_ago(1) + timedelta(days=1))
    result = run_retention()
    assert result.changed == {"removed": [removed.pk]}
    assert not CohortEntry.objects.filter(pk=removed.pk).exists()
    assert CohortEntry.objects.filter(pk=recent.pk).exists()
    # the partners were asked to delete their copies when the challenge was upheld
    assert result.confirmations == [] and not DeletionConfirmation.objects.exists()


def test_a_failure_midway_changes_nothing(world, rejected, monkeypatch):
    plant_letter(world, world.active, months_ago(25))
    before = snapshot()

    def broken(items):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(retention_actions, "_delete_letters", broken)
    with pytest.raises(RuntimeError, match="disk on fire"):
        run_retention()
    assert snapshot() == before  # the rejected entry's deletion was rolled back with the rest
    assert not RetentionRun.objects.exists()
    assert CohortEntry.objects.filter(pk=rejected["entry"].pk).exists()


def test_the_second_run_does_nothing(world, rejected):
    plant_meeting(world, months_ago(73))
    first = run_retention()
    assert set(first.changed) == {"rejected_proposal", "meeting_notes"}
    after_first = snapshot()
    second = run_retention()
    assert second.changed == {} and second.confirmations == []
    assert snapshot() == after_first
    assert {k: v for k, v in second.run.counts.items() if k != "audit"} == dict.fromkeys(
        ["rejected_proposal", "deferred", "exited", "removed", "letter", "meeting_notes"], 0)
    assert RetentionRun.objects.count() == 2


@pytest.mark.parametrize("as_of", ["2027-01-01", datetime(2027, 1, 1, tzinfo=UTC)])
def test_a_bad_as_of_is_refused_and_changes_nothing(world, rejected, as_of):
    before = snapshot()
    with pytest.raises(ValidationError, match="must be a date"):
        run_retention(as_of)
    assert snapshot() == before and not RetentionRun.objects.exists()


def test_a_real_run_may_not_count_ahead_of_today(world, rejected):
    before = snapshot()
    with pytest.raises(ValidationError, match="after today .* Use --dry-run"):
        run_retention(TODAY() + timedelta(days=1))
    assert snapshot() == before and not RetentionRun.objects.exists()
    assert run_retention(TODAY() + timedelta(days=400), dry_run=True).run.dry_run


# --- partners' confirmations ----------------------------------------------------------------------


def test_every_agency_of_the_programme_is_asked_to_confirm(world, rejected):
    result = run_retention()
    confirmations = list(DeletionConfirmation.objects.order_by("agency__name"))
    assert {c.agency for c in confirmations} == set(world.programme.agencies.all())
    assert confirmations == sorted(result.confirmations, key=lambda c: c.agency.name)
    for confirmation in confirmations:
        assert confirmation.reason == DeletionConfirmation.Reason.RETENTION
        assert confirmation.count == 1 and confirmation.outstanding
        assert "Rejected proposals, every programme record about: P-REJECTED." in \
            confirmation.reference
        assert confirmation.retention_run == result.run
    assert not DeletionConfirmation.objects.filter(agency=world.housing).exists()


@pytest.fixture
def confirmations(world, rejected) -> dict:
    run_retention()
    return {c.agency_id: c for c in DeletionConfirmation.objects.all()}


@pytest.fixture
def dpo(world):
    return make_user("dpo", world.vru, Role.DPO)


def test_a_partner_sees_and_confirms_only_its_own_agencys(client, world, confirmations):
    schools = confirmations[world.school.pk]
    client.force_login(world.partner)
    page = client.get(reverse("deletion_confirmations"))
    assert page.status_code == 200
    shown = page.content.decode()
    assert f'data-confirmation="{schools.pk}"' in shown and "P-REJECTED" in shown
    assert shown.count("data-confirmation=") == 1
    assert AuditEvent.objects.filter(action="view_deletion_confirmations",
                                     actor=world.partner).exists()
    response = client.post(reverse("confirm_deletion", args=[schools.pk]))
    assert response.status_code == 302
    schools.refresh_from_db()
    assert schools.confirmed_by == world.partner and not schools.outstanding
    row = AuditEvent.objects.get(action="confirm_deletion", outcome="allowed")
    assert row.actor == world.partner and row.object_id == str(schools.pk)
    # confirming again is refused, naming when it was confirmed
    page = client.post(reverse("confirm_deletion", args=[schools.pk]), follow=True)
    assert "already confirmed this deletion" in page.content.decode()
    assert client.get(reverse("deletion_confirmations")).content.decode().count(
        "data-confirmation=") == 0


@pytest.mark.parametrize("who", ["caseworker", "stranger", "dpo"])
def test_another_agencys_user_gets_404_like_a_missing_one(client, world, confirmations, dpo,
                                                          who):
    schools = confirmations[world.school.pk]
    client.force_login(dpo if who == "dpo" else getattr(world, who))
    response = client.post(reverse("confirm_deletion", args=[schools.pk]))
    missing = client.post(reverse("confirm_deletion", args=[10**9]))
    assert response.status_code == missing.status_code == 404
    assert without_form_tokens(response.content) == without_form_tokens(missing.content)
    schools.refresh_from_db()
    assert schools.outstanding
    assert AuditEvent.objects.filter(action="confirm_deletion", outcome="denied",
                                     object_id=str(schools.pk)).exists()


def test_the_action_refuses_another_agencys_user(world, confirmations):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        confirm_deletion(world.caseworker, confirmations[world.school.pk])
    assert confirmations[world.school.pk].outstanding


def test_the_dpo_sees_every_outstanding_confirmation_with_its_age_and_what_falls_due(
        client, world, confirmations, dpo):
    DeletionConfirmation.objects.filter(agency=world.police).update(
        created_at=timezone.now() - timedelta(days=12))
    confirm_deletion(world.partner, confirmations[world.school.pk])
    plant_entry(world, "P-DUE-NEXT", Status.REJECTED, months_ago(6) - timedelta(days=1))
    client.force_login(dpo)
    page = client.get(reverse("retention"))
    assert page.status_code == 200
    shown = page.content.decode()
    outstanding = [c for c in confirmations.values() if c.agency != world.school]
    assert shown.count("data-confirmation=") == len(outstanding) == 3
    police = confirmations[world.police.pk]
    assert f'<tr class="govuk-table__row" data-confirmation="{police.pk}">' in shown
    assert "<td class=\"govuk-table__cell govuk-table__cell--numeric\" data-age>12</td>" in shown
    assert 'data-kind="rejected_proposal">1</td>' in shown
    assert "P-DUE-NEXT" not in shown  # numbers, not names
    assert "as of " in shown and ": rejected proposals 1</li>" in shown  # the run's summary
    assert AuditEvent.objects.filter(action="view_retention", actor=dpo).exists()


@pytest.mark.parametrize("who", ["coordinator", "partner", "analyst", "stranger"])
def test_the_retention_page_is_the_dpos_only(client, world, who):
    client.force_login(getattr(world, who))
    assert client.get(reverse("retention")).status_code == 404
    assert AuditEvent.objects.filter(action="view_retention", outcome="denied").exists()


# --- reviews overdue beyond the grace period ------------------------------------------------------


def overdue_by(world, days: int) -> CohortEntry:
    entry = world.active.cohort_entries.get(programme=world.programme)
    CohortEntry.objects.filter(pk=entry.pk).update(review_date=TODAY() - timedelta(days=days))
    return entry


def test_an_entry_overdue_beyond_grace_is_suspended_from_partner_view_only(client, world):
    entry = overdue_by(world, 29)
    assert not policy.entries.visible(world.partner).filter(pk=entry.pk).exists()
    assert not policy.people.visible(world.partner).filter(pk=world.active.pk).exists()
    for user in (world.coordinator, world.analyst, world.caseworker):
        assert policy.entries.visible(user).filter(pk=entry.pk).exists(), user
    client.force_login(world.partner)
    assert client.get(reverse("person", args=[world.active.pk])).status_code == 404
    # still within the grace period on the 28th day: flagged, not suspended
    overdue_by(world, 28)
    assert policy.entries.visible(world.partner).filter(pk=entry.pk).exists()
    assert client.get(reverse("person", args=[world.active.pk])).status_code == 200


def test_a_new_review_date_ends_the_suspension(world):
    entry = overdue_by(world, 60)
    assert not policy.entries.visible(world.partner).filter(pk=entry.pk).exists()
    CohortEntry.objects.filter(pk=entry.pk).update(review_date=TODAY() + timedelta(days=30))
    assert policy.entries.visible(world.partner).filter(pk=entry.pk).exists()


def test_the_grace_period_is_a_setting(world, settings):
    settings.DETER_REVIEW_GRACE_DAYS = 5
    entry = overdue_by(world, 6)
    assert not policy.entries.visible(world.partner).filter(pk=entry.pk).exists()
    overdue_by(world, 5)
    assert policy.entries.visible(world.partner).filter(pk=entry.pk).exists()


def test_the_coordinator_sees_which_overdue_reviews_are_suspended(client, world, dpo):
    overdue_by(world, 40)
    stepped = world.stepped_down.cohort_entries.get(programme=world.programme)
    CohortEntry.objects.filter(pk=stepped.pk).update(review_date=TODAY() - timedelta(days=3))
    client.force_login(world.coordinator)
    shown = client.get(reverse("programme", args=[world.programme.pk])).content.decode()
    assert shown.count("data-suspended") == 1
    assert "suspended from partner agencies' view" in shown
    assert shown.index("P-ACTIVE") < shown.index("data-suspended") < shown.index("P-STEPPED")
    client.force_login(dpo)
    shown = client.get(reverse("retention")).content.decode()
    assert "2 reviews overdue; 1 of them more than 28 days overdue" in shown


def test_the_demo_gives_the_school_partner_people_to_see_with_reviews_ahead(db):
    """The demo's review dates are in the future, so no demo person is suspended."""
    from deter.web.demo.world import create_demo_world

    people = [make_person(f"D-{i:02}") for i in range(6)]
    for i, person in enumerate(people):
        make_event(f"E-D-{i:02}", person, category="robbery", days_ago=10 + i)
    create_demo_world(make_run(people), cohort_size=6)
    school = StaffRole.objects.get(user__username="school", role=Role.PARTNER).user
    seen = policy.entries.visible(school)
    assert seen.exists()
    assert not CohortEntry.objects.filter(review_date__lte=TODAY()).exists()


# --- periods from the agreement -------------------------------------------------------------


def delivery_agreement(world):
    return world.programme.agreements.get(purpose="delivery")


def test_the_agreements_period_deletes_a_rejected_proposal_the_default_would_keep(world):
    """Rejected four months ago: the default (6 months) keeps it, an agreement of 3 months
    deletes it; the kinds the agreement leaves out keep their defaults."""
    entry = plant_entry(world, "P-REJECTED-4M", Status.REJECTED, months_ago(4))
    assert schedule_for(world.programme) == DEFAULT_SCHEDULE
    assert due_ids(run_retention(dry_run=True).report, RecordKind.REJECTED_PROPOSAL) == []

    DataSharingAgreement.objects.filter(pk=delivery_agreement(world).pk).update(
        retention={"rejected_proposal": {"months": 3}})
    schedule = schedule_for(world.programme)
    assert schedule.rejected_proposal == Period(months=3)
    assert schedule.deferred == DEFAULT_SCHEDULE.deferred
    result = run_retention()
    assert result.changed["rejected_proposal"] == [entry.pk]
    assert not CohortEntry.objects.filter(pk=entry.pk).exists()


def test_only_the_delivery_agreement_in_force_sets_periods(world):
    agreement = delivery_agreement(world)
    DataSharingAgreement.objects.filter(pk=agreement.pk).update(
        retention={"rejected_proposal": {"months": 3}}, status="revoked")
    assert schedule_for(world.programme) == DEFAULT_SCHEDULE
    make_agreement(world.programme, {world.school: ()}, purpose="evaluation",
                   retention={"rejected_proposal": {"months": 3}})
    assert schedule_for(world.programme) == DEFAULT_SCHEDULE


def test_a_stored_period_past_the_maximum_falls_back_to_the_default(world):
    DataSharingAgreement.objects.filter(pk=delivery_agreement(world).pk).update(
        retention={"rejected_proposal": {"months": 60}})
    assert schedule_for(world.programme) == DEFAULT_SCHEDULE


def draft(world, retention):
    return draft_agreement(
        world.coordinator, world.programme, title="Version 2", purpose_detail="Delivery",
        starts=TODAY(), review_date=TODAY() + timedelta(days=365), retention=retention,
        parties=[PartyTerms(world.vru, supplies_data=True, lawful_basis="gdpr_6_1_e")])


@pytest.mark.parametrize(("retention", "message"), [
    ({"rejected_proposal": {"months": -1}},
     r"retention period for rejected_proposal: .*months must be a whole number.*'months': -1"),
    ({"letters": {"months": 6}}, r"unknown retention record kinds: letters"),
    ({"deferred": {"months": 25}},
     r"retention period for deferred: 2 years and 1 month .*'months': 25.* longer than the "
     r"most an agreement may set, 2 years"),
    ({"exited": "two years"}, r"retention period for exited: .*'two years'"),
    ({"audit": {"months": 12}},
     r"retention period for audit: 1 year .*shorter than the default, 6 years"),
    ({"meeting_notes": {"months": 0}}, r"retention period for meeting_notes: .*longer than "
                                        r"nothing"),
])
def test_a_bad_retention_value_is_refused_on_draft_naming_the_kind(world, retention, message):
    before = DataSharingAgreement.objects.count()
    with pytest.raises(ValidationError) as refused:
        draft(world, retention)
    assert re.search(message, " ".join(refused.value.message_dict["retention"]))
    assert DataSharingAgreement.objects.count() == before


def test_good_retention_values_are_kept_on_draft(world):
    agreed = {"rejected_proposal": {"months": 3}, "letter": 400, "audit": {"months": 96}}
    agreement = draft(world, agreed)
    assert agreement.retention == agreed
    schedule = RetentionSchedule.from_dict(agreement.retention)
    assert schedule.letter == Period(days=400) and schedule.audit == Period(months=96)

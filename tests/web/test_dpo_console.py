"""The data protection officer's console: who may open it, who viewed a person, what a user
did, the two access flags on planted rows with known answers (docs/adr/0009), and the CSV
export."""

import csv
import io
from datetime import datetime, time, timedelta
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from deter.web import audit
from deter.web.models import AuditEvent, CohortEntry, PersonLink, StaffRole
from deter.web.queries import audit_log

from .factories import make_user

Role = StaffRole.Role
TODAY = timezone.localdate


def at(days_ago: int, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(TODAY() - timedelta(days=days_ago), time(hour)))


def plant(actor, when: datetime, action="view_person", obj_type="person", obj_id="",
          count: int = 1, outcome="allowed", **detail) -> None:
    """Audit rows as they would have been written at ``when`` (the trail is append-only, so
    the clock is moved instead of the rows)."""
    with mock.patch("django.utils.timezone.now", return_value=when):
        for _ in range(count):
            audit.record(actor, action, obj_type, obj_id, outcome=outcome, **detail)


@pytest.fixture
def dpo(world):
    return make_user("dpo", world.police, Role.DPO)


def test_the_dpo_of_the_lead_and_of_a_party_open_the_console(client, world, dpo):
    school_dpo = make_user("dpo-school", world.school, Role.DPO)
    for user in (dpo, school_dpo):
        client.force_login(user)
        assert client.get(reverse("dpo")).status_code == 200
    assert AuditEvent.objects.filter(action="view_dpo_console", outcome="allowed").count() == 2


@pytest.mark.parametrize("who", ["coordinator", "analyst", "partner", "stranger", "superuser"])
@pytest.mark.parametrize("name", ["dpo", "dpo_person_views", "dpo_user_activity", "dpo_flags",
                                  "dpo_export", "dpo_export_csv"])
def test_everyone_else_gets_a_404(client, world, who, name):
    client.force_login(getattr(world, who))
    assert client.get(reverse(name)).status_code == 404
    assert AuditEvent.objects.filter(outcome="denied", object_type="audit_log").exists()


def test_a_deactivated_dpo_gets_a_404(client, world, dpo):
    dpo.is_active = False
    dpo.save()
    client.force_login(dpo)
    assert client.get(reverse("dpo")).status_code in (302, 404)


def test_the_navigation_links_to_the_console_only_for_a_dpo(client, world, dpo):
    client.force_login(dpo)
    assert f'href="{reverse("dpo")}"' in client.get(reverse("cohort")).content.decode()
    client.force_login(world.coordinator)
    assert f'href="{reverse("dpo")}"' not in client.get(reverse("cohort")).content.decode()


def test_the_console_says_when_nobody_has_viewed_anyone(client, world, dpo):
    client.force_login(dpo)
    body = client.get(reverse("dpo")).content.decode()
    assert "data-nothing-viewed" in body and "Nobody has viewed a person yet" in body
    client.force_login(world.partner)
    client.get(reverse("person", args=[world.active.pk]))
    client.force_login(dpo)
    body = client.get(reverse("dpo")).content.decode()
    assert "data-nothing-viewed" not in body
    assert 'data-person-views>1<' in body


def test_the_console_lists_agreements_and_those_awaiting_the_dpo(client, world, dpo):
    from .factories import make_agreement

    waiting = make_agreement(world.programme, {world.police: ["identity"]},
                             "awaiting_approval", suppliers=[world.police])
    client.force_login(dpo)
    body = client.get(reverse("dpo")).content.decode()
    assert f'data-awaiting-agreement="{waiting.pk}"' in body
    assert 'data-agreement-status="active"' in body
    assert reverse("retention") in body


# --- who viewed a person ---------------------------------------------------------------------

def test_who_viewed_a_person_with_their_agency_and_detail(client, world, dpo):
    plant(world.partner, at(2), obj_id=world.active.pk, case_detail=False)
    plant(world.caseworker, at(1), action="view_plan", obj_type="cohort_entry", obj_id=99,
          person=world.active.pk)
    plant(world.analyst, at(1), obj_id=world.stepped_down.pk)  # someone else
    plant(world.stranger, at(1), obj_id=world.active.pk, outcome="denied")
    plant(world.analyst, at(40), obj_id=world.active.pk)  # before the default 30 days
    client.force_login(dpo)
    response = client.get(reverse("dpo_person_views"), {"person_id": "P-ACTIVE"})
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count("data-event=") == 3
    assert "Northgate School (partner agency user)" in body and "case detail: False" in body
    assert "view_plan" in body and "Refused" in body
    assert AuditEvent.objects.filter(action="view_audit_person",
                                     object_id=str(world.active.pk)).exists()
    wider = client.get(reverse("dpo_person_views"), {
        "person_id": "P-ACTIVE", **period_params(45, 0)}).content.decode()
    # the four, and the DPO's own first look: reading a person's trail is about them too
    assert wider.count("data-event=") == 5


def period_params(start_days_ago: int, end_days_ago: int) -> dict:
    start, end = TODAY() - timedelta(days=start_days_ago), TODAY() - timedelta(days=end_days_ago)
    return {"start_day": start.day, "start_month": start.month, "start_year": start.year,
            "end_day": end.day, "end_month": end.month, "end_year": end.year}


@pytest.mark.parametrize(("params", "anchor", "message"), [
    ({"person_id": ""}, "id_person_id", "Enter the person&#x27;s pseudonymous id"),
    ({"person_id": "P-NOBODY"}, "id_person_id", "Nobody with that id is in a programme"),
    ({"person_id": "P-UNLISTED"}, "id_person_id", "Nobody with that id is in a programme"),
    ({"person_id": "P-ACTIVE", **period_params(1, 3)}, "id_end_0",
     "The end of the period must be the same as or after its start"),
    ({"person_id": "P-ACTIVE", "start_day": "40", "start_month": "1", "start_year": "2026"},
     "id_start_0", "The start of the period must be a real date"),
])
def test_a_bad_question_names_the_field(client, world, dpo, params, anchor, message):
    client.force_login(dpo)
    response = client.get(reverse("dpo_person_views"), params)
    body = response.content.decode()
    assert response.status_code == 400
    assert f'href="#{anchor}"' in body and message in body


# --- what a user viewed ----------------------------------------------------------------------

def test_what_a_user_viewed_over_a_period(client, world, dpo):
    plant(world.caseworker, at(3), obj_id=world.active.pk)
    plant(world.caseworker, at(2), action="view_meetings", obj_type="meeting")
    plant(world.caseworker, at(20), obj_id=world.stepped_down.pk)
    plant(world.analyst, at(2), obj_id=world.active.pk)
    client.force_login(dpo)
    body = client.get(reverse("dpo_user_activity"), {
        "username": "caseworker", **period_params(10, 0)}).content.decode()
    assert body.count("data-event=") == 2 and "view_meetings" in body
    stranger = client.get(reverse("dpo_user_activity"), {"username": "stranger"})
    assert stranger.status_code == 400  # housing works in no overseen programme
    assert "Nobody with that username works for an agency" in stranger.content.decode()


# --- flag 1: outside the caseload ------------------------------------------------------------

def outside_pks(world) -> set[tuple[str, int]]:
    scope = audit_log.scope_of([world.programme, world.police_only_programme])
    flagged = audit_log.outside_caseload(scope, audit_log.Period.last_days(30))
    return {(f.event.actor_name, int(f.event.object_id)) for f in flagged}


def test_views_outside_the_caseload_are_flagged(world):
    active, stepped = world.active.pk, world.stepped_down.pk
    PersonLink.objects.filter(person=world.active).update(recorded_at=at(30))
    plant(world.partner, at(1), obj_id=active)  # the school is linked: in caseload
    plant(world.analyst, at(1), obj_id=active)  # the police lead the programme
    plant(world.coordinator, at(1), obj_id=active)  # the programme's coordinator
    plant(world.caseworker, at(1), obj_id=active)  # social care: no link, not lead
    entry = CohortEntry.objects.get(programme=world.programme, person=world.stepped_down)
    entry.lead_professional = world.caseworker
    entry.save()
    plant(world.caseworker, at(1), obj_id=stepped)  # their own lead-professional case
    plant(world.caseworker, at(1), obj_id=active, outcome="denied")  # refused: not a view
    assert outside_pks(world) == {("caseworker", active)}


def test_a_link_counts_only_while_it_was_open(world):
    link = PersonLink.objects.get(programme=world.programme, person=world.active)
    PersonLink.objects.filter(pk=link.pk).update(recorded_at=at(10),
                                                  ended_at=at(5))
    plant(world.partner, at(12), obj_id=world.active.pk)  # before the link
    plant(world.partner, at(7), obj_id=world.active.pk)  # while it was open
    plant(world.partner, at(3), obj_id=world.active.pk)  # after it ended
    scope = audit_log.scope_of([world.programme])
    flagged = audit_log.outside_caseload(scope, audit_log.Period.last_days(30))
    assert sorted((TODAY() - timezone.localdate(f.event.at)).days for f in flagged) == [3, 12]


def test_the_flags_page_lists_both_flags(client, world, dpo):
    plant(world.caseworker, at(1), obj_id=world.active.pk)
    plant(world.analyst, at(2), obj_id=world.active.pk, count=51)
    client.force_login(dpo)
    body = client.get(reverse("dpo_flags")).content.decode()
    assert body.count("data-event=") == 1 and "P-ACTIVE" in body
    assert 'data-volume="analyst"' in body and ">51<" in body
    summary = client.get(reverse("dpo")).content.decode()
    assert "data-outside>1" in summary and "data-unusual>1" in summary
    assert AuditEvent.objects.filter(action="view_access_flags", outcome="allowed").exists()


# --- flag 2: unusual volume ------------------------------------------------------------------

def test_the_threshold_is_the_floor_or_three_times_the_median_day():
    day = TODAY()
    assert audit_log.threshold_for(day, {}) == (0, 50)
    quiet = {day - timedelta(days=n): 10 for n in range(1, 31)}
    assert audit_log.threshold_for(day, quiet) == (10, 50)
    busy = {day - timedelta(days=n): 20 for n in range(1, 31)}
    assert audit_log.threshold_for(day, busy) == (20, 60)
    # half the days at 40, half without views: the median is between 0 and 40
    patchy = {day - timedelta(days=n): 40 for n in range(1, 31, 2)}
    assert audit_log.threshold_for(day, patchy) == (20, 60)
    # the day itself and days beyond the 30 before it do not count
    assert audit_log.threshold_for(day, {day: 500, day - timedelta(days=31): 500}) == (0, 50)


def volume_flags(world) -> list[tuple[str, int, int]]:
    scope = audit_log.scope_of([world.programme])
    return [(f.username, (TODAY() - f.day).days, f.views)
            for f in audit_log.unusual_volume(scope, audit_log.Period.last_days(7))]


def test_fifty_views_in_a_day_are_usual_and_fifty_one_are_not(world):
    plant(world.analyst, at(2), obj_id=world.active.pk, count=50)
    plant(world.caseworker, at(2), obj_id=world.active.pk, count=51)
    assert volume_flags(world) == [("caseworker", 2, 51)]


def test_a_busy_user_is_flagged_above_three_times_their_usual_day(world):
    for days_ago in range(2, 32):  # 20 a day for the 30 days before the day in question
        plant(world.analyst, at(days_ago), obj_id=world.active.pk, count=20)
    plant(world.analyst, at(1), obj_id=world.active.pk, count=60)
    assert volume_flags(world) == []  # 60 is not above 3 x 20
    plant(world.analyst, at(1, hour=15), obj_id=world.active.pk)
    assert volume_flags(world) == [("analyst", 1, 61)]


def test_only_allowed_person_views_count(world):
    plant(world.analyst, at(1), obj_id=world.active.pk, count=51, outcome="denied")
    plant(world.analyst, at(1), action="view_meetings", obj_type="meeting", count=51)
    assert volume_flags(world) == []


# --- the export ------------------------------------------------------------------------------

def test_the_export_streams_the_period_as_csv_and_is_audited(client, world, dpo):
    plant(world.analyst, at(40), obj_id=world.active.pk)
    plant(world.analyst, at(3), obj_id=world.active.pk, case_detail=True)
    plant(world.partner, at(2), action="=HYPERLINK(\"x\")", obj_type="person")
    plant(world.stranger, at(2), obj_id=world.active.pk)  # housing: outside the scope
    client.force_login(dpo)
    response = client.get(reverse("dpo_export_csv"), period_params(10, 0))
    assert response.streaming and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == list(audit_log.EXPORT_COLUMNS)
    body = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert [r["actor"] for r in body][:2] == ["analyst", "partner"]
    assert body[0]["detail"] == '{"case_detail": true}'
    # a formula is not left for a spreadsheet to run
    assert body[1]["action"] == "'=HYPERLINK(\"x\")"
    assert "stranger" not in {r["actor"] for r in body}
    assert all(len(r["hash"]) == 64 for r in body)  # each row can be checked against the chain
    exported = AuditEvent.objects.get(action="export_audit_log")
    assert exported.actor == dpo and exported.outcome == "allowed"
    assert exported.detail["start"] == str(TODAY() - timedelta(days=10))
    assert body[-1]["action"] == "export_audit_log"  # the export is in its own period


def test_a_bad_export_period_is_named_and_exports_nothing(client, world, dpo):
    client.force_login(dpo)
    response = client.get(reverse("dpo_export_csv"), period_params(1, 5))
    assert response.status_code == 400 and not response.streaming
    assert 'href="#id_end_0"' in response.content.decode()
    assert not AuditEvent.objects.filter(action="export_audit_log", outcome="allowed").exists()


def test_the_export_reads_rows_in_chunks(world):
    plant(world.analyst, at(1), obj_id=world.active.pk, count=5)
    events = audit_log.export_events(audit_log.scope_of([world.programme]),
                                     audit_log.Period.last_days(3))
    with mock.patch.object(audit_log, "EXPORT_CHUNK", 2), \
            mock.patch("django.db.models.query.QuerySet.iterator",
                       autospec=True, side_effect=lambda qs, chunk_size=None: iter(
                           list(qs))) as iterator:
        lines = list(audit_log.csv_lines(events))
    assert len(lines) == 6 and iterator.call_args.kwargs["chunk_size"] == 2


def test_the_console_lists_open_challenges_and_requests_with_their_deadlines(client, world, dpo):
    from deter.web.models import Challenge, CohortEntry, SubjectAccessRequest

    entry = CohortEntry.objects.get(programme=world.programme, person=world.active)
    today = TODAY()
    overdue = Challenge.objects.create(entry=entry, received_on=today - timedelta(days=30),
                                       due_on=today - timedelta(days=2), grounds="Wrong person",
                                       logged_by=world.coordinator)
    Challenge.objects.create(entry=entry, received_on=today - timedelta(days=90),
                             due_on=today - timedelta(days=62), grounds="Decided already",
                             logged_by=world.coordinator, outcome="kept", reasons="Two events",
                             decided_by=dpo, decided_at=timezone.now())
    sar = SubjectAccessRequest.objects.create(
        programme=world.programme, person=world.active, received_on=today,
        deadline=today + timedelta(days=30), logged_by=dpo)
    client.force_login(dpo)
    body = client.get(reverse("dpo")).content.decode()
    assert body.count("data-challenge=") == 1 and f'data-challenge="{overdue.pk}"' in body
    assert f'data-subject-access="{sar.pk}"' in body
    row = body[body.index(f'data-challenge="{overdue.pk}"'):]
    assert "Overdue" in row[:row.index("</tr>")]
    assert "Overdue" not in body[body.index("data-subject-access="):][:600]
    row = AuditEvent.objects.filter(action="view_dpo_console").latest("id")
    assert row.detail["challenges"] == [overdue.pk]
    assert row.detail["subject_access_requests"] == [sar.pk]
    # social care's DPO keeps no rights records for this programme
    client.force_login(make_user("dpo-care", world.social_care, Role.DPO))
    body = client.get(reverse("dpo")).content.decode()
    assert "data-challenge=" not in body and "data-subject-access=" not in body

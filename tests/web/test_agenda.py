"""The generated agenda: each section has the right items and no others, in a fixed number of
queries; and what one viewer is shown of it."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from deter.analysis.violence import Violence
from deter.web import policy
from deter.web.models import (
    AnalysisRun,
    CohortEntry,
    FoundGroup,
    GroupViolenceFlag,
    Involvement,
    Meeting,
    MeetingAction,
    PersonScore,
)
from deter.web.queries import agenda as agendas

from .factories import make_entry, make_event, make_person, make_run
from .meetings_factories import at, make_action, make_flag, make_group, make_member

Status = CohortEntry.Status


def build(world, since_days: int = 28, meeting_in_days: int = 0):
    today = timezone.localdate()
    return agendas.build_agenda(
        world.programme, since=timezone.now() - timedelta(days=since_days), today=today,
        meeting_day=today + timedelta(days=meeting_in_days),
    )


def people_in(items) -> set[str]:
    return {i["person_id"] for i in items if i.get("person_id")}


# --- proposals --------------------------------------------------------------------------------


def test_proposals_are_proposed_and_deferred_people_with_rank_harm_and_criteria(world):
    deferred, _ = make_member(world.programme, "P-DEFERRED", Status.DEFERRED)
    make_member(world.programme, "P-REJECTED", Status.REJECTED)
    other = make_person("P-ELSEWHERE")
    make_entry(world.police_only_programme, other, Status.PROPOSED)
    PersonScore.objects.filter(run=world.run, person=world.proposed).update(
        criteria_met=["violent offence within 730 days", "harm at least 100 days"])

    items = build(world)["proposals"]

    assert people_in(items) == {"P-PROPOSED", "P-DEFERRED"}
    proposed = next(i for i in items if i["person_id"] == "P-PROPOSED")
    score = PersonScore.objects.get(run=world.run, person=world.proposed)
    assert proposed["rank"] == score.rank
    assert proposed["harm_score"] == round(score.harm_score, 1)
    assert proposed["criteria"] == ["violent offence within 730 days", "harm at least 100 days"]
    assert proposed["status"] == "proposed" and proposed["person"] == world.proposed.pk
    unscored = next(i for i in items if i["person_id"] == "P-DEFERRED")
    assert unscored["rank"] is None and unscored["criteria"] == []
    assert unscored["entry"] == deferred.cohort_entries.get().pk


def test_proposals_use_the_latest_complete_run_only(world):
    later = make_run([world.proposed], status=AnalysisRun.Status.FAILED,
                     started_at=timezone.now() + timedelta(hours=1))
    PersonScore.objects.filter(run=later).update(rank=999)
    items = build(world)["proposals"]
    proposed = next(i for i in items if i["person_id"] == "P-PROPOSED")
    assert proposed["rank"] == PersonScore.objects.get(run=world.run, person=world.proposed).rank


def test_proposals_include_proposed_groups_with_their_group_score(world):
    make_group(world.programme, "G1", Status.PROPOSED, name="Northside")
    make_group(world.programme, "G2", Status.ACTIVE)
    items = [i for i in build(world)["proposals"] if i["type"] == "group"]
    assert [i["label"] for i in items] == ["G1"]
    score = FoundGroup.objects.get(run=world.run, group_label="G1")
    assert (items[0]["rank"], items[0]["size"], items[0]["name"]) == (score.rank, score.size,
                                                                      "Northside")


# --- reviews ----------------------------------------------------------------------------------


def test_reviews_are_engaged_entries_due_by_a_week_after_the_meeting(world):
    today = timezone.localdate()
    entries = CohortEntry.objects.filter(programme=world.programme)
    entries.filter(person=world.active).update(review_date=today - timedelta(days=2))
    entries.filter(person=world.stepped_down).update(review_date=today + timedelta(days=10))
    entries.filter(person=world.proposed).update(review_date=today - timedelta(days=5))
    entries.filter(person=world.exited).update(review_date=today - timedelta(days=5))
    _, later = make_member(world.programme, "P-LATER")
    later.review_date = today + timedelta(days=30)
    later.save()

    on_the_day = build(world, meeting_in_days=0)["reviews"]
    assert people_in(on_the_day) == {"P-ACTIVE"}
    assert on_the_day[0]["overdue"] is True
    assert on_the_day[0]["review_date"] == (today - timedelta(days=2)).isoformat()

    # a meeting in five days looks ahead to day 12, so the stepped-down review is due too
    ahead = build(world, meeting_in_days=5)["reviews"]
    assert people_in(ahead) == {"P-ACTIVE", "P-STEPPED"}
    stepped = next(i for i in ahead if i["person_id"] == "P-STEPPED")
    assert stepped["overdue"] is False and stepped["status"] == "stepped_down"


def test_reviews_include_engaged_groups_due(world):
    make_group(world.programme, "G-DUE", Status.ACTIVE, review_in_days=-1,
               lead_professional=world.caseworker)
    make_group(world.programme, "G-LATER", Status.ACTIVE, review_in_days=60)
    make_group(world.programme, "G-PROPOSED", Status.PROPOSED, review_in_days=-1)
    groups = [i for i in build(world)["reviews"] if i["type"] == "group"]
    assert [(g["label"], g["overdue"], g["lead_professional"]) for g in groups] == [
        ("G-DUE", True, "caseworker")]


# --- new violence -----------------------------------------------------------------------------


def test_violence_since_involving_engaged_members_as_suspect_offender_or_victim(world):
    make_event("E-NEW-SUSPECT", world.active, "suspect", days_ago=3)
    make_event("E-NEW-VICTIM", world.stepped_down, "victim", category="Robbery", days_ago=2)
    make_event("E-NEW-OFFENDER", world.active, "offender", category="possession of weapons",
               days_ago=1)
    make_event("E-OLD", world.active, "suspect", days_ago=40)  # before `since`
    make_event("E-BURGLARY", world.active, "suspect", category="burglary", days_ago=2)
    make_event("E-WITNESS", world.active, "witness", days_ago=2)
    make_event("E-PROPOSED", world.proposed, "suspect", days_ago=2)  # not in the cohort yet
    make_event("E-EXITED", world.exited, "suspect", days_ago=2)
    make_event("E-UNLISTED-NEW", world.unlisted, "suspect", days_ago=2)
    make_event("E-OTHER-PROGRAMME", world.police_only, "suspect", days_ago=2)

    items = build(world)["violence"]

    assert [(i["event_id"], i["person_id"], i["role"]) for i in items] == [
        ("E-NEW-OFFENDER", "P-ACTIVE", "offender"),
        ("E-NEW-VICTIM", "P-STEPPED", "victim"),
        ("E-NEW-SUSPECT", "P-ACTIVE", "suspect"),
    ]
    assert items[1]["offence_category"] == "Robbery"


def test_violence_is_what_the_latest_runs_harm_table_says_it_is(world):
    """The agenda, the group flags and the selection criteria share one definition."""
    make_event("E-ROBBERY", world.active, "suspect", category="Robbery", days_ago=2)
    make_event("E-BURGLARY", world.active, "suspect", category="burglary", days_ago=2)
    assert {i["event_id"] for i in build(world)["violence"]} == {"E-ROBBERY"}
    newest = AnalysisRun.objects.filter(status="complete").order_by("-started_at", "-pk").first()
    newest.violence = Violence(frozenset(), frozenset(), frozenset({"burglary"})).to_json()
    newest.save()
    assert {i["event_id"] for i in build(world)["violence"]} == {"E-BURGLARY"}


def test_violence_window_starts_at_the_previous_governance_meeting(world):
    today = timezone.localdate()
    Meeting.objects.create(programme=world.programme, kind=Meeting.Kind.PANEL, title="Last panel",
                           held_at=at(today - timedelta(days=10)), created_by=world.coordinator)
    Meeting.objects.create(programme=world.programme, kind=Meeting.Kind.CALL_IN, title="Call-in",
                           held_at=at(today - timedelta(days=2)), created_by=world.coordinator)
    make_event("E-BEFORE-PANEL", world.active, days_ago=15)
    make_event("E-AFTER-PANEL", world.active, days_ago=5)
    make_event("E-AFTER-CALL-IN", world.active, days_ago=1)

    since = agendas.default_since(world.programme, today, today)
    assert timezone.localdate(since) == today - timedelta(days=10)
    items = agendas.build_agenda(world.programme, since=since, today=today)["violence"]
    assert [i["event_id"] for i in items] == ["E-AFTER-CALL-IN", "E-AFTER-PANEL"]


def test_without_a_previous_meeting_the_window_is_28_days(world):
    today = timezone.localdate()
    since = agendas.default_since(world.programme, today + timedelta(days=3), today)
    assert timezone.localdate(since) == today - timedelta(days=28)


# --- flags and overdue actions ----------------------------------------------------------------


def test_flags_awaiting_or_under_response_only(world):
    group = make_group(world.programme, "G1", name="Northside")
    make_flag(group, world.active, "E-FLAG-OPEN")
    make_flag(group, world.active, "E-FLAG-RESPONDING", GroupViolenceFlag.Status.RESPONDING,
              days_ago=4)
    make_flag(group, world.active, "E-FLAG-DONE", GroupViolenceFlag.Status.DONE)
    other = make_group(world.police_only_programme, "G9")
    make_flag(other, world.police_only, "E-FLAG-ELSEWHERE")

    items = build(world)["flags"]

    assert [(i["event_id"], i["status"]) for i in items] == [
        ("E-FLAG-OPEN", "open"), ("E-FLAG-RESPONDING", "responding")]
    assert items[0]["name"] == "Northside" and items[0]["person_id"] == "P-ACTIVE"


def test_overdue_actions_are_the_programmes_open_actions_past_due(world):
    entry = CohortEntry.objects.get(programme=world.programme, person=world.active)
    late = make_action(world.programme, world.caseworker, world.coordinator, due_in_days=-3,
                       description="Refer to boxing club", entry=entry)
    make_action(world.programme, world.partner, world.coordinator, due_in_days=-1,
                description="Later", status=MeetingAction.Status.OPEN)
    make_action(world.programme, world.caseworker, world.coordinator, due_in_days=0,
                description="Due today")
    make_action(world.programme, world.caseworker, world.coordinator, due_in_days=-9,
                status=MeetingAction.Status.DONE, description="Done")
    make_action(world.programme, world.caseworker, world.coordinator, due_in_days=-9,
                status=MeetingAction.Status.CANCELLED, description="Cancelled")
    make_action(world.police_only_programme, world.analyst, world.analyst, due_in_days=-9,
                description="Elsewhere")

    items = build(world)["overdue_actions"]

    assert [(i["description"], i["owner"], i["days_overdue"]) for i in items] == [
        ("Refer to boxing club", "caseworker", 3), ("Later", "partner", 1)]
    assert items[0]["action"] == late.pk and items[0]["person_id"] == "P-ACTIVE"


# --- the whole ---------------------------------------------------------------------------------


def test_the_agenda_is_json_and_records_its_window(world):
    make_event("E-NEW", world.active, days_ago=1)
    agenda = build(world, since_days=14)
    assert json.loads(json.dumps(agenda)) == agenda
    assert agenda["run"] == world.run.pk
    assert set(agendas.SECTIONS) <= set(agenda)


def _grow(world, n: int, tag: str) -> None:
    group = make_group(world.programme, f"G-{tag}", Status.ACTIVE, review_in_days=-1)
    for i in range(n):
        person, entry = make_member(world.programme, f"P-{tag}-{i}")
        entry.review_date = timezone.localdate()
        entry.group = group
        entry.save()
        make_member(world.programme, f"P-{tag}-PROPOSED-{i}", Status.PROPOSED)
        make_event(f"E-{tag}-{i}", person, days_ago=2)
        make_flag(group, person, f"E-{tag}-FLAG-{i}")
        make_action(world.programme, world.caseworker, world.coordinator, due_in_days=-2,
                    entry=entry)


@pytest.mark.django_db
def test_the_number_of_queries_does_not_grow_with_the_data(world):
    _grow(world, 2, "A")
    with CaptureQueriesContext(connection) as small:
        small_agenda = build(world)
    _grow(world, 15, "B")
    with CaptureQueriesContext(connection) as large:
        large_agenda = build(world)
    assert len(large_agenda["violence"]) > len(small_agenda["violence"]) >= 2
    assert len(large_agenda["flags"]) > len(small_agenda["flags"])
    assert len(large.captured_queries) == len(small.captured_queries)
    assert len(small.captured_queries) <= 11


# --- what one viewer sees ---------------------------------------------------------------------


def visible_for(user, agenda) -> agendas.Visible:
    return agendas.visible_to(
        agenda, people=policy.people.visible(user),
        entries=policy.entries.visible(user),
        groups=policy.groups.visible(user), actions=policy.meeting_actions.visible(user))


def test_a_partner_sees_only_reviews_of_people_they_see_and_their_own_actions(world):
    today = timezone.localdate()
    CohortEntry.objects.filter(person__in=[world.active, world.stepped_down]).update(
        review_date=today)
    make_event("E-NEW", world.active, days_ago=1)
    make_group(world.programme, "G-DUE", Status.ACTIVE, review_in_days=0)
    make_action(world.programme, world.partner, world.coordinator, due_in_days=-1,
                description="School's action")
    make_action(world.programme, world.caseworker, world.coordinator, due_in_days=-1,
                description="Social care's action")
    agenda = build(world)

    view = agendas.present(agenda, visible=visible_for(world.partner, agenda),
                           case_detail=False)

    assert view.sections["proposals"] == [] and view.sections["violence"] == []
    assert [(i.get("person_id"), i["linked"]) for i in view.sections["reviews"]] == [
        ("P-ACTIVE", True), ("P-STEPPED", True)]
    assert [i["description"] for i in view.sections["overdue_actions"]] == ["School's action"]
    assert view.hidden == 2  # the group's review and social care's action


def test_a_caseworker_sees_no_proposals_but_the_violence_of_active_members(world):
    make_event("E-NEW", world.active, days_ago=1)
    make_group(world.programme, "G-PROPOSED", Status.PROPOSED)
    agenda = build(world)
    assert {i["type"] for i in agenda["proposals"]} == {"person", "group"}

    view = agendas.present(agenda, visible=visible_for(world.caseworker, agenda),
                           case_detail=True)

    assert view.sections["proposals"] == []
    assert [(i["event_id"], i["linked"]) for i in view.sections["violence"]] == [
        ("E-NEW", True)]


def test_the_coordinator_sees_everything_with_dates_parsed(world):
    make_event("E-NEW", world.active, days_ago=1)
    group = make_group(world.programme, "G1")
    make_flag(group, world.active, "E-FLAG")
    agenda = build(world)
    view = agendas.present(agenda, visible=visible_for(world.coordinator, agenda),
                           case_detail=True)
    assert [(i["person_id"], i["linked"]) for i in view.sections["proposals"]] == [
        ("P-PROPOSED", True)]
    assert [i["event_id"] for i in view.sections["flags"]] == ["E-FLAG"]
    violence = view.sections["violence"][0]
    assert violence["occurred_at"].tzinfo is not None
    assert view.since is not None and view.generated_at is not None and view.hidden == 0
    assert agendas.person_pks(agenda) == {world.proposed.pk, world.active.pk}


def test_a_person_seen_only_elsewhere_is_not_linked_from_their_proposal(world):
    agenda = build(world)
    visible = agendas.Visible(people=frozenset(), entries=frozenset(
        CohortEntry.objects.filter(person=world.proposed).values_list("pk", flat=True)))
    view = agendas.present(agenda, visible=visible, case_detail=True)
    assert [(i["person_id"], i["linked"]) for i in view.sections["proposals"]] == [
        ("P-PROPOSED", False)]


def test_a_limit_keeps_the_first_items_of_each_section_and_counts_the_rest(world):
    for n in range(3):
        make_event(f"E-LIMIT-{n}", world.active, days_ago=1 + n)
    agenda = build(world)
    visible = visible_for(world.coordinator, agenda)
    whole = agendas.present(agenda, visible=visible, case_detail=True)
    short = agendas.present(agenda, visible=visible, case_detail=True, limit=2)
    assert len(whole.sections["violence"]) == 3 and whole.more == {}
    assert short.sections["violence"] == whole.sections["violence"][:2]
    assert short.more == {"violence": 1}


def test_present_copes_with_an_empty_agenda():
    view = agendas.present({}, visible=agendas.Visible(), case_detail=True)
    assert view.empty and view.sections == {}


def test_involvement_roles_counted_as_violence_are_the_documented_ones():
    assert set(agendas.VIOLENCE_ROLES) == {Involvement.Role.SUSPECT, Involvement.Role.OFFENDER,
                                          Involvement.Role.VICTIM}

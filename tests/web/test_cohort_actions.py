"""The cohort actions: proposals from a run, panel decisions, person and group plans."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from deter.web import actions
from deter.web.actions.cohort import TRANSITIONS, allowed_transitions
from deter.web.models import (
    AnalysisRun,
    AuditEvent,
    CohortDecision,
    CohortEntry,
    CohortGroup,
    Meeting,
    PersonScore,
)

from .factories import make_entry, make_person, make_run

Status = CohortEntry.Status
EVERY_STATUS = list(Status.values)
ALLOWED = [(a, b) for a in EVERY_STATUS for b in EVERY_STATUS if b in TRANSITIONS[a]]
REFUSED = [(a, b) for a in EVERY_STATUS for b in EVERY_STATUS if b not in TRANSITIONS[a]]


def soon(days: int = 30):
    return timezone.localdate() + timedelta(days=days)


def entry_of(world, person) -> CohortEntry:
    return CohortEntry.objects.get(programme=world.programme, person=person)


def entry_at(world, status: str) -> CohortEntry:
    entry = entry_of(world, world.active)
    CohortEntry.objects.filter(pk=entry.pk).update(status=status)
    entry.refresh_from_db()
    return entry


def full_decision(world) -> dict:
    return {"reason": "Agreed at panel", "review_date": soon(),
            "lead_professional": world.caseworker}


def test_the_transitions_are_the_ones_the_panel_agreed():
    assert allowed_transitions("proposed") == ["active", "rejected", "deferred"]
    assert allowed_transitions("deferred") == ["active", "rejected", "proposed"]
    assert allowed_transitions("active") == ["stepped_down", "exited"]
    assert allowed_transitions("stepped_down") == ["active", "exited"]
    assert allowed_transitions("rejected") == ["proposed"]
    assert allowed_transitions("exited") == []


# --- decide -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("from_status", "to_status"), ALLOWED)
def test_every_allowed_transition_is_recorded_with_a_decision_and_an_audit_row(
    world, from_status, to_status
):
    entry = entry_at(world, from_status)
    decision = actions.decide(world.coordinator, entry, to_status, **full_decision(world))
    entry.refresh_from_db()
    assert entry.status == to_status
    assert entry.decided_by == world.coordinator and entry.decided_at is not None
    assert (decision.entry, decision.from_status, decision.to_status, decision.decided_by) == (
        entry, from_status, to_status, world.coordinator)
    assert decision.reason == "Agreed at panel"
    row = AuditEvent.objects.get(action="decide")
    assert (row.actor, row.outcome, row.object_type, row.object_id) == (
        world.coordinator, "allowed", "cohort_entry", str(entry.pk))
    assert row.detail["from_status"] == from_status and row.detail["to_status"] == to_status
    assert row.detail["decision"] == decision.pk


@pytest.mark.parametrize(("from_status", "to_status"), REFUSED)
def test_every_other_transition_is_refused_naming_both_statuses(world, from_status, to_status):
    entry = entry_at(world, from_status)
    with pytest.raises(ValidationError) as refused:
        actions.decide(world.coordinator, entry, to_status, **full_decision(world))
    message = refused.value.message_dict["to_status"][0]
    assert Status(from_status).label.lower() in message
    assert Status(to_status).label.lower() in message
    entry.refresh_from_db()
    assert entry.status == from_status
    assert not CohortDecision.objects.exists()
    assert not AuditEvent.objects.filter(action="decide").exists()


def test_accepting_sets_rationale_lead_and_review_date(world):
    entry = entry_of(world, world.proposed)
    review = soon(90)
    actions.decide(world.coordinator, entry, "active", reason="Two knife offences this year",
                   lead_professional=world.caseworker, review_date=review)
    entry.refresh_from_db()
    assert entry.rationale == "Two knife offences this year"
    assert entry.lead_professional == world.caseworker
    assert entry.review_date == review
    decision = CohortDecision.objects.get()
    assert decision.lead_professional == world.caseworker and decision.review_date == review


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"reason": "  "}, "reason", "Enter the rationale for accepting"),
        ({"lead_professional": None}, "lead_professional", "Select the lead professional"),
        ({"review_date": None}, "review_date", "Enter the review date"),
        ({"review_date": "today"}, "review_date", "The review date must be in the future"),
        ({"review_date": "past"}, "review_date", "The review date must be in the future"),
        ({"lead_professional": "stranger"}, "lead_professional",
         "Select a lead professional from the programme's agencies"),
    ],
)
def test_accepting_needs_rationale_a_lead_from_the_programme_and_a_future_review(
    world, changes, field, message
):
    entry = entry_of(world, world.proposed)
    values = full_decision(world) | changes
    values["review_date"] = {"today": timezone.localdate(), "past": soon(-1)}.get(
        values["review_date"], values["review_date"])
    if values["lead_professional"] == "stranger":
        values["lead_professional"] = world.stranger
    with pytest.raises(ValidationError) as refused:
        actions.decide(world.coordinator, entry, "active", **values)
    assert refused.value.message_dict[field] == [message]
    entry.refresh_from_db()
    assert entry.status == "proposed"
    assert not CohortDecision.objects.exists()
    assert not AuditEvent.objects.filter(action="decide").exists()


@pytest.mark.parametrize(("person", "to_status"), [
    ("proposed", "rejected"), ("active", "exited"), ("proposed", "deferred"),
    ("active", "stepped_down"),
])
def test_reject_exit_defer_and_step_down_need_a_reason(world, person, to_status):
    entry = entry_of(world, getattr(world, person))
    with pytest.raises(ValidationError) as refused:
        actions.decide(world.coordinator, entry, to_status, reason="", review_date=soon())
    assert refused.value.message_dict["reason"] == ["Enter the reason for the decision"]
    assert not CohortDecision.objects.exists()


@pytest.mark.parametrize(("person", "to_status"), [
    ("active", "stepped_down"), ("stepped_down", "active"), ("proposed", "deferred"),
])
def test_stepping_down_reactivating_and_deferring_need_a_review_date(world, person, to_status):
    entry = entry_of(world, getattr(world, person))
    with pytest.raises(ValidationError) as refused:
        actions.decide(world.coordinator, entry, to_status, reason="Reviewed",
                       lead_professional=world.caseworker)
    assert refused.value.message_dict["review_date"] == ["Enter the review date"]


def test_rejecting_needs_no_review_date_and_keeps_the_old_one(world):
    entry = entry_of(world, world.proposed)
    before = entry.review_date
    actions.decide(world.coordinator, entry, "rejected", reason="No violent offence in two years",
                   review_date=soon(5), lead_professional=world.caseworker)
    entry.refresh_from_db()
    assert entry.status == "rejected" and entry.review_date == before
    assert entry.lead_professional is None
    assert entry.rationale.startswith("Test rationale")  # the rationale is set only on accept


def test_reactivating_keeps_the_lead_professional(world):
    entry = entry_of(world, world.stepped_down)
    CohortEntry.objects.filter(pk=entry.pk).update(lead_professional=world.caseworker)
    entry.refresh_from_db()
    actions.decide(world.coordinator, entry, "active", reason="New knife offence",
                   review_date=soon())
    entry.refresh_from_db()
    assert entry.status == "active" and entry.lead_professional == world.caseworker


def test_re_proposal_gets_a_review_date_a_month_ahead(world):
    entry = entry_at(world, "rejected")
    actions.decide(world.coordinator, entry, "proposed", reason="New evidence")
    entry.refresh_from_db()
    assert entry.review_date == soon(28)


@pytest.mark.parametrize("role", ["analyst", "caseworker", "partner", "stranger", "superuser"])
def test_only_the_coordinator_decides(world, role):
    user = getattr(world, role)
    entry = entry_of(world, world.proposed)
    with pytest.raises(PermissionDenied):
        actions.decide(user, entry, "active", **full_decision(world))
    entry.refresh_from_db()
    assert entry.status == "proposed"
    assert not CohortDecision.objects.exists()
    row = AuditEvent.objects.get(action="decide")
    assert (row.actor, row.outcome, row.object_id) == (user, "denied", str(entry.pk))


def test_a_decision_is_recorded_against_a_meeting_of_the_programme(world):
    meeting = Meeting.objects.create(programme=world.programme, kind="panel", title="Panel",
                                     held_at=timezone.now(), created_by=world.coordinator)
    entry = entry_of(world, world.proposed)
    decision = actions.decide(world.coordinator, entry, "deferred", reason="Awaiting school",
                              review_date=soon(14), meeting=meeting)
    assert decision.meeting == meeting
    assert AuditEvent.objects.get(action="decide").detail["meeting"] == meeting.pk


def test_a_meeting_of_another_programme_is_refused(world):
    meeting = Meeting.objects.create(programme=world.police_only_programme, kind="panel",
                                     title="Other panel", held_at=timezone.now(),
                                     created_by=world.coordinator)
    entry = entry_of(world, world.proposed)
    with pytest.raises(ValidationError) as refused:
        actions.decide(world.coordinator, entry, "deferred", reason="Awaiting school",
                       review_date=soon(14), meeting=meeting)
    assert refused.value.message_dict["meeting"] == ["Select a meeting of this programme"]
    assert not CohortDecision.objects.exists()


def test_a_decision_on_a_stale_page_is_refused(world):
    entry = entry_of(world, world.proposed)
    stale = entry_of(world, world.proposed)
    actions.decide(world.coordinator, entry, "rejected", reason="Not violent")
    with pytest.raises(ValidationError) as refused:
        actions.decide(world.coordinator, stale, "deferred", reason="Later", review_date=soon())
    assert "Someone else has just recorded a decision" in refused.value.messages[0]
    assert CohortDecision.objects.count() == 1
    assert entry_of(world, world.proposed).status == "rejected"


# --- decide_group -----------------------------------------------------------------------------


@pytest.fixture
def group(world):
    cohort_group = CohortGroup.objects.create(programme=world.programme, label="G1",
                                              review_date=soon(10))
    CohortEntry.objects.filter(
        person__in=[world.active, world.proposed]).update(group=cohort_group)
    return cohort_group


def test_a_group_is_accepted_without_changing_its_members(world, group):
    decision = actions.decide_group(world.coordinator, group, "active", reason="Rival of G2",
                                    lead_professional=world.analyst, review_date=soon(60))
    group.refresh_from_db()
    assert (group.status, group.lead_professional, group.review_date) == (
        "active", world.analyst, soon(60))
    assert group.rationale == "Rival of G2"
    assert decision.group == group and decision.entry is None
    assert entry_of(world, world.proposed).status == "proposed"
    row = AuditEvent.objects.get(action="decide_group")
    assert (row.object_type, row.object_id, row.outcome) == ("cohort_group", str(group.pk),
                                                             "allowed")


def test_a_group_transition_not_allowed_is_refused(world, group):
    with pytest.raises(ValidationError) as refused:
        actions.decide_group(world.coordinator, group, "exited", reason="Done")
    assert "proposed" in refused.value.message_dict["to_status"][0]
    assert "exited" in refused.value.message_dict["to_status"][0]


@pytest.mark.parametrize("role", ["analyst", "caseworker", "partner", "stranger"])
def test_only_the_coordinator_decides_about_a_group(world, group, role):
    with pytest.raises(PermissionDenied):
        actions.decide_group(getattr(world, role), group, "rejected", reason="No")
    group.refresh_from_db()
    assert group.status == "proposed"
    assert AuditEvent.objects.get(action="decide_group").outcome == "denied"


# --- propose_from_run -------------------------------------------------------------------------


@pytest.fixture
def proposals(world):
    """The run proposes the unlisted person (in G1) and the already-active person."""
    PersonScore.objects.filter(run=world.run, person=world.unlisted).update(
        proposed=True, group_label="G1",
        criteria_met=["violent offence in 24 months", "harm >= 365 days"])
    PersonScore.objects.filter(run=world.run, person=world.active).update(proposed=True)
    return world.run


def test_it_proposes_the_runs_new_people_with_their_criteria(world, proposals):
    added = actions.propose_from_run(world.coordinator, world.programme, proposals)
    assert added == 1
    entry = entry_of(world, world.unlisted)
    assert entry.status == "proposed" and entry.proposed_by_run == proposals
    assert entry.review_date == soon(28)
    assert entry.rationale.startswith(
        f"Proposed by analysis run {proposals.pk}: violent offence in 24 months; "
        "harm >= 365 days.")
    decision = entry.decisions.get()
    assert (decision.from_status, decision.to_status, decision.decided_by) == (
        "", "proposed", world.coordinator)
    assert decision.reason == f"Proposed by analysis run {proposals.pk}"
    assert entry_of(world, world.active).status == "active"  # already in: untouched
    row = AuditEvent.objects.get(action="propose_from_run")
    assert row.detail["people"] == [world.unlisted.pk] and row.detail["groups"] == ["G1"]


def test_it_proposes_groups_with_a_proposed_member_and_puts_new_entries_in_them(world, proposals):
    actions.propose_from_run(world.coordinator, world.programme, proposals)
    group = CohortGroup.objects.get()
    assert (group.label, group.status, group.proposed_by_run) == ("G1", "proposed", proposals)
    assert entry_of(world, world.unlisted).group == group
    assert group.decisions.get().to_status == "proposed"
    # G2's only member (P-STEPPED) is not proposed, so G2 is not brought to the panel
    assert not CohortGroup.objects.filter(label="G2").exists()


def test_it_never_proposes_people_the_run_does_not_propose(world):
    added = actions.propose_from_run(world.coordinator, world.programme, world.run)
    assert added == 0
    assert not CohortEntry.objects.filter(person__in=[world.unlisted, world.police_only],
                                          programme=world.programme).exists()
    assert not CohortGroup.objects.exists()


def test_it_is_idempotent(world, proposals):
    assert actions.propose_from_run(world.coordinator, world.programme, proposals) == 1
    entries, decisions = CohortEntry.objects.count(), CohortDecision.objects.count()
    assert actions.propose_from_run(world.coordinator, world.programme, proposals) == 0
    assert CohortEntry.objects.count() == entries
    assert CohortDecision.objects.count() == decisions
    assert CohortGroup.objects.count() == 1


def test_a_later_runs_group_with_an_old_label_is_not_mixed_with_the_old_group(world, proposals):
    actions.propose_from_run(world.coordinator, world.programme, proposals)
    newcomer = make_person("P-NEWCOMER")
    later = make_run([newcomer], group_of={"P-NEWCOMER": "G1"})
    PersonScore.objects.filter(run=later).update(proposed=True)
    assert actions.propose_from_run(world.coordinator, world.programme, later) == 1
    assert entry_of(world, newcomer).group is None
    assert CohortGroup.objects.get().proposed_by_run == proposals


@pytest.mark.parametrize("status", ["running", "failed"])
def test_it_refuses_an_incomplete_run(world, status):
    AnalysisRun.objects.filter(pk=world.run.pk).update(status=status)
    world.run.refresh_from_db()
    with pytest.raises(ValidationError):
        actions.propose_from_run(world.coordinator, world.programme, world.run)
    with pytest.raises(ValidationError):
        actions.propose_from_run(world.coordinator, world.programme, None)


@pytest.mark.parametrize("role", ["analyst", "caseworker", "partner", "stranger"])
def test_only_the_coordinator_brings_proposals(world, proposals, role):
    with pytest.raises(PermissionDenied):
        actions.propose_from_run(getattr(world, role), world.programme, proposals)
    assert not CohortEntry.objects.filter(person=world.unlisted).exists()
    assert AuditEvent.objects.get(action="propose_from_run").outcome == "denied"


# --- update_plan ------------------------------------------------------------------------------


def plan(world, **changes) -> dict:
    return {
        "support_offer": "Boxing club mentoring; college place",
        "enforcement_consequence": "Swift prosecution of any further knife offence",
        "lead_professional": world.caseworker, "review_date": soon(60),
        "safeguarding": "contextual", "safeguarding_lead": world.caseworker,
    } | changes


def test_the_coordinator_updates_a_plan_and_the_audit_records_the_changes(world):
    entry = entry_of(world, world.active)
    actions.update_plan(world.coordinator, entry, **plan(world))
    entry.refresh_from_db()
    assert entry.support_offer == "Boxing club mentoring; college place"
    assert entry.enforcement_consequence.startswith("Swift prosecution")
    assert (entry.lead_professional, entry.safeguarding, entry.safeguarding_lead) == (
        world.caseworker, "contextual", world.caseworker)
    row = AuditEvent.objects.get(action="update_plan")
    assert row.outcome == "allowed" and row.object_id == str(entry.pk)
    assert row.detail["changes"]["lead_professional"] == [None, world.caseworker.pk]
    assert row.detail["changes"]["safeguarding"] == ["", "contextual"]


def test_the_lead_professional_updates_their_own_persons_plan(world):
    entry = entry_of(world, world.active)
    CohortEntry.objects.filter(pk=entry.pk).update(lead_professional=world.partner)
    entry.refresh_from_db()
    actions.update_plan(world.partner, entry, **plan(world, lead_professional=world.partner))
    entry.refresh_from_db()
    assert entry.support_offer.startswith("Boxing club")


@pytest.mark.parametrize("role", ["analyst", "caseworker", "partner", "stranger"])
def test_others_may_not_change_a_plan(world, role):
    entry = entry_of(world, world.active)
    with pytest.raises(PermissionDenied):
        actions.update_plan(getattr(world, role), entry, **plan(world))
    entry.refresh_from_db()
    assert entry.support_offer == ""
    assert AuditEvent.objects.get(action="update_plan").outcome == "denied"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"lead_professional": None}, "lead_professional", "Select the lead professional"),
        ({"lead_professional": "stranger"}, "lead_professional",
         "Select a lead professional from the programme's agencies"),
        ({"review_date": None}, "review_date", "Enter the review date"),
        ({"review_date": "past"}, "review_date", "The review date must be in the future"),
        ({"safeguarding": "made_up"}, "safeguarding",
         "Select the safeguarding status from the list"),
        ({"safeguarding_lead": None}, "safeguarding_lead", "Select the safeguarding lead"),
        ({"safeguarding_lead": "stranger"}, "safeguarding_lead",
         "Select a safeguarding lead from the programme's agencies"),
    ],
)
def test_bad_plans_are_refused_with_the_field_named_and_nothing_saved(
    world, changes, field, message
):
    entry = entry_of(world, world.active)
    values = plan(world, **changes)
    for key in ("lead_professional", "safeguarding_lead"):
        if values[key] == "stranger":
            values[key] = world.stranger
    if values["review_date"] == "past":
        values["review_date"] = soon(-3)
    with pytest.raises(ValidationError) as refused:
        actions.update_plan(world.coordinator, entry, **values)
    assert refused.value.message_dict[field] == [message]
    entry.refresh_from_db()
    assert entry.support_offer == ""
    assert not AuditEvent.objects.filter(action="update_plan").exists()


def test_safeguarding_is_recorded_only_for_children(world):
    adult = make_person("P-ADULT", age=25)
    entry = make_entry(world.programme, adult)
    with pytest.raises(ValidationError) as refused:
        actions.update_plan(world.coordinator, entry, **plan(world))
    assert refused.value.message_dict["safeguarding"] == [
        "A safeguarding status is recorded only for children"]
    actions.update_plan(world.coordinator, entry,
                        **plan(world, safeguarding="", safeguarding_lead=None))
    entry.refresh_from_db()
    assert entry.support_offer.startswith("Boxing club")


def test_an_overdue_review_date_may_stay_while_the_rest_of_the_plan_changes(world):
    entry = entry_of(world, world.active)
    CohortEntry.objects.filter(pk=entry.pk).update(review_date=soon(-10))
    entry.refresh_from_db()
    actions.update_plan(world.coordinator, entry, **plan(world, review_date=soon(-10)))
    entry.refresh_from_db()
    assert entry.review_date == soon(-10) and entry.support_offer


# --- update_group_plan ------------------------------------------------------------------------


def test_the_coordinator_records_the_group_response(world, group):
    actions.update_group_plan(world.coordinator, group,
                              group_response="Any shooting: warrants for the whole group",
                              lead_professional=world.analyst, review_date=soon(30))
    group.refresh_from_db()
    assert group.group_response.startswith("Any shooting")
    assert group.lead_professional == world.analyst
    row = AuditEvent.objects.get(action="update_group_plan")
    assert row.detail["changes"]["review_date"] == [soon(10).isoformat(), soon(30).isoformat()]


def test_the_groups_lead_professional_updates_its_plan(world, group):
    CohortGroup.objects.filter(pk=group.pk).update(lead_professional=world.analyst)
    group.refresh_from_db()
    actions.update_group_plan(world.analyst, group, group_response="Patrols",
                              lead_professional=world.analyst, review_date=None)
    group.refresh_from_db()
    assert group.group_response == "Patrols" and group.review_date is None


@pytest.mark.parametrize("role", ["analyst", "caseworker", "partner", "stranger"])
def test_others_may_not_change_a_groups_plan(world, group, role):
    with pytest.raises(PermissionDenied):
        actions.update_group_plan(getattr(world, role), group, group_response="x",
                                  lead_professional=None, review_date=None)
    assert AuditEvent.objects.get(action="update_group_plan").outcome == "denied"


def test_an_active_group_needs_a_lead_and_a_review_date(world, group):
    CohortGroup.objects.filter(pk=group.pk).update(status="active")
    group.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        actions.update_group_plan(world.coordinator, group, group_response="Patrols",
                                  lead_professional=None, review_date=None)
    assert set(refused.value.message_dict) == {"lead_professional", "review_date"}
    group.refresh_from_db()
    assert group.group_response == ""

"""Decisions and proposals are dated when they were made: at their meeting (which must have
taken place), on a day given with the reason it is recorded later, never in the future and
never before the subject's last decision."""

from datetime import datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from deter.web import actions
from deter.web.models import AuditEvent, CohortDecision, CohortEntry, Meeting
from deter.web.queries import programme_report

from .factories import make_person

Status = CohortEntry.Status
TODAY = timezone.localdate


def days_ago(n: int):
    return TODAY() - timedelta(days=n)


def entry_of(world, person) -> CohortEntry:
    return CohortEntry.objects.get(programme=world.programme, person=person)


def meeting(world, days: int) -> Meeting:
    held = timezone.make_aware(datetime.combine(TODAY() + timedelta(days=days), time(10)))
    return Meeting.objects.create(programme=world.programme, kind="panel", title="Panel",
                                  held_at=held, created_by=world.coordinator)


def accept(world, entry, **when):
    return actions.decide(world.coordinator, entry, Status.ACTIVE, reason="Agreed at panel",
                          review_date=TODAY() + timedelta(days=60),
                          lead_professional=world.caseworker, **when)


def test_a_decision_at_a_meeting_that_has_not_happened_is_refused_and_nothing_changes(world):
    entry = entry_of(world, world.proposed)
    tomorrow = meeting(world, days=1)
    with pytest.raises(ValidationError) as refused:
        accept(world, entry, meeting=tomorrow)
    message = refused.value.message_dict["meeting"][0]
    assert "has not taken place yet" in message
    assert f"{tomorrow.held_at.astimezone(timezone.get_current_timezone()):%-d %B %Y}" in message
    assert entry_of(world, world.proposed).status == Status.PROPOSED
    assert not CohortDecision.objects.exists()


def test_a_decision_at_a_past_meeting_is_dated_at_the_meeting_and_needs_no_reason(world):
    entry = entry_of(world, world.proposed)
    last_week = meeting(world, days=-7)
    decision = accept(world, entry, meeting=last_week)
    assert decision.decided_at == last_week.held_at
    assert decision.recorded_at > last_week.held_at and decision.backdated_reason == ""
    assert entry_of(world, world.proposed).decided_at == last_week.held_at
    row = AuditEvent.objects.get(action="decide")
    assert row.detail["decided_at"].startswith(str(last_week.held_at.date()))


def test_a_decision_at_a_meeting_cannot_carry_another_day(world):
    with pytest.raises(ValidationError) as refused:
        accept(world, entry_of(world, world.proposed), meeting=meeting(world, days=-7),
               decided_on=days_ago(3))
    assert "is dated that day" in refused.value.message_dict["decided_on"][0]
    assert not CohortDecision.objects.exists()


def test_a_backdated_decision_needs_the_reason_it_is_recorded_later(world):
    entry = entry_of(world, world.proposed)
    with pytest.raises(ValidationError) as refused:
        accept(world, entry, decided_on=days_ago(140))
    assert "Say why this is recorded later" in refused.value.message_dict["backdated_reason"][0]
    assert not CohortDecision.objects.exists()

    decision = accept(world, entry, decided_on=days_ago(140),
                      backdated_reason="Agreed by e-mail between panels")
    assert timezone.localdate(decision.decided_at) == days_ago(140)
    assert timezone.localdate(decision.recorded_at) == TODAY()
    assert decision.backdated_reason == "Agreed by e-mail between panels"
    row = AuditEvent.objects.get(action="decide")
    assert row.detail["backdated_reason"] == "Agreed by e-mail between panels"


def test_a_decision_cannot_be_in_the_future(world):
    with pytest.raises(ValidationError) as refused:
        accept(world, entry_of(world, world.proposed), decided_on=TODAY() + timedelta(days=1),
               backdated_reason="typo")
    assert refused.value.message_dict["decided_on"] == [
        "The date of the decision cannot be in the future"]


def test_a_decision_cannot_be_dated_before_the_last_one(world):
    entry = entry_of(world, world.proposed)
    accept(world, entry, decided_on=days_ago(30), backdated_reason="From the paper record")
    entry.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        actions.decide(world.coordinator, entry, Status.STEPPED_DOWN, reason="Engaging well",
                       review_date=TODAY() + timedelta(days=60), decided_on=days_ago(31),
                       backdated_reason="From the paper record")
    assert refused.value.message_dict["decided_on"] == [
        f"The decision cannot be dated before the last one, on {days_ago(30):%-d %B %Y}"]
    # the same day is allowed, and it still comes after the last one
    later = actions.decide(world.coordinator, entry, Status.STEPPED_DOWN, reason="Engaging well",
                           review_date=TODAY() + timedelta(days=60), decided_on=days_ago(30),
                           backdated_reason="From the paper record")
    first = CohortDecision.objects.exclude(pk=later.pk).get()
    assert later.decided_at > first.decided_at
    assert list(entry.decisions.values_list("to_status", flat=True)) == [
        Status.STEPPED_DOWN, Status.ACTIVE]


def test_a_backdated_decisions_review_date_may_have_passed_but_follows_the_decision(world):
    entry = entry_of(world, world.proposed)
    with pytest.raises(ValidationError) as refused:
        actions.decide(world.coordinator, entry, Status.DEFERRED, reason="Awaiting school",
                       review_date=days_ago(100), decided_on=days_ago(100),
                       backdated_reason="From the paper record")
    assert refused.value.message_dict["review_date"] == [
        f"The review date must be after {days_ago(100):%-d %B %Y}, the day it was decided"]
    decision = actions.decide(world.coordinator, entry, Status.DEFERRED,
                              reason="Awaiting school", review_date=days_ago(70),
                              decided_on=days_ago(100), backdated_reason="From the paper record")
    assert decision.review_date == days_ago(70)


def test_a_proposal_can_be_dated_when_it_was_made(world):
    person = make_person("P-LATE")
    with pytest.raises(ValidationError) as refused:
        actions.propose(world.coordinator, world.programme, person, rationale="Seen at ASB",
                        proposed_on=days_ago(200))
    assert "backdated_reason" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        actions.propose(world.coordinator, world.programme, person, rationale="Seen at ASB",
                        proposed_on=TODAY() + timedelta(days=2), backdated_reason="x")
    assert "proposed_on" in refused.value.message_dict
    entry = actions.propose(world.coordinator, world.programme, person, rationale="Seen at ASB",
                            proposed_on=days_ago(200), backdated_reason="From the VRU's log",
                            review_date=days_ago(180))
    proposal = entry.decisions.get()
    assert timezone.localdate(proposal.decided_at) == days_ago(200)
    assert entry.review_date == days_ago(180)


def test_the_programme_report_counts_a_backdated_decision_in_its_month(world):
    entry = entry_of(world, world.proposed)
    when = days_ago(150)
    accept(world, entry, decided_on=when, backdated_reason="From the paper record")
    months = {m.month: m for m in programme_report.cohort_months(world.programme, TODAY())}
    assert months[when.replace(day=1)].entered == 1
    assert sum(m.entered for m in months.values()) == 1


def test_the_panel_form_dates_a_decision_and_the_history_shows_why(client, world):
    entry = entry_of(world, world.proposed)
    client.force_login(world.coordinator)
    when, review = days_ago(40), TODAY() + timedelta(days=50)
    prefix = f"person-{entry.pk}"
    post = {f"{prefix}-to_status": Status.ACTIVE, f"{prefix}-reason": "Agreed",
            f"{prefix}-lead_professional": world.caseworker.pk,
            f"{prefix}-review_date_day": review.day, f"{prefix}-review_date_month": review.month,
            f"{prefix}-review_date_year": review.year}
    url = reverse("panel_decide_person", args=[world.programme.pk, entry.pk])
    dated = {f"{prefix}-decided_on_day": when.day, f"{prefix}-decided_on_month": when.month,
             f"{prefix}-decided_on_year": when.year}
    refused = client.post(url, post | dated)
    assert refused.status_code == 400
    assert "Say why this is recorded later" in refused.content.decode()
    assert not CohortDecision.objects.exists()

    response = client.post(url, post | dated | {f"{prefix}-backdated_reason": "Agreed by e-mail"})
    assert response.status_code == 302
    decision = CohortDecision.objects.get()
    assert timezone.localdate(decision.decided_at) == when
    page = client.get(reverse("entry_plan", args=[entry.pk])).content.decode()
    assert "Agreed by e-mail" in page and f"Recorded {TODAY():%-d %b %Y}" in page


def _propose_page(client, world, person, **fields):
    return client.post(reverse("panel_propose_person", args=[world.programme.pk]), {
        "person_id": person.person_id, "rationale": "Named by the school and the police",
        **fields})


def test_a_proposal_made_on_an_earlier_day_is_dated_then_with_its_reason(client, world):
    newcomer = make_person("P-LATE", age=15)
    day = days_ago(20)
    client.force_login(world.coordinator)
    dated = {"proposed_on_day": day.day, "proposed_on_month": day.month,
             "proposed_on_year": day.year}
    refused = _propose_page(client, world, newcomer, **dated)
    assert refused.status_code == 400
    assert "Say why this is recorded later" in refused.content.decode()
    assert not CohortEntry.objects.filter(person=newcomer).exists()
    response = _propose_page(client, world, newcomer, **dated,
                             backdated_reason="Entered from the panel's minutes")
    assert response.status_code == 302
    proposal = CohortDecision.objects.get(entry__person=newcomer)
    assert timezone.localdate(proposal.decided_at) == day
    assert proposal.backdated_reason == "Entered from the panel's minutes"
    # and the panel can then date its decision after the proposal, not before it
    entry = CohortEntry.objects.get(person=newcomer)
    with pytest.raises(ValidationError):
        accept(world, entry, decided_on=days_ago(25), backdated_reason="Minutes")
    decision = accept(world, entry, decided_on=days_ago(10), backdated_reason="Minutes")
    assert timezone.localdate(decision.decided_at) == days_ago(10)


def test_a_group_proposed_on_an_earlier_day_is_dated_then(client, world):
    newcomer = make_person("P-GROUPED", age=15)
    entry = actions.propose(world.coordinator, world.programme, newcomer, rationale="Named",
                            proposed_on=days_ago(30), backdated_reason="Minutes")
    day = days_ago(21)
    client.force_login(world.coordinator)
    response = client.post(reverse("panel_propose_group", args=[world.programme.pk]), {
        "label": "KENT-01", "members": newcomer.person_id, "rationale": "Together at the station",
        "proposed_on_day": day.day, "proposed_on_month": day.month, "proposed_on_year": day.year,
        "backdated_reason": "Entered from the panel's minutes"})
    assert response.status_code == 302
    entry.refresh_from_db()
    proposal = CohortDecision.objects.get(group__label="KENT-01")
    assert timezone.localdate(proposal.decided_at) == day and entry.group.label == "KENT-01"

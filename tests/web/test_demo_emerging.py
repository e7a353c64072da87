"""The demo's second programme: the planted emerging group (the YEF Kent case) carried through
its year by a Kent-like partnership, each decision dated when the panel made it, so the
programme report shows the cohort narrowing (eight, then a core of three, then one) and the
group's anti-social behaviour before and after."""

from datetime import date

import pytest
from django.urls import reverse

from deter.analysis.synth.emerging import PHASE_INCIDENTS, STEPS
from deter.web.demo import emerging_group as demo_emerging
from deter.web.demo.world import create_demo_world
from deter.web.models import CohortDecision, CohortEntry, CohortGroup, Programme
from deter.web.queries import programme_report

from .factories import import_emerging_group

Status = CohortEntry.Status


@pytest.fixture
def planted(db):
    """The planted children and their incidents, imported, scored in a run as one group."""
    return import_emerging_group()


@pytest.fixture
def programme(planted):
    run, truth = planted
    logins = create_demo_world(run, cohort_size=4, emerging_group=truth.members)
    assert {"adolescent", "btp"} <= {login.username for login in logins}
    return Programme.objects.get(name=demo_emerging.PROGRAMME_NAME)


def test_the_partnership_is_kent_like_and_joined_through_its_agreement(programme):
    names = set(programme.agencies.values_list("name", flat=True))
    assert {name for name, _, _ in demo_emerging.PARTNERS} <= names
    assert programme.agreements.get().status == "active"
    assert programme.current_run_id is not None


def test_the_group_and_its_eight_children_were_proposed_by_hand_with_evidence(
        planted, programme):
    _, truth = planted
    group = CohortGroup.objects.get(programme=programme)
    assert group.proposed_by is not None and group.proposed_by_run is None
    entries = CohortEntry.objects.filter(programme=programme)
    assert {e.person.person_id for e in entries} == set(truth.members)
    assert all(e.group_id == group.pk and e.evidence.count() == 3 for e in entries)
    proposals = CohortDecision.objects.filter(entry__in=entries, to_status=Status.PROPOSED)
    assert {d.decided_at.date() for d in proposals} == {demo_emerging.PROPOSED_ON}
    assert all(d.backdated_reason == demo_emerging.MINUTES for d in proposals)


def test_the_cohort_narrows_to_a_core_of_three_then_one(planted, programme):
    _, truth = planted
    status = dict(CohortEntry.objects.filter(programme=programme)
                  .values_list("person__person_id", "status"))
    assert [pid for pid, s in status.items() if s == Status.ACTIVE] == [truth.last]
    steps = CohortDecision.objects.filter(entry__programme=programme,
                                          to_status=Status.STEPPED_DOWN)
    by_day = {}
    for decision in steps:
        by_day.setdefault(decision.decided_at.date(), set()).add(decision.entry.person.person_id)
    assert by_day == {STEPS[1]: set(truth.members) - set(truth.core),
                      demo_emerging.ONE_ON: set(truth.core) - {truth.last}}


def test_the_programme_report_shows_the_narrowing_and_the_asb_either_side(planted, programme):
    _, truth = planted
    report = programme_report.build(programme, named=True)
    months = {m.month: m for m in report.months}
    january, july, october = (date(2026, 1, 1), date(2026, 7, 1), date(2026, 10, 1))
    assert (months[january].entered, months[january].active) == (8, 8)
    assert (months[july].stepped_down, months[july].active) == (5, 3)
    assert (months[october].stepped_down, months[october].active) == (2, 1)
    assert all(m.groups_active == 1 for m in report.months if m.month >= january)
    (group,) = report.groups
    assert group.accepted == STEPS[0] and group.members == 8
    assert (group.asb_before, group.asb_after) == (PHASE_INCIDENTS[0], sum(PHASE_INCIDENTS[1:]))


def test_the_lead_professional_sees_the_child_left_on_a_plan(client, planted, programme):
    _, truth = planted
    from django.contrib.auth.models import User

    entry = CohortEntry.objects.get(programme=programme, person__person_id=truth.last)
    assert entry.lead_professional.username == "adolescent"
    assert entry.support_offer and entry.enforcement_consequence
    client.force_login(User.objects.get(username="adolescent"))
    page = client.get(reverse("entry_plan", args=[entry.pk]))
    assert page.status_code == 200 and truth.last in page.content.decode()


def test_it_adds_nothing_twice_and_nothing_without_the_planted_children(planted, programme):
    run, truth = planted
    decisions = CohortDecision.objects.count()
    create_demo_world(run, cohort_size=4, emerging_group=truth.members)
    assert CohortDecision.objects.count() == decisions
    assert demo_emerging.add_emerging_group_programme(
        run, {}, {}, ["P-NOBODY"], "", "") == []

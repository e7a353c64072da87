"""The demo world's cohort history and plans: decisions, support offers, one cohort group."""

import pytest

from deter.web.demo.cohort import CONSEQUENCE, GROUP_RESPONSE, SUPPORT_OFFER
from deter.web.demo.meetings import PANEL_TITLE
from deter.web.demo.world import ACTIVE_COUNT, create_demo_world
from deter.web.models import CohortDecision, CohortEntry, CohortGroup

from .factories import make_event, make_person, make_run


@pytest.fixture
def run(db):
    people = []
    for i in range(24):
        person = make_person(f"D-{i:02}")
        make_event(f"E-D-{i:02}", person, category=("robbery", "burglary")[i % 5 == 0],
                   days_ago=10 + i)
        people.append(person)
    return make_run(people, group_of={p.person_id: f"G{i % 3 + 1}" for i, p in enumerate(people)})


def test_every_active_entry_has_its_acceptance_by_the_coordinator(run):
    create_demo_world(run, cohort_size=18)
    active = CohortEntry.objects.filter(status="active")
    assert active.count() == ACTIVE_COUNT
    for entry in active:
        decisions = list(entry.decisions.all())  # newest first
        assert [(d.from_status, d.to_status) for d in decisions] == [
            ("proposed", "active"), ("", "proposed")]
        assert decisions[0].decided_by.username == "coordinator"
        assert decisions[0].reason == entry.rationale
        assert decisions[0].lead_professional.username == "caseworker"
        assert decisions[0].meeting.title == PANEL_TITLE  # accepted at the demo panel
        assert (entry.support_offer, entry.enforcement_consequence) == (SUPPORT_OFFER,
                                                                        CONSEQUENCE)
    for entry in CohortEntry.objects.filter(status="proposed"):
        assert [d.to_status for d in entry.decisions.all()] == ["proposed"]
        assert entry.support_offer == ""


def test_the_demo_has_one_active_cohort_group_with_its_members(run):
    create_demo_world(run, cohort_size=18)
    group = CohortGroup.objects.get()
    assert group.status == "active" and group.group_response == GROUP_RESPONSE
    assert group.label == run.groups.order_by("rank").first().group_label
    assert group.lead_professional.username == "caseworker"
    assert [(d.from_status, d.to_status) for d in group.decisions.all()] == [
        ("proposed", "active"), ("", "proposed")]
    labels = dict(run.people.values_list("person_id", "group_label"))
    members = CohortEntry.objects.filter(group=group)
    assert members.exists()
    assert all(labels[m.person_id] == group.label for m in members)


def test_calling_it_again_adds_no_decisions_or_groups(run):
    create_demo_world(run, cohort_size=18)
    decisions = CohortDecision.objects.count()
    create_demo_world(run, cohort_size=18)
    assert CohortDecision.objects.count() == decisions
    assert CohortGroup.objects.count() == 1


def test_without_a_run_there_is_no_cohort_and_no_group(db):
    create_demo_world(None)
    assert not CohortDecision.objects.exists() and not CohortGroup.objects.exists()

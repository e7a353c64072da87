"""The access policy, role by role: who sees whom, and who may record what."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from deter.web import policy
from deter.web.models import StaffRole

from .factories import make_agency, make_run, make_user


def visible(user) -> set:
    return set(policy.people_visible_to(user))


def test_it_shows_analysts_every_status_in_their_programmes(world):
    assert visible(world.analyst) == world.everyone_in_programme | {world.police_only}


def test_it_shows_coordinators_every_status_but_only_in_partnered_programmes(world):
    assert visible(world.coordinator) == world.everyone_in_programme
    assert world.police_only not in visible(world.coordinator)


def test_it_shows_caseworkers_only_active_and_stepped_down_people(world):
    assert visible(world.caseworker) == world.engaged


def test_it_shows_partner_users_only_active_and_stepped_down_people(world):
    assert visible(world.partner) == world.engaged


def test_it_shows_the_outside_agency_user_nobody(world):
    assert visible(world.stranger) == set()
    assert list(policy.programmes_for(world.stranger)) == []
    assert list(policy.person_scores_visible_to(world.stranger, world.run)) == []


def test_it_grants_superusers_nothing(world):
    assert visible(world.superuser) == set()
    with pytest.raises(Http404):
        policy.get_person_for_user(world.superuser, world.active.pk)


def test_it_shows_anonymous_and_deactivated_users_nobody(world):
    assert visible(AnonymousUser()) == set()
    world.coordinator.is_active = False
    world.coordinator.save()
    assert visible(world.coordinator) == set()


def test_it_never_shows_a_person_without_a_cohort_entry(world):
    for user in (world.analyst, world.coordinator, world.caseworker, world.partner):
        assert world.unlisted not in visible(user)


def test_it_combines_roles_across_agencies(world):
    # A caseworker who is also an analyst at the police sees every status.
    StaffRole.objects.create(user=world.caseworker, agency=world.police, role="analyst")
    assert visible(world.caseworker) == world.everyone_in_programme | {world.police_only}


def test_it_lists_each_person_once_when_several_roles_grant_them(world):
    StaffRole.objects.create(user=world.coordinator, agency=world.police, role="caseworker")
    people = list(policy.people_visible_to(world.coordinator))
    assert len(people) == len(set(people))


def test_it_raises_the_same_404_for_hidden_and_missing_people(world):
    with pytest.raises(Http404) as hidden:
        policy.get_person_for_user(world.caseworker, world.proposed.pk)
    with pytest.raises(Http404) as missing:
        policy.get_person_for_user(world.caseworker, 999_999)
    assert str(hidden.value) == str(missing.value)
    assert policy.get_person_for_user(world.caseworker, world.active.pk) == world.active


def test_it_lists_programmes_for_partners_and_nobody_else(world):
    assert set(policy.programmes_for(world.analyst)) == {
        world.programme, world.police_only_programme}
    assert set(policy.programmes_for(world.partner)) == {world.programme}
    assert list(policy.programmes_for(world.stranger)) == []


def test_it_lets_staff_roles_record_interventions_by_any_programme_agency(world):
    for user in (world.analyst, world.coordinator, world.caseworker):
        assert policy.can_add_intervention(user, world.active, world.programme, world.police)
        assert policy.can_add_intervention(user, world.active, world.programme, world.school)
        assert not policy.can_add_intervention(
            user, world.active, world.programme, world.housing)


def test_it_lets_partners_record_interventions_only_by_their_own_agency(world):
    assert policy.can_add_intervention(world.partner, world.active, world.programme, world.school)
    assert not policy.can_add_intervention(
        world.partner, world.active, world.programme, world.police)
    assert set(policy.intervention_agencies(world.partner, world.programme)) == {world.school}
    assert set(policy.intervention_agencies_for_person(world.partner, world.active)) == {
        world.school}


def test_it_checks_the_agency_without_a_programme(world):
    assert policy.can_add_intervention(world.partner, world.active, agency=world.school)
    assert not policy.can_add_intervention(world.partner, world.active, agency=world.police)


def test_it_refuses_interventions_for_people_the_user_cannot_see(world):
    assert not policy.can_add_intervention(world.stranger, world.active)
    assert not policy.can_add_intervention(world.caseworker, world.proposed)
    assert not policy.can_add_intervention(
        world.coordinator, world.police_only, world.police_only_programme, world.police)


def test_it_refuses_interventions_in_a_programme_the_person_is_not_seen_in(world):
    assert not policy.can_add_intervention(
        world.analyst, world.active, world.police_only_programme, world.police)


def test_it_limits_case_detail_to_staff_roles(world):
    assert policy.can_see_case_detail(world.coordinator, world.active)
    assert policy.can_see_case_detail(world.caseworker, world.active)
    assert not policy.can_see_case_detail(world.partner, world.active)
    assert not policy.can_see_case_detail(world.stranger, world.active)
    scores = {s.person: s.case_detail for s in policy.person_scores_visible_to(
        world.partner, world.run)}
    assert scores == {world.active: False, world.stepped_down: False}


def test_it_shows_a_partner_with_a_staff_role_elsewhere_no_extra_detail(world):
    # Analyst at an agency only in the drug market programme; partner in knife crime.
    user = make_user("mixed", world.school, StaffRole.Role.PARTNER)
    treatment = make_agency("Treatment service", "treatment")
    world.police_only_programme.agencies.add(treatment)
    StaffRole.objects.create(user=user, agency=treatment, role="analyst")
    assert policy.can_see_case_detail(user, world.police_only)
    assert not policy.can_see_case_detail(user, world.active)


def test_it_ignores_runs_that_are_not_complete(world):
    make_run([world.active], status="running")
    make_run([world.active], status="failed")
    assert policy.latest_complete_run() == world.run

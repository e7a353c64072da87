"""The access policy, role by role: who sees whom, and who may record what."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from deter.web import policy
from deter.web.models import StaffRole

from .factories import make_agency, make_agreement, make_run, make_user


def visible(user) -> set:
    return set(policy.people.visible(user))


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
    assert list(policy.programmes.visible(world.stranger)) == []
    assert list(policy.scores.in_run(world.stranger, world.run)) == []


def test_it_grants_superusers_nothing(world):
    assert visible(world.superuser) == set()
    with pytest.raises(Http404):
        policy.people.get(world.superuser, world.active.pk)


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
    people = list(policy.people.visible(world.coordinator))
    assert len(people) == len(set(people))


def test_it_raises_the_same_404_for_hidden_and_missing_people(world):
    with pytest.raises(Http404) as hidden:
        policy.people.get(world.caseworker, world.proposed.pk)
    with pytest.raises(Http404) as missing:
        policy.people.get(world.caseworker, 999_999)
    assert str(hidden.value) == str(missing.value)
    assert policy.people.get(world.caseworker, world.active.pk) == world.active


def test_it_lists_programmes_for_partners_and_nobody_else(world):
    assert set(policy.programmes.visible(world.analyst)) == {
        world.programme, world.police_only_programme}
    assert set(policy.programmes.visible(world.partner)) == {world.programme}
    assert list(policy.programmes.visible(world.stranger)) == []


def test_it_lets_staff_roles_record_interventions_by_any_programme_agency(world):
    for user in (world.analyst, world.coordinator, world.caseworker):
        assert policy.people.can(user, "add_intervention", world.active,
                                 programme=world.programme, agency=world.police)
        assert policy.people.can(user, "add_intervention", world.active,
                                 programme=world.programme, agency=world.school)
        assert not policy.people.can(user, "add_intervention", world.active,
                                 programme=world.programme, agency=world.housing)


def test_it_lets_partners_record_interventions_only_by_their_own_agency(world):
    assert policy.people.can(world.partner, "add_intervention", world.active,
                                 programme=world.programme, agency=world.school)
    assert not policy.people.can(world.partner, "add_intervention", world.active,
                                 programme=world.programme, agency=world.police)
    assert set(policy.interventions.providers(world.partner, world.programme)) == {world.school}
    assert set(policy.interventions.providers_for_person(world.partner, world.active)) == {
        world.school}


def test_it_refuses_interventions_for_people_the_user_cannot_see(world):
    # without a programme and agency: test_policy_matrix
    assert not policy.people.can(world.coordinator, "add_intervention", world.police_only,
                                 programme=world.police_only_programme, agency=world.police)


def test_it_limits_case_detail_to_staff_roles(world):
    # policy.people.can(..., "see_case_detail", ...) role by role: test_policy_matrix
    scores = {s.person: s.case_detail for s in policy.scores.in_run(
        world.partner, world.run)}
    assert scores == {world.active: False, world.stepped_down: False}


def test_it_shows_a_partner_with_a_staff_role_elsewhere_no_extra_detail(world):
    # Analyst at an agency only in the drug market programme; partner in knife crime.
    user = make_user("mixed", world.school, StaffRole.Role.PARTNER)
    treatment = make_agency("Treatment service", "treatment")
    world.police_only_programme.agencies.add(treatment)
    make_agreement(world.police_only_programme, {treatment: list(policy.Category)})
    StaffRole.objects.create(user=user, agency=treatment, role="analyst")
    assert policy.people.can(user, "see_case_detail", world.police_only)
    assert not policy.people.can(user, "see_case_detail", world.active)


def test_it_ignores_runs_that_are_not_complete(world):
    make_run([world.active], status="running")
    make_run([world.active], status="failed")
    assert policy.runs.latest() == world.run

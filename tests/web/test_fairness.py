"""The fairness page: who may see it, suppression below ten, a planted skew warned with its
explanation, the run it is about; and the problem profile's table with the same rules."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from deter.web import policy
from deter.web.models import AnalysisRun, AuditEvent, Person, StaffRole

from .factories import make_entry, make_event, make_person, make_run, make_user

Role = StaffRole.Role


def fairness_url(world, **query) -> str:
    url = reverse("programme_fairness", args=[world.programme.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


@pytest.fixture
def dated(world):
    world.run.summary = {"as_of": timezone.now().isoformat()}
    world.run.save()
    return world.run


@pytest.fixture
def skewed(world, dated):
    """12 more active boys of 16 with a violent offence each, and 88 women of 40 who are
    neither: the active cohort (13 boys with the world's own) is all male and under 18."""
    for i in range(12):
        boy = make_person(f"P-BOY-{i:02}", age=16)
        make_event(f"E-BOY-{i:02}", boy)
        make_entry(world.programme, boy)
    Person.objects.bulk_create(
        Person(person_id=f"P-WOMAN-{i:02}", sex="female",
               date_of_birth=timezone.localdate() - timedelta(days=365 * 40 + 100))
        for i in range(88))
    return world


@pytest.mark.parametrize("who", ["analyst", "coordinator", "caseworker", "dpo"])
def test_staff_roles_and_the_dpo_see_it_and_it_is_audited(client, world, dated, who):
    user = make_user("dpo", world.vru, Role.DPO) if who == "dpo" else getattr(world, who)
    assert policy.programmes.can(user, "see_fairness", world.programme)
    client.force_login(user)
    response = client.get(fairness_url(world))
    assert response.status_code == 200
    assert AuditEvent.objects.filter(action="view_fairness", outcome="allowed",
                                     actor=user, detail__run=world.run.pk).exists()


@pytest.mark.parametrize("who", ["partner", "stranger", "superuser", "evaluator"])
def test_everyone_else_gets_the_404_of_a_missing_programme(client, world, dated, who):
    user = (make_user("evaluator", world.vru, Role.EVALUATOR) if who == "evaluator"
            else getattr(world, who))
    client.force_login(user)
    hidden = client.get(fairness_url(world))
    missing = client.get(reverse("programme_fairness", args=[999_999]))
    assert hidden.status_code == missing.status_code == 404
    assert AuditEvent.objects.filter(action="view_fairness", outcome="denied",
                                     actor=user).count() == 2


def test_counts_under_ten_are_suppressed_and_no_person_is_named(client, world, dated):
    client.force_login(world.coordinator)
    body = client.get(fairness_url(world)).content.decode()
    assert "fewer than 10" in body and "withheld" in body
    assert "No ratio is both outside 0.8 to 1.25" in body  # nothing to warn about
    assert not any(p.person_id in body for p in Person.objects.all())


def test_a_planted_skew_is_warned_with_its_ratio_and_explanation(client, skewed):
    world = skewed
    client.force_login(world.analyst)
    body = client.get(fairness_url(world)).content.decode()
    # the active cohort: 13 of 13 male, against 18 men among the 106 people recorded
    assert f"{13 / 13 / (18 / 106):.2f}" == "5.89"
    assert "Male (sex): 100.0% of the list against 17.0% of everyone recorded, 5.89 times" in body
    # everybody male: 0.5 is added to each cell of the cohort's side for the interval, so
    # exp(log((13.5 / 14) / (18 / 106)) +- 1.96 x sqrt(1/13.5 - 1/14 + 1/18 - 1/106))
    assert "5.89 times their share (95% interval 3.68 to 8.75): over-represented" in body
    # nobody female: 0.5 of 14 against 88 of 106; a zero's interval starts at 0
    assert "Female (sex): 0.0% of the list against 83.0% of everyone recorded, 0.00 times " \
           "their share (95% interval 0.00 to 0.66): under-represented." in body
    # the one person of 19 is hidden in the baseline, and so the next smallest band (the 17
    # children) is too, or the one could be worked out from the total: no ratio for either
    assert "14-17 (age band)" not in body and "18-24 (age band)" not in body
    assert 'data-warning="over"' in body and 'data-warning="under"' in body
    assert "The panel should consider whether the selection criteria" in body
    # against the offenders of serious violence (the 13 boys and the world's 3 violent
    # offenders, all male) the cohort is in proportion: no warning there
    assert "against offenders of serious violence" not in body.split('id="active"')[1] \
        .split("<table")[0]
    assert not any(p.person_id in body for p in Person.objects.all())


def test_another_run_is_chosen_by_its_key_and_a_hidden_one_is_a_404(client, world, dated):
    older = make_run([world.active], started_at=timezone.now() - timedelta(days=30))
    failed = make_run([world.active], status=AnalysisRun.Status.FAILED)
    client.force_login(world.analyst)
    body = client.get(fairness_url(world, run=older.pk)).content.decode()
    assert f"Analysis run {older.pk} of" in body
    for bad in (failed.pk, "abc", 0):
        assert client.get(fairness_url(world, run=bad)).status_code == 404
    assert AuditEvent.objects.filter(action="view_fairness", outcome="denied").count() == 3


def test_the_programme_page_and_the_profile_link_to_it(client, world, dated):
    client.force_login(world.caseworker)
    link = fairness_url(world)
    assert link in client.get(reverse("programme", args=[world.programme.pk])).content.decode()
    assert link in client.get(reverse("profile")).content.decode()
    client.force_login(world.partner)
    assert link not in client.get(
        reverse("programme", args=[world.programme.pk])).content.decode()


def test_the_profile_table_suppresses_small_counts_and_warns_on_the_under_14s(client, world):
    run = world.run
    run.profile = {"disproportionality": [
        {"characteristic": "age band", "value": "under 14", "offenders": 21, "proposed": 16},
        {"characteristic": "age band", "value": "18-24", "offenders": 5951, "proposed": 807},
        {"characteristic": "sex", "value": "male", "offenders": 5966, "proposed": 820},
        {"characteristic": "sex", "value": "female", "offenders": 6, "proposed": 3},
    ]}
    run.save()
    client.force_login(world.analyst)
    body = client.get(reverse("profile")).content.decode()
    assert "Under 14 (age band): 1.9% of people proposed against 0.4% of everyone with " \
           "offender harm, 5.53 times their share (95% interval 2.90 to 10.55)" in body
    assert "The panel should consider" in body
    # 6 and 3 are hidden, and so is the male row, which would give them away from the totals
    section = body.split('id="disproportionality"')[1].split('id="caveats"')[0]
    section = section[section.index("<table"):]
    assert section.count("fewer than 10") == 4 and section.count("withheld") == 2
    assert "5966" not in section and "5,966" not in section

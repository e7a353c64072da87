"""The evaluation page's designs that compare over calendar months (issue 15):
difference-in-differences against people scored but never accepted, and the synthetic
control of the accepted groups against the run's other groups, on cohorts whose answer is
known by construction (offending falling to a quarter, or not changing)."""

from datetime import timedelta

from django.utils import timezone

from deter.web.models import CohortDecision, CohortGroup
from deter.web.queries import evaluation_comparisons as comparisons
from deter.web.queries import programme_evaluation as query

from .factories import make_run
from .test_programme_evaluation import ACCEPTED_DAYS_AGO, build, evaluation_url, offends, plant


def test_calendar_months_the_data_cover_whole():
    from datetime import date
    assert comparisons.complete_months(date(2024, 1, 1), date(2024, 3, 31)) == (
        2024 * 12, 2024 * 12 + 2)
    assert comparisons.complete_months(date(2024, 1, 2), date(2024, 3, 30)) == (
        2024 * 12 + 1, 2024 * 12 + 1)
    assert comparisons.month_label(2024 * 12 + 1) == "Feb 2024"


def test_did_finds_the_fall_against_people_who_kept_offending(world):
    planted = plant(world, controls=30)
    result = build(planted, design="did")
    d = result.did
    assert d is not None, result.did_error
    assert d.n_treated == 12 and d.n_control == 30 and d.cohorts == 1
    # the cohort offends in one month in five after, the comparison in four in five: an
    # effect of about -0.6 offences a person a month
    low, high = d.simple.ci()
    assert high < 0 and -0.8 < d.simple.att < -0.4
    ratio, ratio_low, ratio_high = result.estimate
    assert ratio_high < 1 and 0.1 < ratio < 0.45
    # both offended alike before: parallel trends hold, and no warning says otherwise
    pre = d.pre_trend
    assert abs(pre.att) < 1.96 * pre.se
    assert "parallel_trends" not in {w.key for w in result.warnings}
    assert "wholly below no change" in query.headline(result)[1]
    keys = [t.key for t in query.tables(result)]
    assert keys[:2] == ["did", "event_study"]


def test_did_with_no_change_has_an_interval_containing_zero(world):
    unchanged = lambda i, m: offends(2 * i + 1, m)  # noqa: E731
    d = build(plant(world, controls=30, after=unchanged, control_after=unchanged),
              design="did").did
    low, high = d.simple.ci()
    assert low < 0 < high


def test_did_warns_when_the_cohort_was_already_rising(world):
    # the selection peak: the cohort offends every month of the year before acceptance, the
    # comparison four months in five throughout
    peak = lambda i, k: k < 12 or not offends(i, k)  # noqa: E731
    result = build(plant(world, controls=30, before=peak), design="did")
    assert "parallel_trends" in {w.key for w in result.warnings}


def test_did_without_anyone_to_compare_with_says_so(world):
    result = build(plant(world), design="did")
    assert result.did is None and "no one to compare with" in result.did_error


def grouped(world, planted, accepted_labels=("T0", "T1", "T2")):
    """A newer run finding the cohort as three groups of four and the comparison as ten of
    three, and the panel's acceptance of the cohort's groups on the day it accepted them."""
    group_of = {p.person_id: f"T{i % 3}" for i, p in enumerate(planted.people)}
    group_of |= {p.person_id: f"C{j % 10}" for j, p in enumerate(planted.controls)}
    make_run([*planted.people, *planted.controls], group_of=group_of)
    for label in accepted_labels:
        group = CohortGroup.objects.create(programme=world.programme, label=label,
                                           status="active")
        decision = CohortDecision.objects.create(group=group, from_status="proposed",
                                                 to_status="active", reason="Agreed",
                                                 decided_by=world.coordinator)
        CohortDecision.objects.filter(pk=decision.pk).update(
            decided_at=timezone.now() - timedelta(days=ACCEPTED_DAYS_AGO))


def test_synthetic_control_finds_the_accepted_groups_fall(world):
    planted = plant(world, controls=30)
    grouped(world, planted)
    result = build(planted, design="synthetic")
    s = result.synthetic
    assert s is not None, result.synthetic_error
    assert s.treated_groups == 3 and s.treated_members == 12 and s.donors_considered == 10
    assert abs(sum(s.fit.weights) - 1) < 1e-6
    # the groups offended as the donors did before and at a quarter of the rate after
    assert s.ratio < 0.5
    # every donor kept offending: the accepted groups rank first of eleven
    assert s.p_value == 1 / 11
    assert "poor_fit" not in {w.key for w in result.warnings}
    assert [t.key for t in query.tables(result)][:2] == ["synthetic", "synthetic_path"]
    assert "placebo-in-space p = 0.091" in query.headline(result)[1]


def test_synthetic_control_with_no_change_is_not_significant(world):
    unchanged = lambda i, m: offends(2 * i + 1, m)  # noqa: E731
    planted = plant(world, controls=30, after=unchanged, control_after=unchanged)
    grouped(world, planted)
    s = build(planted, design="synthetic").synthetic
    assert 0.6 < s.ratio < 1.6
    assert s.p_value > 0.2


def test_synthetic_control_needs_an_accepted_group_the_run_found(world):
    planted = plant(world, controls=30)
    grouped(world, planted, accepted_labels=("NOT-FOUND",))
    result = build(planted, design="synthetic")
    assert result.synthetic is None
    assert "accepted no group that the programme's current analysis run found" in (
        result.synthetic_error)


def test_each_design_is_on_the_page_and_names_no_group(client, world):
    planted = plant(world, controls=30)
    grouped(world, planted)
    client.force_login(planted.evaluator)
    did_page = client.get(evaluation_url(world, design="did")).content.decode()
    synthetic_page = client.get(evaluation_url(world, design="synthetic")).content.decode()
    assert 'id="table-event_study"' in did_page and "table-synthetic" not in did_page
    assert 'id="table-synthetic_path"' in synthetic_page
    for label in ("T0", "T1", "C0", "C9"):
        assert f">{label}<" not in synthetic_page


def test_the_evaluator_alone_is_not_offered_the_cohort_meetings_or_actions(client, world):
    planted = plant(world, pre=6, post=4)
    nav = ('href="/cohort/"', 'href="/meetings/"', 'href="/actions/"')
    client.force_login(planted.evaluator)
    page = client.get(evaluation_url(world)).content.decode()
    assert 'href="/evaluation/"' in page
    assert not any(link in page for link in nav)
    client.force_login(world.coordinator)
    page = client.get(evaluation_url(world)).content.decode()
    assert all(link in page for link in nav)

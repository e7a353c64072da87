"""A programme's evaluation page (issue 15) on cohorts whose answers are known by
construction: offending that falls to a quarter after acceptance, offending that does not
change, delivery counted by hand, and each warning present exactly when its condition holds;
who may see it (the coordinator and the evaluator under the evaluation agreement, everyone
else the 404 of a missing programme), that it names nobody, and its HTML and PDF."""

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from deter.web import policy
from deter.web.models import (
    Agency,
    AuditEvent,
    CohortDecision,
    CohortEntry,
    CohortGroup,
    Event,
    GroupViolenceFlag,
    Intervention,
    InterventionUpdate,
    Involvement,
    Person,
    PersonScore,
    StaffRole,
)
from deter.web.queries import programme_evaluation as query

from .factories import OFFENCE_CODES, make_agency, make_agreement, make_person, make_run, make_user

Role = StaffRole.Role
MONTH = 365.25 / 12
ACCEPTED_DAYS_AGO = 365
CATEGORIES = ("violence and sexual offences", "burglary", "robbery")


def offends(i: int, m: int) -> bool:
    """Person ``i`` offends in month ``m`` in four months of five (a fixed, uneven pattern)."""
    return (7 * i + 3 * m) % 5 != 0


@dataclass
class Planted:
    world: object
    evaluator: object
    people: list[Person]
    entries: list[CohortEntry]
    controls: list[Person]
    accepted_on: date


def _events(person: Person, tag: str, days_ago: list[float], role: str = "suspect") -> None:
    now = timezone.now()
    events = Event.objects.bulk_create(
        Event(event_id=f"{tag}-{person.person_id}-{n}", occurred_at=now - timedelta(days=d),
              offence_category=CATEGORIES[n % 3], offence_code=OFFENCE_CODES[CATEGORIES[n % 3]])
        for n, d in enumerate(days_ago))
    Involvement.objects.bulk_create(Involvement(event=e, person=person, role=role)
                                    for e in events)


def _history(i: int, pre: int, post: int, after, before=offends) -> list[float]:
    """Days ago of person ``i``'s offences: ``pre`` months before acceptance (by
    ``before``, month 0 the last before acceptance) and ``post`` months after (by
    ``after``)."""
    days = [ACCEPTED_DAYS_AGO + 15 + MONTH * k for k in range(pre) if before(i, k)]
    days += [ACCEPTED_DAYS_AGO - 15 - MONTH * m for m in range(post) if after(i, m)]
    return days


def accept(entry: CohortEntry, by, days_ago: int = ACCEPTED_DAYS_AGO) -> None:
    decision = CohortDecision.objects.create(entry=entry, from_status="proposed",
                                             to_status="active", reason="Agreed",
                                             decided_by=by)
    CohortDecision.objects.filter(pk=decision.pk).update(
        decided_at=timezone.now() - timedelta(days=days_ago))


def plant(world, n: int = 12, *, pre: int = 24, post: int = 12, after=None, controls: int = 0,
          control_after=offends, control_before: bool = True, before=offends) -> Planted:
    """``n`` people accepted a year ago with offending in four months of five for ``pre``
    months before; ``after`` (default: one month in five, a quarter of the rate) decides the
    months after; ``controls`` people scored by the current run and never accepted, offending
    as the cohort did before and by ``control_after`` after."""
    after = after or (lambda i, m: not offends(i, m))
    university = make_agency("Testshire University", Agency.Kind.COMMUNITY)
    make_agreement(world.programme, {university: ()}, purpose="evaluation",
                   title="Evaluating the knife crime programme")
    evaluator = make_user("evaluator", university, Role.EVALUATOR)
    # the extract begins on the first day of the pre-period (someone else's offence)
    _events(make_person("X-START"), "X", [ACCEPTED_DAYS_AGO + MONTH * pre + 1])
    people, entries = [], []
    for i in range(n):
        person = make_person(f"T-{i:03}", age=16 + i % 6)
        _events(person, "T", _history(i, pre, post, after, before))
        entry = CohortEntry.objects.create(
            programme=world.programme, person=person, status="active", rationale="planted",
            review_date=timezone.localdate() + timedelta(days=90))
        accept(entry, world.coordinator)
        people.append(person)
        entries.append(entry)
    others = []
    for j in range(controls):
        person = make_person(f"C-{j:03}", age=16 + j % 6)
        # offending as the cohort's does, a month out of step
        _events(person, "C", _history(j + 3, pre if control_before else 0, post,
                                      control_after))
        others.append(person)
    make_run([*people, *others])  # the newest complete run: the programme's current one
    return Planted(world, evaluator, people, entries, others,
                   timezone.localdate() - timedelta(days=ACCEPTED_DAYS_AGO))


def evaluation_url(world, name: str = "programme_evaluation", **query) -> str:
    url = reverse(name, args=[world.programme.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def build(planted: Planted, **options) -> query.Evaluation:
    return query.build(planted.evaluator, planted.world.programme, **options)


# --- the estimates -----------------------------------------------------------------------------


def test_offending_falling_to_a_quarter_gives_a_rate_ratio_well_below_one(world):
    planted = plant(world)
    result = build(planted)
    assert result.accepted == 12
    assert result.pre_months == 24 and result.post_months == 12
    # by construction: 4 months in 5 before, 1 in 5 after
    before = sum(m.offences for m in result.series if m.month < 0)
    after = sum(m.offences for m in result.series if m.month >= 0)
    assert before == sum(offends(i, k) for i in range(12) for k in range(24))
    assert after == sum(not offends(i, m) for i in range(12) for m in range(12))
    ratio = result.its.post_period
    assert 0.15 < ratio.estimate < 0.4
    assert ratio.ci_high < 1
    assert "wholly below no change" in query.headline(result)[1]


def test_offending_that_does_not_change_gives_an_interval_containing_one(world):
    planted = plant(world, after=offends)
    ratio = build(planted).its.post_period
    assert ratio.ci_low < 1 < ratio.ci_high
    assert 0.8 < ratio.estimate < 1.25


def test_the_matched_cohort_finds_the_fall_and_its_balance(world):
    planted = plant(world, controls=30)
    result = build(planted, design="matched")
    m = result.matched
    assert m is not None, result.matched_error
    assert m.n_treated == 12 and m.n_controls == 30
    assert m.n_treated_matched >= 8
    # the cohort offends in one month of five after, the comparison in four of five
    assert m.effect.ci_high < 0
    assert m.treated_after < m.control_after
    assert [b.covariate for b in m.balance] == ["prior_harm", "prior_violence", "age"]
    # both were selected the same way: as often before acceptance, so no regression to
    # the mean here
    assert abs(m.treated_before - m.control_before) < 1.5


def test_a_matched_cohort_with_no_change_has_an_interval_containing_zero(world):
    # the same rate after, cohort and comparison, in a pattern unrelated to before
    unchanged = lambda i, m: offends(2 * i + 1, m)  # noqa: E731
    planted = plant(world, controls=30, after=unchanged, control_after=unchanged)
    m = build(planted, design="matched").matched
    assert m.effect.ci_low < 0 < m.effect.ci_high


def test_the_comparison_pool_is_the_highest_ranked_not_accepted(world, monkeypatch):
    planted = plant(world, controls=30)
    monkeypatch.setattr(query, "CONTROL_POOL", 25)
    run = policy.runs.current(world.programme)
    ranked = list(PersonScore.objects.filter(run=run).exclude(person__in=planted.people)
                  .order_by("rank").values_list("person_id", flat=True))
    controls, _ = query._controls(world.programme, {p.pk: None for p in planted.people})
    assert controls == ranked[:25]
    assert build(planted, design="matched").matched.n_controls == 25


def test_without_anyone_to_compare_with_the_matched_design_says_so(world):
    planted = plant(world)
    result = build(planted, design="matched")
    assert result.matched is None
    assert "no one to compare with" in result.matched_error


def test_a_comparison_group_that_does_not_overlap_is_refused_not_matched(world):
    # nobody outside the cohort offended before: a propensity model separates them
    planted = plant(world, controls=30, control_before=False)
    result = build(planted, design="matched")
    assert result.matched is None
    assert "do not overlap" in result.matched_error


def test_a_flat_pre_period_passes_the_placebo_test(world):
    result = build(plant(world))
    assert result.placebo.ci_low < 1 < result.placebo.ci_high
    assert "placebo" not in {w.key for w in result.warnings}


def test_offending_rising_before_acceptance_fails_the_placebo_test(world):
    # the selection peak: every month in the year before acceptance, one in five before that
    peak = lambda i, k: k < 12 or not offends(i, k)  # noqa: E731
    result = build(plant(world, before=peak))
    assert result.placebo.ci_low > 1  # a rise at the false acceptance, a year before
    assert "placebo" in {w.key for w in result.warnings}
    assert "Placebo: a false acceptance" in query.tables(result)[0].rows[7][0]


def test_the_evidence_base_and_the_minimum_detectable_effect(world):
    planted = plant(world)
    result = build(planted)
    assert result.model == "individual"  # no group accepted
    assert result.evidence_ratio < 1 and not result.evidence_verified
    assert {f.model for f in result.evidence} == {"overall", "individual"}
    assert result.mde is not None and 0 < result.mde.rate_ratio < 1
    overall = build(planted, model="overall")
    assert overall.evidence_ratio == pytest.approx(0.67) and overall.evidence_verified
    lines = query.comparison_lines(overall)
    assert "whose interval excludes the evidence base's figure" in lines[1]


# --- trajectories: regression to the mean, groups -----------------------------------------------


def _comparison_after(result) -> float:
    after = [m for m in result.comparison if m.month >= 0]
    return sum(m.offences for m in after) / sum(m.people for m in after)


def _comparison_before(result) -> float:
    before = [m for m in result.comparison if m.month < 0]
    return sum(m.offences for m in before) / sum(m.people for m in before)


def test_a_comparison_that_falls_as_far_shows_regression_to_the_mean(world):
    falls = plant(world, controls=20, control_after=lambda i, m: not offends(i, m))
    result = build(falls)
    assert result.comparison_kind == "scored"
    assert {m.people for m in result.comparison} == {20}
    # four months in five before, one in five after: the comparison fell as the cohort did
    assert _comparison_before(result) == pytest.approx(0.8, abs=0.05)
    assert _comparison_after(result) == pytest.approx(0.2, abs=0.05)
    assert "Comparison: offences a person" in query.tables(result)[1].headers


def test_a_comparison_that_keeps_offending_stays_where_it_was(world):
    result = build(plant(world, controls=20))
    assert _comparison_before(result) == pytest.approx(0.8, abs=0.05)
    assert _comparison_after(result) == pytest.approx(0.8, abs=0.05)


def test_the_comparison_is_those_the_run_proposed_when_there_are_any(world):
    planted = plant(world, controls=20)
    run = policy.runs.current(world.programme)
    PersonScore.objects.filter(run=run, person__in=planted.controls[:7]).update(proposed=True)
    result = build(planted)
    assert result.comparison_kind == "proposed"
    assert max(m.people for m in result.comparison) == 7


def test_groups_before_and_after_each_event_once_and_unnamed(client, world):
    planted = plant(world)
    first = CohortGroup.objects.create(programme=world.programme, label="G-SECRET",
                                       name="Northside Secret", status="active")
    second = CohortGroup.objects.create(programme=world.programme, label="G-OTHER",
                                        status="active")
    for entry in planted.entries[:4]:
        entry.group = first
        entry.save(update_fields=["group"])
    for entry in planted.entries[4:6]:
        entry.group = second
        entry.save(update_fields=["group"])
    shared = Event.objects.create(event_id="SHARED", offence_category="robbery",
                                  offence_code=OFFENCE_CODES["robbery"],
                                  occurred_at=timezone.now() - timedelta(days=200))
    Involvement.objects.bulk_create(Involvement(event=shared, person=p, role="suspect")
                                    for p in planted.people[:2])
    groups = build(planted).group_trajectories
    assert [(g.label, g.members) for g in groups] == [("Group 1", 4), ("Group 2", 2)]
    before = sum(offends(i, k) for i in range(4) for k in range(12))
    after = sum(not offends(i, m) for i in range(4) for m in range(12))
    assert (groups[0].offences_before, groups[0].offences_after) == (before, after + 1)
    assert groups[1].offences_before == sum(offends(i, k) for i in (4, 5) for k in range(12))
    assert groups[0].harm_before > groups[0].harm_after > 0
    client.force_login(planted.evaluator)
    content = client.get(evaluation_url(world)).content.decode()
    assert "Cohort groups before and after acceptance" in content
    assert "Northside Secret" not in content and "G-SECRET" not in content


# --- fidelity ----------------------------------------------------------------------------------


def _intervention(world, person, kind, category, updates, group=None) -> Intervention:
    made = Intervention.objects.create(
        programme=world.programme, person=person, group=group, kind=kind, category=category,
        title=category, agency=world.police, status=updates[-1][0] if updates else "planned",
        created_by=world.coordinator)
    for status, day in updates:
        InterventionUpdate.objects.create(intervention=made, status=status, on=day,
                                          recorded_by=world.coordinator)
    return made


@pytest.fixture
def delivered(world):
    """Twelve people accepted a year ago, three offences each before; by hand: support for
    six, taken up by three; a consequence on four plans; letters sent to three people and a
    call-in held for a group of two (announced: five); an ABA in force for two. After
    acceptance: person 0's violence answered by the ABA 4 days later, person 10's by the
    group's flag 6 days later, person 2's not at all."""
    planted = plant(world, pre=3, post=0)
    people, acc = planted.people, planted.accepted_on
    day = lambda n: acc + timedelta(days=n)  # noqa: E731
    group = CohortGroup.objects.create(programme=world.programme, label="GX", status="active")
    for entry in planted.entries[10:]:
        entry.group = group
        entry.save(update_fields=["group"])
    for i, entry in enumerate(planted.entries[:4]):
        entry.enforcement_consequence = f"consequence {i}"
        entry.save(update_fields=["enforcement_consequence"])
    for i in range(6):
        taken = [("referred", day(1)), ("accepted", day(2)), ("engaged", day(3))]
        _intervention(world, people[i], "support", "mentoring",
                      taken if i < 3 else [("referred", day(1))])
    for i in range(3):
        _intervention(world, people[i], "communication", "letter", [("completed", day(5))])
    _intervention(world, None, "communication", "call_in", [("completed", day(20))],
                  group=group)
    for i in range(2):
        _intervention(world, people[i], "enforcement", "aba", [("active", day(34))])
    for i, after in ((0, 30), (10, 100), (2, 90)):
        _events(people[i], f"V{i}", [ACCEPTED_DAYS_AGO - after])
    violent = Event.objects.get(event_id=f"V10-{people[10].person_id}-0")
    GroupViolenceFlag.objects.create(group=group, event=violent, person=people[10],
                                     status="done", responded_by=world.coordinator,
                                     responded_at=timezone.now() - timedelta(
                                         days=ACCEPTED_DAYS_AGO - 106))
    return planted


def test_fidelity_counted_by_hand(world, delivered):
    fid = build(delivered).fidelity
    assert (fid.accepted, fid.support_offered, fid.support_taken_up) == (12, 6, 3)
    assert (fid.consequence_on_plan, fid.consequence_announced,
            fid.consequence_applied) == (4, 5, 2)
    assert (fid.violent_after, fid.responded) == (3, 2)
    assert sorted(fid.days_to_response) == [4, 6]
    assert fid.median_days == 5


def test_the_page_shows_the_shares_and_the_median(client, world, delivered):
    client.force_login(delivered.evaluator)
    content = client.get(evaluation_url(world)).content.decode()
    for share in ("50%", "25%", "33%", "42%", "17%"):
        assert f'<td class="govuk-table__cell">{share}</td>' in content
    assert "Median days from violence to response</th>" in content
    assert '<td class="govuk-table__cell">5.0</td>' in content


# --- warnings ----------------------------------------------------------------------------------


def keys(result) -> set[str]:
    return {w.key for w in result.warnings}


def test_few_people_and_a_short_pre_period_are_warned(world):
    result = build(plant(world, n=12, pre=6, post=6))
    assert {"few_people", "short_pre_period", "regression_to_the_mean",
            "displacement"} <= keys(result)
    assert result.pre_months == 6


def test_twenty_people_and_two_years_before_raise_neither(world):
    result = build(plant(world, n=20, pre=24, post=4))
    assert result.accepted == 20
    # nobody took up support: that warning holds, the other two always do
    assert keys(result) == {"regression_to_the_mean", "displacement", "low_fidelity"}


def test_other_programmes_and_groups_are_warned_only_when_they_apply(world):
    planted = plant(world, pre=6, post=4)
    assert not {"other_programmes", "spillover"} & keys(build(planted))
    other = CohortEntry.objects.create(
        programme=world.police_only_programme, person=planted.people[0], status="active",
        rationale="also here", review_date=timezone.localdate())
    accept(other, world.coordinator)
    group = CohortGroup.objects.create(programme=world.programme, label="GX", status="active")
    planted.entries[1].group = group
    planted.entries[1].save(update_fields=["group"])
    assert {"other_programmes", "spillover"} <= keys(build(planted))


def test_low_take_up_of_support_warns_that_a_null_may_be_non_delivery(world, delivered):
    assert "low_fidelity" in keys(build(delivered))  # three of twelve
    for person in delivered.people[3:9]:
        _intervention(world, person, "support", "education",
                      [("referred", delivered.accepted_on), ("engaged", delivered.accepted_on)])
    assert "low_fidelity" not in keys(build(delivered))  # nine of twelve


# --- who sees it, what it shows, the audit trail -----------------------------------------------


@pytest.mark.parametrize("who", ["evaluator", "coordinator"])
def test_the_evaluator_and_the_coordinator_see_it_audited(client, world, who):
    planted = plant(world, pre=6, post=4)
    user = planted.evaluator if who == "evaluator" else world.coordinator
    client.force_login(user)
    response = client.get(evaluation_url(world, design="its"))
    assert response.status_code == 200
    assert b'id="estimate"' in response.content
    row = AuditEvent.objects.get(action="view_programme_evaluation", actor=user)
    assert row.outcome == "allowed" and row.detail["design"] == "its"
    assert row.detail["accepted"] == 12


@pytest.mark.parametrize("who", ["analyst", "caseworker", "partner", "stranger", "superuser",
                                 "other evaluator"])
def test_everyone_else_gets_the_404_of_a_missing_programme(client, world, who):
    plant(world, pre=6, post=4)
    user = (make_user("elsewhere", world.housing, Role.EVALUATOR) if who == "other evaluator"
            else getattr(world, who))
    client.force_login(user)
    for name in ("programme_evaluation", "programme_evaluation_pdf",
                 "programme_evaluation_html"):
        hidden = client.get(evaluation_url(world, name))
        missing = client.get(reverse(name, args=[999_999]))
        assert hidden.status_code == missing.status_code == 404
    assert AuditEvent.objects.filter(actor=user, outcome="denied",
                                     action="view_programme_evaluation").count() == 2
    assert not AuditEvent.objects.filter(actor=user, outcome="allowed",
                                         action__contains="programme_evaluation").exists()


def test_the_page_names_nobody(client, world):
    planted = plant(world, controls=30)
    client.force_login(planted.evaluator)
    for design in ("its", "matched"):
        content = client.get(evaluation_url(world, design=design)).content.decode()
        assert "Balance of the matched cohort" in content or design == "its"
        for person in [*planted.people, *planted.controls, world.active]:
            assert person.person_id not in content
            assert f"{person.date_of_birth:%d %B %Y}" not in content
            assert f"/people/{person.pk}/" not in content


def test_switching_design_shows_the_balance_table(client, world):
    planted = plant(world, controls=30)
    client.force_login(planted.evaluator)
    its_page = client.get(evaluation_url(world)).content.decode()
    matched_page = client.get(evaluation_url(world, design="matched")).content.decode()
    assert "Post-period rate ratio" in its_page and "table-balance" not in its_page
    assert 'id="table-balance"' in matched_page and "Post-period rate ratio" not in matched_page


def test_an_unknown_design_is_an_error_on_the_field(client, world):
    planted = plant(world, pre=6, post=4)
    client.force_login(planted.evaluator)
    response = client.get(evaluation_url(world, design="astrology"))
    assert response.status_code == 400
    assert b"govuk-error-summary" in response.content


def test_the_overview_links_to_it_for_those_who_may_see_it(client, world):
    plant(world, pre=6, post=4)
    link = evaluation_url(world).encode()
    client.force_login(world.coordinator)
    assert link in client.get(reverse("programme", args=[world.programme.pk])).content
    client.force_login(world.analyst)
    assert link not in client.get(reverse("programme", args=[world.programme.pk])).content


# --- the exports -------------------------------------------------------------------------------


def test_the_pdf_has_the_report_and_is_audited(client, world):
    planted = plant(world, controls=30)
    client.force_login(planted.evaluator)
    response = client.get(evaluation_url(world, "programme_evaluation_pdf", design="matched"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert "evaluation-matched.pdf" in response["Content-Disposition"]
    row = AuditEvent.objects.get(action="download_programme_evaluation", actor=planted.evaluator)
    assert row.detail["format"] == "pdf" and row.detail["design"] == "matched"


def test_the_html_is_self_contained_with_its_charts_and_methods(client, world):
    planted = plant(world)
    client.force_login(planted.evaluator)
    response = client.get(evaluation_url(world, "programme_evaluation_html"))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    html = response.content.decode()
    assert "<h2" in html and ">Methods</h2>" in html
    assert 'src="data:image/svg+xml;base64,' in html  # the series chart, inline
    assert "<link" not in html and "<script" not in html
    assert "T-000" not in html
    assert AuditEvent.objects.filter(action="download_programme_evaluation",
                                     detail__format="html").count() == 1


def test_the_page_asks_as_many_queries_for_a_larger_cohort(client, world):
    planted = plant(world, n=10, pre=6, post=4, controls=12)
    client.force_login(planted.evaluator)

    def queries(design: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(evaluation_url(world, design=design)).status_code == 200
        return len(captured)

    small = {design: queries(design) for design in ("its", "matched")}
    for i in range(10, 25):
        person = make_person(f"T-{i:03}", age=17)
        _events(person, "T", _history(i, 6, 4, offends))
        entry = CohortEntry.objects.create(
            programme=world.programme, person=person, status="active", rationale="more",
            review_date=timezone.localdate())
        accept(entry, world.coordinator)
    assert {design: queries(design) for design in ("its", "matched")} == small


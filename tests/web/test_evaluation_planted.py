"""The planted programme (``deter synth --programme-groups``) found through the evaluation
page: the synthetic county's groups and their members' offending imported, a run finding the
true groups, the panel accepting the treated groups and their members on the programme's start
day, and each design run as the evaluator would run it. The exact counterfactual is known
(``PlantedProgramme.removed``: every violent event the programme prevented), so each design's
estimate is checked against the true effect in this sample, not only its expectation."""

import datetime as dt
import functools

import polars as pl
import pytest
from django.utils import timezone

from deter.analysis.extract import OFFENDING_ROLES, Extract
from deter.analysis.synth import END_DATE, synthesise
from deter.analysis.synth.programme import plant_programme
from deter.web.ingest.importer import load_extract
from deter.web.models import (
    Agency,
    CohortDecision,
    CohortEntry,
    CohortGroup,
    Person,
    StaffRole,
)
from deter.web.queries import programme_evaluation as query

from .factories import make_agency, make_agreement, make_run, make_user

pytestmark = [pytest.mark.slow, pytest.mark.backend_independent, pytest.mark.postgresql_pass]
RATE_RATIO = 0.6
SEED = 1


@functools.cache
def _planted():
    county = synthesise(seed=SEED, scale="county")
    return plant_programme(county, groups=8, rate_ratio=RATE_RATIO, seed=SEED)


def _on(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


def _import_groups(county, truth):
    """Every true group member with their offending, and a run that finds the true groups."""
    members = county.truth_memberships.select("person_id", "group_id").unique("person_id")
    people = members["person_id"]
    offending = county.extract.involvements.filter(
        pl.col("person_id").is_in(people.implode()) & pl.col("role").is_in(OFFENDING_ROLES))
    load_extract(Extract.from_frames(
        people=county.extract.people.filter(pl.col("person_id").is_in(people.implode())),
        events=county.extract.events.filter(
            pl.col("event_id").is_in(offending["event_id"].unique().implode())),
        involvements=offending), source="the planted programme")
    group_of = dict(members.iter_rows())
    make_run(Person.objects.filter(person_id__in=list(group_of)), group_of=group_of)
    return group_of


def _accept(world, truth, group_of):
    start = _on(truth.start)
    for label in truth.treated_groups:
        group = CohortGroup.objects.create(programme=world.programme, label=label,
                                           status="active")
        CohortDecision.objects.create(group=group, from_status="proposed", to_status="active",
                                      reason="Agreed", decided_by=world.coordinator,
                                      decided_at=start)
    treated = [p for p, g in group_of.items() if g in truth.treated_groups]
    for person in Person.objects.filter(person_id__in=treated):
        entry = CohortEntry.objects.create(programme=world.programme, person=person,
                                           status="active", rationale="planted",
                                           review_date=truth.start)
        CohortDecision.objects.create(entry=entry, from_status="proposed", to_status="active",
                                      reason="Agreed", decided_by=world.coordinator,
                                      decided_at=start)
    return treated


def _true_effect(county, truth, treated) -> tuple[float, float]:
    """The treated members' offending after the start, observed and as it would have been
    (the removed events' offending involvements added back): ATT a person a month, and the
    rate ratio."""
    involvements = county.extract.involvements.filter(
        pl.col("person_id").is_in(treated) & pl.col("role").is_in(OFFENDING_ROLES))
    events = county.extract.events.select(
        "event_id", pl.col("occurred_at").dt.date().alias("day"))
    after = involvements.join(events, on="event_id").filter(
        (pl.col("day") >= truth.start) & (pl.col("day") <= END_DATE))
    removed = after.join(truth.removed.select("event_id"), on="event_id").height
    observed = after.height - removed
    months = (END_DATE.year * 12 + END_DATE.month) - (truth.start.year * 12 + truth.start.month) + 1
    return -removed / len(treated) / months, observed / (observed + removed)


@pytest.fixture
def planted_world(world):
    county, truth = _planted()
    group_of = _import_groups(county, truth)
    treated = _accept(world, truth, group_of)
    university = make_agency("Testshire University", Agency.Kind.COMMUNITY)
    make_agreement(world.programme, {university: ()}, purpose="evaluation",
                   title="Evaluating the planted programme")
    evaluator = make_user("evaluator", university, StaffRole.Role.EVALUATOR)
    return world, evaluator, truth, treated


def _evaluate(planted_world, design: str) -> query.Evaluation:
    world, evaluator, _, _ = planted_world
    return query.build(evaluator, world.programme, design=design, today=END_DATE)


def test_each_design_finds_the_planted_effect(planted_world):
    _, _, truth, treated = planted_world
    # the county before planting holds every event the programme removed
    true_att, true_ratio = _true_effect(synthesise(seed=SEED, scale="county"), truth, treated)
    assert -0.07 < true_att < -0.05 and 0.75 < true_ratio < 0.85  # offences, not only violence
    its = _evaluate(planted_world, "its").its.post_period
    assert its.ci_low <= true_ratio <= its.ci_high
    did = _evaluate(planted_world, "did").did
    low, high = did.simple.ci()
    assert low <= true_att <= high and high < 0
    assert did.n_treated == len(treated)
    synthetic = _evaluate(planted_world, "synthetic").synthetic
    assert synthetic.treated_groups == len(truth.treated_groups)
    assert abs(synthetic.ratio - true_ratio) < 0.15
    matched = _evaluate(planted_world, "matched").matched
    assert matched.effect.estimate < 0


def test_with_no_programme_the_difference_in_differences_finds_nothing(world):
    county = synthesise(seed=SEED, scale="county")
    _, truth = plant_programme(county, groups=8, rate_ratio=1.0, seed=SEED)
    group_of = _import_groups(county, truth)
    _accept(world, truth, group_of)
    university = make_agency("Testshire University", Agency.Kind.COMMUNITY)
    make_agreement(world.programme, {university: ()}, purpose="evaluation",
                   title="Evaluating the planted programme")
    evaluator = make_user("evaluator", university, StaffRole.Role.EVALUATOR)
    did = query.build(evaluator, world.programme, design="did", today=END_DATE).did
    low, high = did.simple.ci()
    assert low < 0 < high

"""Stored analysis runs: complete explanations, and nothing visible from a failed run."""

import importlib
import math

import pytest

from deter.analysis.synth import synthesise
from deter.web.ingest.importer import load_extract
from deter.web.ingest.runs import TOP_EVENTS, run_analysis
from deter.web.models import AnalysisRun, PersonScore

pytestmark = pytest.mark.django_db


@pytest.fixture
def imported():
    load_extract(synthesise(seed=3, scale="small").extract, source="synthetic small")


def side_sum(explanation, side):
    return sum(item["contribution"] for item in explanation if item["side"] == side)


def test_every_stored_explanation_adds_up_to_its_scores(imported):
    run, result = run_analysis()
    assert run.status == AnalysisRun.Status.COMPLETE
    scores = list(PersonScore.objects.filter(run=run))
    assert len(scores) == result.people.height
    for score in scores:
        assert math.isclose(side_sum(score.explanation, "offender"), score.harm_score,
                            rel_tol=1e-9, abs_tol=1e-9), score.person_id
        assert math.isclose(side_sum(score.explanation, "victim"), score.victim_harm_score,
                            rel_tol=1e-9, abs_tol=1e-9), score.person_id
    prolific = max(scores, key=lambda s: len(s.explanation))
    assert len(prolific.explanation) == prolific.offence_count + prolific.victimisation_count
    contributions = [item["contribution"] for item in prolific.explanation]
    assert contributions == sorted(contributions, reverse=True)
    # lists read only the top events: the largest offender-side items, in order
    offender = [item for item in prolific.explanation if item["side"] == "offender"]
    assert prolific.top_events == offender[:TOP_EVENTS] and len(offender) > TOP_EVENTS


def test_the_migration_fills_the_top_events_of_scores_stored_before_them(imported):
    from django.apps import apps

    fill = importlib.import_module(
        "deter.web.migrations.0004_person_score_top_events").fill_top_events
    run, _ = run_analysis()
    stored = {s.pk: s.top_events for s in PersonScore.objects.filter(run=run)}
    PersonScore.objects.update(top_events=[])
    fill(apps, None)
    assert {s.pk: s.top_events for s in PersonScore.objects.filter(run=run)} == stored
    assert any(stored.values())


def test_a_run_that_fails_part_way_stores_nothing_and_is_marked_failed(imported, monkeypatch):
    import deter.web.ingest.runs as runs

    def broken(run, result):
        PersonScore.objects.create(run=run, person_id=1, harm_score=1, victim_harm_score=0,
                                   rank=1)
        raise RuntimeError("killed while storing")

    monkeypatch.setattr(runs, "_store", broken)
    with pytest.raises(RuntimeError):
        run_analysis()
    run = AnalysisRun.objects.get()
    assert run.status == AnalysisRun.Status.FAILED
    assert not PersonScore.objects.exists()


def test_a_run_stores_the_problem_profile_the_web_app_shows(imported):
    from deter.web.models import PlaceScore, RelationScore

    run, result = run_analysis()
    assert RelationScore.objects.filter(run=run).count() == result.relations.height > 0
    mapped = result.places.filter(result.places["place_kind"].is_in(["grid", "lsoa"]))
    assert PlaceScore.objects.filter(run=run).count() == mapped.height > 0
    proposed = set(result.people.filter(result.people["proposed"])["person_id"])
    stored = set(PersonScore.objects.filter(run=run, proposed=True)
                 .values_list("person__person_id", flat=True))
    assert stored == proposed and proposed
    every = PersonScore.objects.filter(run=run, proposed=True)
    assert all(score.criteria_met for score in every)  # nobody proposed on no criterion
    rivalry = RelationScore.objects.filter(run=run, relation="rivalry").order_by("-weight")[0]
    assert len(rivalry.evidence) == rivalry.events
    assert set(run.profile) >= {"concentration", "hour_weekday", "trend", "disproportionality"}
    assert len(run.profile["hour_weekday"]) == 7 * 24

"""Stored analysis runs: complete explanations, and nothing visible from a failed run."""

import importlib
import math
import os
import signal
import socket
import subprocess
import sys

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
    assert run.failure == "RuntimeError: killed while storing"
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


@pytest.fixture
def scratch_database(tmp_path):
    """A database of its own for processes started by a test: a SQLite file, or on PostgreSQL
    (when the suite runs there) a scratch database on the same server, dropped afterwards."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        yield f"sqlite:///{tmp_path}/deter.sqlite3"
        return
    import psycopg

    base, _, _ = url.rpartition("/")
    name = f"deter_runs_kill_{os.getpid()}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as server:
        server.execute(f'DROP DATABASE IF EXISTS "{name}"')
        server.execute(f'CREATE DATABASE "{name}"')
    yield f"{base}/{name}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as server:
        server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.django_db(databases=[])
def test_a_run_killed_mid_analysis_is_marked_failed_with_the_reason(tmp_path, scratch_database):
    """kill -9 during `deter analyse`: the run cannot mark itself failed, so the next
    `deter runs` (and the next analysis) finds its process gone and marks it, audited."""
    from deter.analysis.synth import write_county

    env = {k: v for k, v in os.environ.items()
           if not k.startswith("DETER_") and k not in ("DJANGO_ALLOW_ASYNC_UNSAFE",)}
    env["DATABASE_URL"] = scratch_database
    deter = [sys.executable, "-m", "deter.cli"]

    def run(*args: str) -> subprocess.CompletedProcess:
        done = subprocess.run([*deter, *args], env=env, capture_output=True, text=True,  # noqa: S603
                              timeout=300)
        assert done.returncode == 0, done.stderr
        return done

    run("migrate")
    write_county(synthesise(seed=3, scale="small"), tmp_path / "county")
    run("import", str(tmp_path / "county"))
    analysis = subprocess.Popen([*deter, "analyse"], env=env, stdout=subprocess.PIPE,  # noqa: S603
                                stderr=subprocess.DEVNULL, text=True)
    assert analysis.stdout is not None
    for line in analysis.stdout:
        if "finding groups" in line:  # the run is stored as running by now
            break
    os.kill(analysis.pid, signal.SIGKILL)
    assert analysis.wait(timeout=60) == -signal.SIGKILL
    listed = run("runs").stdout
    assert (f"marked run 1 failed: its process {analysis.pid} on {socket.gethostname()} "
            "ended without finishing") in listed
    assert "run 1     failed" in listed
    assert "marked" not in run("runs").stdout  # marked once
    run("analyse")
    listed = run("runs").stdout
    assert "run 2     complete" in listed and "run 1     failed" in listed
    audited = subprocess.run(
        [sys.executable, "-c", "import django, os; "
         "os.environ['DJANGO_SETTINGS_MODULE'] = 'deter.web.settings'; django.setup(); "
         "from deter.web.models import AuditEvent; "
         "print(AuditEvent.objects.filter(action='mark_run_failed').count())"],
        env=env, capture_output=True, text=True, timeout=60, check=True)
    assert audited.stdout.strip() == "1"


def test_a_live_run_is_left_running_and_a_silent_one_elsewhere_is_failed(imported):
    from datetime import timedelta

    from django.utils import timezone

    from deter.web.ingest.runs import STALE_AFTER, mark_dead_runs_failed

    now = timezone.now()
    mine = AnalysisRun.objects.create(started_at=now, host=socket.gethostname(),
                                      pid=os.getpid(), heartbeat_at=now)
    elsewhere = AnalysisRun.objects.create(started_at=now, host="another-host", pid=1,
                                           heartbeat_at=now - timedelta(minutes=5))
    silent = AnalysisRun.objects.create(started_at=now, host="another-host", pid=1,
                                        heartbeat_at=now - STALE_AFTER - timedelta(minutes=1))
    assert [run.pk for run in mark_dead_runs_failed()] == [silent.pk]
    silent.refresh_from_db()
    assert silent.status == AnalysisRun.Status.FAILED
    assert "no sign of life from host another-host" in silent.failure
    for run in (mine, elsewhere):
        run.refresh_from_db()
        assert run.status == AnalysisRun.Status.RUNNING

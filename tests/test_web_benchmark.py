"""The web benchmark's loader and query counter, at a tiny size, so its code cannot rot.

Runs on the test database (SQLite here, PostgreSQL in CI, where the loader uses ``COPY``).
"""

import datetime as dt
import importlib.util
import math
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from deter.analysis.synth import synthesise
from deter.web import models as m
from deter.web.ingest import runs


def _benchmark(name: str):
    """A module of ``benchmarks/`` (a folder outside the package, not on the test path)."""
    path = Path(__file__).resolve().parents[1] / "benchmarks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"benchmarks.{name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


web_pages = _benchmark("web_pages")

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 22)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def extract():
    county = synthesise(seed=1, scale="small").extract
    return web_pages.fold_extract(county, 500, latest=TODAY - dt.timedelta(days=1))


@pytest.fixture
def loaded(extract):
    return web_pages.load(extract, cohort_size=40, today=TODAY)


def test_folding_keeps_every_event_and_involvement_on_fewer_people():
    county = synthesise(seed=1, scale="small").extract
    folded = web_pages.fold_extract(county, 500, latest=TODAY)
    assert folded.people.height == 500
    assert folded.events.height == county.events.height
    assert set(folded.involvements["person_id"]) <= set(folded.people["person_id"])
    # only links that became duplicates by folding are dropped
    assert folded.involvements.height > 0.95 * county.involvements.height
    assert folded.events["occurred_at"].max().date() == TODAY
    tenth = web_pages.fold_extract(county, 500, event_share=0.1)
    assert tenth.events.height == math.ceil(county.events.height / 10)
    assert set(tenth.involvements["event_id"]) <= set(tenth.events["event_id"])


def test_the_loader_writes_what_it_reports(extract, loaded):
    assert loaded["people"] == m.Person.objects.count() == 500
    assert loaded["events"] == m.Event.objects.count() == extract.events.height
    assert loaded["involvements"] == m.Involvement.objects.count() == extract.involvements.height
    assert loaded["person_scores"] == m.PersonScore.objects.count() > 0
    assert loaded["cohort_entries"] == m.CohortEntry.objects.count() == 40
    assert set(m.CohortEntry.objects.values_list("status", flat=True)) >= {
        "active", "proposed", "stepped_down"}
    assert loaded["interventions"] == m.Intervention.objects.count() > 0
    assert loaded["actions"] == m.MeetingAction.objects.count() > 0
    run = m.AnalysisRun.objects.get()
    assert run.status == m.AnalysisRun.Status.COMPLETE
    # the explanation, stored by COPY or executemany, adds up to the score as the app's does
    top = run.people.order_by("rank").first()
    offender = sum(i["contribution"] for i in top.explanation if i["side"] == "offender")
    assert math.isclose(offender, top.harm_score, rel_tol=1e-6)
    # and its top events are what the app's own store would keep
    for score in run.people.all():
        assert score.top_events == runs.top_events(score.explanation)
    # new rows get fresh keys after the explicit ones
    person = m.Person.objects.create(person_id="NEW")
    assert person.pk == 501
    panel = m.Meeting.objects.get(title=web_pages.NEXT_PANEL)
    assert panel.agenda["proposals"] and loaded["agenda_items"] > 0


def test_query_counts_it_reports_equal_counts_measured_independently(loaded):
    urls = web_pages.targets(people=5, cohort_pages=2)
    assert len(urls["cohort"]) == 2 and len(urls["person"]) == 5
    costs = {}
    reported = web_pages.count_queries(urls, costs=costs)
    assert [len(costs[kind]) for kind in urls] == [len(urls[kind]) for kind in urls]
    assert all(seconds >= in_sql >= 0 and size > 0 for seconds, in_sql, size in costs["person"])
    client = Client()
    client.force_login(get_user_model().objects.get(username=web_pages.USER))
    for kind, addresses in urls.items():
        independent = []
        for url in addresses:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            independent.append(len(queries))
        assert reported[kind] == independent, kind
        assert all(n > 0 for n in independent)


def test_a_page_that_fails_is_not_counted(loaded):
    with pytest.raises(RuntimeError, match="answered 404"):
        web_pages.count_queries({"person": ["/people/999999/"]})


def test_latency_table_reports_percentiles_errors_and_counts():
    result = {"kinds": ["cohort"], "times": {"cohort": [0.01 * n for n in range(1, 101)]},
              "errors": {"cohort": ["/cohort/: HTTP 500"]}, "wall": 10.0}
    table = web_pages.latency_table(result, {"full": {"cohort": [12, 12]},
                                             "small": {"cohort": [12, 13]}},
                                    {"cohort": [0.1204, 0.0301, 204800]})
    row = next(line for line in table.splitlines() if line.startswith("| cohort"))
    assert row == ("| cohort | 101 | 1 | 500 | 950 | 990 | 1000 | 10.0 | 120 (30), 200 | 12 "
                   "| 12-13 |")

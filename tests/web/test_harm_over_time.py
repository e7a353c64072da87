"""Harm over time on a person's page: scores across complete runs, table and SVG chart."""

import itertools
import re
from datetime import date, datetime, timedelta

from django.urls import reverse
from django.utils import timezone

from deter.web.models import AnalysisRun, PersonScore
from deter.web.queries import harm_history
from deter.web.queries.harm_history import Point


def url(person) -> str:
    return reverse("person", args=[person.pk])


def add_run(person, harm: float, victim: float, rank: int, as_of: str | None = None,
            status: str = AnalysisRun.Status.COMPLETE, finished_days_ago: int = 0) -> AnalysisRun:
    finished = timezone.now() - timedelta(days=finished_days_ago)
    run = AnalysisRun.objects.create(
        started_at=finished, finished_at=finished, status=status, code_version="test",
        summary={"as_of": as_of} if as_of else {},
    )
    PersonScore.objects.create(run=run, person=person, harm_score=harm, victim_harm_score=victim,
                               rank=rank)
    return run


def test_it_lists_the_scores_of_complete_runs_oldest_first(client, world):
    older = add_run(world.active, 900.0, 12.5, 3, as_of="2025-01-31T00:00:00")
    newer = add_run(world.active, 450.25, 0.0, 9, as_of="2025-07-31T00:00:00")
    add_run(world.active, 99999.0, 1.0, 1, status=AnalysisRun.Status.FAILED)
    add_run(world.active, 88888.0, 1.0, 1, status=AnalysisRun.Status.RUNNING)
    client.force_login(world.coordinator)
    response = client.get(url(world.active))
    points = response.context["harm_points"]
    assert [p.run_pk for p in points] == [older.pk, newer.pk, world.run.pk]
    assert [p.as_of for p in points][:2] == [date(2025, 1, 31), date(2025, 7, 31)]
    assert points[1].harm_score == 450.25 and points[1].rank == 9
    # how many a run ranked is its last rank (ranks run 1..n): the world's run scores 6 people,
    # the two added here store only this person's score, at ranks 3 and 9
    assert [p.ranked for p in points] == [3, 9, 6]
    page = response.content.decode()
    assert "Harm over time" in page
    assert "31 Jan 2025" in page and "450.2" in page and "12.5" in page
    assert "99999" not in page and "88888" not in page


def test_a_run_without_as_of_is_dated_when_it_finished(world):
    run = add_run(world.active, 1.0, 0.0, 1, finished_days_ago=10)
    assert harm_history.as_of(run) == timezone.localdate() - timedelta(days=10)
    run.summary = {"as_of": "not a date"}
    assert harm_history.as_of(run) == timezone.localdate() - timedelta(days=10)


def test_the_chart_is_an_accessible_inline_svg(client, world):
    add_run(world.active, 800.0, 40.0, 2, as_of="2025-01-01T00:00:00")
    client.force_login(world.caseworker)
    page = client.get(url(world.active)).content.decode()
    svg = re.search(r"<svg[^>]*>.*?</svg>", page, re.S).group(0)
    assert 'role="img"' in svg and 'aria-labelledby="harm-chart-title harm-chart-desc"' in svg
    assert "<title id=\"harm-chart-title\">Harm over time for P-ACTIVE</title>" in svg
    assert "2 analysis runs from 1 January 2025" in svg
    assert "fell from 800.0" in svg
    assert "style=" not in svg and "<script" not in svg
    assert svg.count("<circle") == 2 + 1  # a marker per run, and the legend's
    assert svg.count("<polyline") == 2


def test_partners_see_no_harm_over_time(client, world):
    add_run(world.active, 800.0, 40.0, 2)
    client.force_login(world.partner)
    response = client.get(url(world.active))
    assert response.context["harm_points"] == []
    assert "Harm over time" not in response.content.decode()
    assert "<svg" not in response.content.decode().split("</header>")[1]


def test_someone_never_scored_has_a_sentence_instead(client, world):
    from .factories import make_entry, make_person

    person = make_person("P-NEW")
    make_entry(world.programme, person)
    client.force_login(world.coordinator)
    page = client.get(url(person)).content.decode()
    assert "P-NEW has no score in any complete analysis run." in page


def _point(day: date, harm: float, victim: float = 0.0, pk: int = 1) -> Point:
    return Point(pk, day, harm, victim, 1, 10)


def test_chart_geometry_spans_the_plot_by_date():
    points = [_point(date(2025, 1, 1), 100.0), _point(date(2025, 1, 11), 50.0, pk=2),
              _point(date(2025, 2, 10), 0.0, 25.0, pk=3)]
    chart = harm_history.chart(points)
    xs = [m.x for m in chart.harm.markers]
    assert xs[0] == chart.left and xs[-1] == chart.right
    assert xs[1] == round(chart.left + (chart.right - chart.left) * 10 / 40, 1)
    ys = [m.y for m in chart.harm.markers]
    assert ys[0] == chart.top and ys[-1] == chart.bottom  # 100 is the nice top, 0 the baseline
    assert [t.label for t in chart.y_ticks] == ["0", "25", "50", "75", "100"]
    assert chart.description == ("3 analysis runs from 1 January 2025 to 10 February 2025. "
                                 "Harm score fell from 100.0 to 0.0; victim harm score rose "
                                 "from 0.0 to 25.0.")


def test_chart_of_one_run_or_none():
    assert harm_history.chart([]) is None
    chart = harm_history.chart([_point(date(2025, 3, 1), 0.0)])
    assert chart.harm.markers[0].x == (chart.left + chart.right) / 2
    assert chart.description.startswith("One analysis run, 1 March 2025")
    same_day = harm_history.chart([_point(date(2025, 3, 1), 1.0),
                                   _point(date(2025, 3, 1), 2.0, pk=2)])
    assert [m.x for m in same_day.harm.markers] == [same_day.left, same_day.right]


def test_nice_top():
    assert [harm_history._nice_top(v) for v in (0, 0.3, 1, 7, 11, 240, 251, 9000)] == [
        1.0, 0.5, 1, 10, 20, 250, 500, 10000]


def test_as_of_with_a_timezone():
    run = AnalysisRun(started_at=datetime(2025, 1, 1, tzinfo=timezone.get_current_timezone()),
                      summary={"as_of": "2025-06-30T23:30:00+00:00"})
    assert harm_history.as_of(run) == date(2025, 7, 1)  # London summer time


def test_date_labels_never_overlap_and_the_latest_is_always_labelled():
    days = [date(2025, 1, 1) + timedelta(days=d) for d in (0, 20, 40, 60, 500)]
    chart = harm_history.chart([_point(day, 1.0, pk=i) for i, day in enumerate(days)])
    positions = [t.position for t in chart.x_ticks]
    assert positions[-1] == chart.right and chart.x_ticks[-1].label == "May 2026"
    gaps = [b - a for a, b in itertools.pairwise(positions)]
    assert gaps and all(gap >= harm_history.MIN_LABEL_GAP for gap in gaps)
    assert chart.x_ticks[0].label == "Jan 2025"


def test_the_table_shows_the_rank_out_of_everyone_ranked(client, world):
    client.force_login(world.coordinator)
    page = client.get(url(world.active)).content.decode()
    rank = PersonScore.objects.get(run=world.run, person=world.active).rank
    assert f'{rank} <span class="deter-secondary">of 6</span>' in page

"""A person's harm over time: their score in every complete analysis run, and a small line chart.

The chart is drawn here as plain geometry for an inline SVG (presentation attributes only, so
the strict CSP needs no exception); the template puts the same numbers in a table, which is
what screen-reader users and anyone printing the page read.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from ..models import AnalysisRun, Person, PersonScore

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 36, 36, 40  # room for the axis labels and the legend
Y_TICKS = 4
MAX_X_LABELS = 6
MIN_LABEL_GAP = 70  # px between the centres of two date labels ("Sep 2025" is about 55px)
MARKER_RADIUS = 5


@dataclass(frozen=True)
class Point:
    """The person's score in one complete run, as of the run's data date."""

    run_pk: int
    as_of: date
    harm_score: float
    victim_harm_score: float
    rank: int
    ranked: int  # how many people the run ranked


def history(person: Person) -> list[Point]:
    """Scores across complete runs, oldest first (one query)."""
    # ranks run 1..n in each run, so the last rank is how many people it ranked: one step
    # down the (run, rank) index instead of counting a force's 50,000 scores
    ranked = PersonScore.objects.filter(run_id=OuterRef("run_id")).order_by("-rank").values(
        "rank")[:1]
    scores = (
        PersonScore.objects.filter(person=person, run__status=AnalysisRun.Status.COMPLETE)
        .defer("explanation", "top_events", "criteria_met")
        .select_related("run").defer("run__profile", "run__config")
        .annotate(ranked=Subquery(ranked))
    )
    points = [
        Point(score.run_id, as_of(score.run), score.harm_score, score.victim_harm_score,
              score.rank, score.ranked or 0)
        for score in scores
    ]
    return sorted(points, key=lambda p: (p.as_of, p.run_pk))


def as_of(run: AnalysisRun) -> date:
    """The date the run's data describes: its summary's ``as_of``, else when it finished."""
    value = run.summary.get("as_of") if isinstance(run.summary, dict) else None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None:
            return timezone.localdate(parsed) if timezone.is_aware(parsed) else parsed.date()
    return timezone.localdate(run.finished_at or run.started_at)


@dataclass(frozen=True)
class Marker:
    x: float
    y: float
    label: str  # for the marker's own <title>

    @property
    def corner_x(self) -> float:
        """Top-left corner of a square marker of side ``2 * MARKER_RADIUS``."""
        return round(self.x - MARKER_RADIUS, 1)

    @property
    def corner_y(self) -> float:
        return round(self.y - MARKER_RADIUS, 1)


@dataclass(frozen=True)
class Series:
    name: str
    points: str  # the polyline's "x,y x,y ..."
    markers: list[Marker]


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    right: float  # x of the plot's right edge
    top: int
    bottom: float  # y of the plot's baseline
    harm: Series
    victim: Series
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    description: str


def chart(points: list[Point]) -> Chart | None:
    """The line chart's geometry; ``None`` with no points to draw."""
    if not points:
        return None
    plot_right, plot_bottom = WIDTH - RIGHT, HEIGHT - BOTTOM
    top_value = _nice_top(max(max(p.harm_score, p.victim_harm_score) for p in points))
    first, last = points[0].as_of, points[-1].as_of
    span = (last - first).days

    def x(point_index: int) -> float:
        if span == 0:
            # every run on one day: spread them evenly, or centre a single one
            if len(points) == 1:
                return (LEFT + plot_right) / 2
            return LEFT + (plot_right - LEFT) * point_index / (len(points) - 1)
        return LEFT + (plot_right - LEFT) * (points[point_index].as_of - first).days / span

    def y(value: float) -> float:
        return plot_bottom - (plot_bottom - TOP) * value / top_value

    def series(name: str, attribute: str) -> Series:
        markers = [
            Marker(round(x(i), 1), round(y(getattr(p, attribute)), 1),
                   f"{name} {getattr(p, attribute):.1f} on {p.as_of:%-d %B %Y}")
            for i, p in enumerate(points)
        ]
        return Series(name, " ".join(f"{m.x},{m.y}" for m in markers), markers)

    step = top_value / Y_TICKS
    y_ticks = [Tick(round(y(step * i), 1), _number(step * i)) for i in range(Y_TICKS + 1)]
    x_ticks = _date_labels([round(x(i), 1) for i in range(len(points))], points)
    return Chart(
        width=WIDTH, height=HEIGHT, left=LEFT, right=plot_right, top=TOP, bottom=plot_bottom,
        harm=series("Harm score", "harm_score"),
        victim=series("Victim harm score", "victim_harm_score"),
        y_ticks=y_ticks, x_ticks=x_ticks, description=describe(points),
    )


def _date_labels(xs: list[float], points: list[Point]) -> list[Tick]:
    """Month labels under the points: the latest always, then the oldest, then others in
    between, none overlapping another."""
    last = len(points) - 1
    every = max(1, math.ceil(len(points) / MAX_X_LABELS))
    wanted = [last, 0, *range(last - every, 0, -every)]
    kept: list[int] = []
    for i in wanted:
        if i not in kept and all(abs(xs[k] - xs[i]) >= MIN_LABEL_GAP for k in kept):
            kept.append(i)
    return [Tick(xs[i], f"{points[i].as_of:%b %Y}") for i in sorted(kept)]


def describe(points: list[Point]) -> str:
    """One sentence a screen reader reads for the chart."""
    first, last = points[0], points[-1]
    if len(points) == 1:
        return (f"One analysis run, {first.as_of:%-d %B %Y}: harm score "
                f"{first.harm_score:.1f}, victim harm score {first.victim_harm_score:.1f}.")
    return (
        f"{len(points)} analysis runs from {first.as_of:%-d %B %Y} to {last.as_of:%-d %B %Y}. "
        f"Harm score {_trend(first.harm_score, last.harm_score)}; victim harm score "
        f"{_trend(first.victim_harm_score, last.victim_harm_score)}."
    )


def _trend(before: float, after: float) -> str:
    if math.isclose(before, after, abs_tol=0.05):
        return f"unchanged at {after:.1f}"
    direction = "rose" if after > before else "fell"
    return f"{direction} from {before:.1f} to {after:.1f}"


def _nice_top(value: float) -> float:
    """A round number at or above ``value`` (1, 2, 2.5 or 5 times a power of ten)."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for factor in (1, 2, 2.5, 5, 10):
        if factor * magnitude >= value:
            return factor * magnitude
    return 10 * magnitude  # pragma: no cover - the loop always returns


def _number(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"

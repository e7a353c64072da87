"""The problem profile's charts, drawn with matplotlib as inline SVG strings.

SVG keeps ``report.html`` one self-contained, offline file that prints and zooms cleanly; text
stays text (``svg.fonttype = none``) so a screen reader or a search finds it, and the output is
reproducible byte for byte (fixed hash salt, no date in the metadata).  Every chart is drawn on
its own ``Figure`` (not pyplot's global state), so charts can be drawn from any thread.
Colours come from the Okabe-Ito palette, which stays distinct for colour-blind readers.
"""

from __future__ import annotations

import io
import math
import re

import igraph as ig
import numpy as np
import polars as pl
from matplotlib import rcParams
from matplotlib.figure import Figure

BLUE, ORANGE, GREEN, RED, GREY, PURPLE = (
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#6F777B", "#CC79A7",
)
NODE = "#DDE3E8"  # pale, so the red and blue relation lines stand out
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
RELATION_COLOURS = {"rivalry": RED, "alliance": BLUE}


def _figure(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height), layout="constrained")


def _svg(figure: Figure, title: str) -> str:
    """The figure as an ``<svg>`` element with a ``<title>`` and ``role="img"``."""
    buffer = io.StringIO()
    with rcParams_context():
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r"<svg ", '<svg role="img" aria-label="' + _attr(title) + '" ', text, count=1)
    return text


def _attr(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
    )


class rcParams_context:  # noqa: N801 (reads as the context it is)
    """matplotlib settings for reproducible, text-preserving SVG, restored afterwards."""

    SETTINGS = {"svg.fonttype": "none", "svg.hashsalt": "deter", "font.size": 9.0}

    def __enter__(self) -> None:
        self.saved = {key: rcParams[key] for key in self.SETTINGS}
        rcParams.update(self.SETTINGS)

    def __exit__(self, *_exc: object) -> None:
        rcParams.update(self.saved)


def _tidy(axes) -> None:
    axes.spines[["top", "right"]].set_visible(False)


def concentration_chart(curves: dict[str, np.ndarray]) -> str:
    """Concentration curves: for each population (label -> values), the share of harm held by
    the top x% of its units, most harmful first; the dotted diagonal is equal shares."""
    figure = _figure(6.0, 3.4)
    axes = figure.add_subplot()
    for (label, values), colour in zip(curves.items(), (BLUE, ORANGE, GREEN, PURPLE), strict=False):
        values = np.sort(np.asarray(values, dtype=float))[::-1]
        total = values.sum()
        if values.size == 0 or total <= 0:
            continue
        x = np.concatenate([[0.0], np.arange(1, values.size + 1) / values.size * 100])
        y = np.concatenate([[0.0], np.cumsum(values) / total * 100])
        axes.plot(x, y, color=colour, label=label, linewidth=1.8)
    axes.plot([0, 100], [0, 100], color=GREY, linestyle=":", linewidth=1, label="equal shares")
    axes.set_xlim(0, 100)
    axes.set_ylim(0, 100)
    axes.set_xlabel("top share of people or places, most harm first (%)")
    axes.set_ylabel("share of harm (%)")
    axes.legend(frameon=False, loc="lower right")
    axes.grid(alpha=0.3)
    _tidy(axes)
    return _svg(figure, "Concentration of harm among people and places")


def hour_weekday_chart(frame: pl.DataFrame, value: str = "harm") -> str:
    """Heat map of ``value`` by weekday (rows, Monday first) and hour (columns)."""
    grid = np.zeros((7, 24))
    for weekday, hour, amount in frame.select("weekday", "hour", value).iter_rows():
        grid[int(weekday), int(hour)] = amount
    figure = _figure(7.0, 2.6)
    axes = figure.add_subplot()
    image = axes.imshow(grid, aspect="auto", cmap="Blues", interpolation="nearest")
    axes.set_yticks(range(7), WEEKDAYS)
    axes.set_xticks(range(0, 24, 3), [f"{h:02d}:00" for h in range(0, 24, 3)])
    axes.set_xlabel("hour of the day (local time)")
    figure.colorbar(image, ax=axes, label=value.replace("_", " "), shrink=0.9)
    return _svg(figure, f"{value.capitalize()} by weekday and hour")


def trend_chart(frame: pl.DataFrame, flagged: pl.DataFrame | None = None) -> str:
    """Monthly events as recorded (bars) with the smoothed trend line when one was estimated;
    the months in ``flagged`` (``timing.abrupt_changes``) are drawn in orange and marked."""
    months = frame["month"].to_list()
    figure = _figure(7.0, 2.8)
    axes = figure.add_subplot()
    x = np.arange(len(months))
    events = frame["events"].to_numpy()
    marked = set(flagged["month"].to_list()) if flagged is not None else set()
    colours = [ORANGE if month in marked else BLUE for month in months]
    axes.bar(x, events, color=colours, alpha=0.7, label="events a month (as recorded)")
    if "trend" in frame.columns and frame["trend"].is_not_null().any():
        axes.plot(x, frame["trend"].to_numpy(), color=RED, linewidth=2, label="smoothed trend")
    if marked:
        where = [i for i, month in enumerate(months) if month in marked]
        axes.plot(x[where], events[where], linestyle="none", marker="v", color="black",
                  markersize=5, label="abrupt change")
    step = max(1, len(months) // 12)
    axes.set_xticks(x[::step], [_month_label(m) for m in months[::step]], rotation=45,
                    ha="right")
    axes.set_ylabel("events")
    axes.legend(frameon=False, loc="lower left", bbox_to_anchor=(0, 1.0), ncol=3)
    _tidy(axes)
    return _svg(figure, "Events a month with the trend")


def _month_label(month: object) -> str:
    text = str(month)
    return text[:7]


# More grid cells than this are merged into coarser squares for drawing: each drawn square is a
# few hundred bytes of SVG, and a national extract's 300,000 cells made a 59 MB map
MAX_MAP_SQUARES = 8_000


def map_squares(cells: pl.DataFrame, limit: int = MAX_MAP_SQUARES) -> tuple[pl.DataFrame, int]:
    """(longitude, latitude, harm) to draw, and how many cells each side of a drawn square
    merges (1 = the cells as they are): at most ``limit`` squares, the harm of the cells in
    each summed, at the squares' centres of harm."""
    frame = cells.select("longitude", "latitude", "harm")
    if frame.height <= limit:
        return frame, 1
    # the cells' own spacing in degrees, from their coordinates
    lat_step = _spacing(frame["latitude"])
    lon_step = _spacing(frame["longitude"])
    factor = 2
    while True:
        merged = (
            frame.group_by(
                (pl.col("longitude") / (lon_step * factor)).floor().alias("_x"),
                (pl.col("latitude") / (lat_step * factor)).floor().alias("_y"),
            )
            .agg(
                ((pl.col("longitude") * pl.col("harm")).sum() / pl.col("harm").sum())
                .fill_nan(None).fill_null(pl.col("longitude").mean()).alias("longitude"),
                ((pl.col("latitude") * pl.col("harm")).sum() / pl.col("harm").sum())
                .fill_nan(None).fill_null(pl.col("latitude").mean()).alias("latitude"),
                pl.col("harm").sum(),
            )
            .sort("_y", "_x")
            .select("longitude", "latitude", "harm")
        )
        if merged.height <= limit:
            return merged, factor
        factor *= 2


def _spacing(values: pl.Series) -> float:
    """The smallest gap between distinct coordinates, ignoring rounding noise (a cell side)."""
    distinct = np.unique(np.round(values.to_numpy(), 6))
    gaps = np.diff(distinct)
    gaps = gaps[gaps > 1e-6]
    return float(np.quantile(gaps, 0.1)) if gaps.size else 0.01


def hotspot_map(places: pl.DataFrame, top: int = 20, max_squares: int = MAX_MAP_SQUARES) -> str:
    """Grid cells as squares coloured by harm (no base map: Deter works offline); the ``top``
    cells are outlined and numbered by rank.  Beyond ``MAX_MAP_SQUARES`` cells, neighbouring
    cells are merged into coarser squares for drawing (``map_squares``)."""
    cells = places.filter(pl.col("place_kind") == "grid").sort("rank")
    figure = _figure(6.0, 5.0)
    axes = figure.add_subplot()
    if cells.height:
        drawn, _factor = map_squares(cells, max_squares)
        lon, lat = drawn["longitude"].to_numpy(), drawn["latitude"].to_numpy()
        harm = drawn["harm"].to_numpy()
        order = np.argsort(harm)
        scatter = axes.scatter(
            lon[order], lat[order], c=np.log10(harm[order] + 1), s=6, marker="s",
            cmap="YlOrRd", linewidths=0,
        )
        figure.colorbar(scatter, ax=axes, label="harm (log10 of 1 + days)", shrink=0.8)
        head = cells.head(top)
        axes.scatter(head["longitude"], head["latitude"], s=60, facecolors="none",
                     edgecolors="black", linewidths=0.8)
        for rank, x, y in head.select("rank", "longitude", "latitude").iter_rows():
            axes.annotate(str(rank), (x, y), xytext=(4, 3), textcoords="offset points",
                          fontsize=7)
        axes.set_aspect(1 / math.cos(math.radians(float(np.nanmean(lat)))))
    axes.set_xlabel("longitude")
    axes.set_ylabel("latitude")
    _tidy(axes)
    return _svg(figure, "Hotspot map of harm by grid cell")


def conflict_map(
    groups: pl.DataFrame, relations: pl.DataFrame, seed: int = 1, limit: int = 60,
    max_lines: int = 120,
) -> str:
    """Groups as circles (area ~ harm), rivalries as red lines, alliances as blue dashes.

    Shows the ``limit`` most harmful groups plus any group in a relation with them, and at
    most ``max_lines`` relations, rivalries first, then the best-evidenced (``weight``).
    """
    ranked = groups.sort("rank")
    keep = set(ranked.head(limit)["group_id"].to_list())
    shown = relations.filter(pl.col("group_a").is_in(keep) | pl.col("group_b").is_in(keep))
    if "weight" in shown.columns:
        shown = shown.sort(
            pl.col("relation") == "rivalry", "weight", descending=True
        ).head(max_lines)
    keep |= set(shown["group_a"].to_list()) | set(shown["group_b"].to_list())
    nodes = ranked.filter(pl.col("group_id").is_in(keep))
    ids = nodes["group_id"].to_list()
    index = {group: i for i, group in enumerate(ids)}
    figure = _figure(7.0, 6.0)
    axes = figure.add_subplot()
    axes.set_axis_off()
    if not ids:
        axes.text(0.5, 0.5, "no groups found", ha="center", va="center")
        return _svg(figure, "Conflict map of groups")
    pairs = [(index[a], index[b]) for a, b in shown.select("group_a", "group_b").iter_rows()]
    graph = ig.Graph(n=len(ids), edges=pairs)
    layout = np.asarray(
        graph.layout_fruchterman_reingold(seed=_circle(len(ids)), niter=500).coords
    )
    for (a, b), kind in zip(pairs, shown["relation"].to_list(), strict=True):
        axes.plot(
            layout[[a, b], 0], layout[[a, b], 1], color=RELATION_COLOURS.get(kind, GREY),
            linestyle="-" if kind == "rivalry" else "--", linewidth=1.4, zorder=1, alpha=0.8,
        )
    basis = conflict_size_basis(nodes)
    amount = nodes["harm_score" if basis == "offender harm" else "size"].cast(pl.Float64)
    amount = amount.fill_null(0.0).to_numpy()
    sizes = 60 + 900 * amount / amount.max() if amount.max() > 0 else np.full(len(ids), 200.0)
    axes.scatter(layout[:, 0], layout[:, 1], s=sizes, color=NODE, edgecolors="black",
                 linewidths=0.6, zorder=2)
    # each label just below its circle, so a small circle is not hidden under its own label
    for group, (x, y), size in zip(ids, layout, sizes, strict=True):
        axes.annotate(group, (x, y), xytext=(0, -(math.sqrt(size) / 2 + 1.5)),
                      textcoords="offset points", ha="center", va="top", fontsize=7, zorder=3,
                      bbox={"boxstyle": "square,pad=0.1", "facecolor": "white",
                            "edgecolor": "none", "alpha": 0.8})
    axes.margins(0.08)
    axes.plot([], [], color=RED, label="rivalry (violence between members)")
    axes.plot([], [], color=BLUE, linestyle="--",
              label="alliance (co-offending or recorded meetings)")
    axes.legend(frameon=False, loc="lower left", bbox_to_anchor=(0, -0.08))
    return _svg(figure, "Conflict map of groups: rivalries and alliances")


def conflict_size_basis(groups: pl.DataFrame) -> str:
    """What the conflict map's circle areas show: "offender harm" when any group has some,
    else "members" (a network without events has no harm, and circles of no area say
    nothing)."""
    if groups.height and groups["harm_score"].fill_null(0.0).max() > 0:
        return "offender harm"
    return "members"


def _circle(n: int) -> list[list[float]]:
    """A deterministic starting layout, so the picture is the same on every run."""
    angles = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return np.column_stack([np.cos(angles), np.sin(angles)]).tolist()


def _png(figure: Figure) -> bytes:
    """The figure as PNG (for a PDF, which cannot draw SVG text), reproducible."""
    buffer = io.BytesIO()
    with rcParams_context():
        figure.savefig(buffer, format="png", dpi=150, metadata={"Software": None})
    return buffer.getvalue()


def cohort_chart(months: list[str], series: dict[str, list[int]], as_png: bool = False,
                 ) -> str | bytes:
    """The cohort over time (the programme report): people active at each month's end
    (line), entered and leaving that month (bars), groups active (dashed line)."""
    figure = _figure(7.0, 2.8)
    axes = figure.add_subplot()
    x = np.arange(len(months))
    entered, left = series.get("entered", []), series.get("left", [])
    if entered:
        axes.bar(x - 0.2, entered, width=0.4, color=GREEN, alpha=0.7, label="entered")
    if left:
        axes.bar(x + 0.2, left, width=0.4, color=ORANGE, alpha=0.7,
                 label="stepped down or exited")
    axes.plot(x, series.get("active", [0] * len(months)), color=BLUE, linewidth=2,
              marker="o", markersize=3, label="people active")
    if "groups" in series:
        axes.plot(x, series["groups"], color=PURPLE, linewidth=1.5, linestyle="--",
                  label="groups active")
    step = max(1, len(months) // 12)
    axes.set_xticks(x[::step], months[::step], rotation=45, ha="right")
    axes.set_ylabel("people")
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.legend(frameon=False, loc="lower left", bbox_to_anchor=(0, 1.0), ncol=4)
    _tidy(axes)
    title = "The cohort by month: people active, entering and leaving"
    return _png(figure) if as_png else _svg(figure, title)


def before_after_chart(labels: list[str], before: list[float], after: list[float],
                       measure: str, as_png: bool = False) -> str | bytes:
    """Paired bars: each group's or person's ``measure`` before and after acceptance."""
    figure = _figure(7.0, max(1.6, 0.45 * len(labels) + 0.9))
    axes = figure.add_subplot()
    y = np.arange(len(labels))
    axes.barh(y - 0.2, before, height=0.4, color=GREY, label="before acceptance")
    axes.barh(y + 0.2, after, height=0.4, color=BLUE, label="after acceptance")
    axes.set_yticks(y, labels)
    axes.invert_yaxis()
    axes.set_xlabel(measure)
    axes.legend(frameon=False, loc="lower left", bbox_to_anchor=(0, 1.0), ncol=2)
    _tidy(axes)
    title = f"{measure.capitalize()} before and after acceptance"
    return _png(figure) if as_png else _svg(figure, title)


def its_chart(months: list[str], observed: list[float], fitted: list[float | None],
              counterfactual: list[float | None], interruption: int,
              comparison: list[float | None] | None = None,
              as_png: bool = False) -> str | bytes:
    """An interrupted time series (the evaluation page): the observed rate each month
    (points), the segmented model (line) and, after the interruption, the pre-trend carried
    forward (dashed), with the interruption marked; ``comparison``, a comparison group's rate
    in the same months (dotted), shows regression to the mean."""
    figure = _figure(7.0, 2.8)
    axes = figure.add_subplot()
    x = np.arange(len(months))
    axes.plot(x, observed, color=GREY, linestyle="none", marker="o", markersize=3,
              label="observed")
    if any(v is not None for v in fitted):
        axes.plot(x, [np.nan if v is None else v for v in fitted], color=BLUE, linewidth=2,
                  label="model")
        after = x >= interruption
        axes.plot(x[after], [np.nan if v is None else v
                             for v, a in zip(counterfactual, after, strict=True) if a],
                  color=ORANGE, linewidth=1.5, linestyle="--", label="without the programme")
    if comparison and any(v is not None for v in comparison):
        axes.plot(x, [np.nan if v is None else v for v in comparison], color=PURPLE,
                  linewidth=1.5, linestyle=":", marker=".", label="comparison group")
    axes.axvline(interruption - 0.5, color=GREY, linewidth=1, linestyle=":")
    step = max(1, len(months) // 12)
    axes.set_xticks(x[::step], months[::step])
    axes.set_xlabel("month relative to acceptance")
    axes.set_ylabel("offences a person")
    axes.set_ylim(bottom=0)
    axes.legend(frameon=False, loc="lower left", bbox_to_anchor=(0, 1.0),
                ncol=2 if comparison else 3)
    _tidy(axes)
    title = "Offences a person a month before and after acceptance"
    return _png(figure) if as_png else _svg(figure, title)

"""Concentration: the share of harm held by the top 1%, 5% and 10% of people and places, and
the Gini coefficient."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import polars as pl

CONCENTRATION_COLUMNS = ("top_percent", "units", "units_total", "harm_share")


def _values(values: pl.Series | pl.DataFrame | Sequence[float] | np.ndarray, column: str,
            zeros: int) -> np.ndarray:
    """The values, largest first, with ``zeros`` zero units appended; ValueError when a value
    is missing or negative."""
    if isinstance(values, pl.DataFrame):
        if column not in values.columns:
            raise ValueError(f"no column {column!r} (columns: {', '.join(values.columns)})")
        values = values[column]
    array = np.asarray(values.to_numpy() if isinstance(values, pl.Series) else values,
                       dtype=float)
    if array.ndim != 1:
        raise ValueError("values must be one-dimensional")
    if np.isnan(array).any() or (array < 0).any():
        raise ValueError("values must be numbers of at least 0 (no missing values)")
    if not isinstance(zeros, int) or zeros < 0:
        raise ValueError(f"zeros must be a whole number of at least 0, not {zeros!r}")
    return np.concatenate([-np.sort(-array), np.zeros(zeros)])


def concentration(
    values: pl.Series | pl.DataFrame | Sequence[float] | np.ndarray,
    percents: Sequence[float] = (1, 5, 10),
    *,
    column: str = "harm",
    zeros: int = 0,
) -> pl.DataFrame:
    """For each ``p`` in ``percents``: the share of the total held by the top ``p``% of units.

    ``units`` is the smallest whole number of units that is at least ``p``% of ``units_total``;
    ``harm_share`` is null when the total is 0.  ``values``: a Series, a sequence, or a frame's
    ``column``; ``zeros``: further units with a value of 0 (e.g. people with no harm).
    """
    ordered = _values(values, column, zeros)
    for p in percents:
        if not (isinstance(p, int | float) and 0 < p <= 100):
            raise ValueError(f"percents must be between 0 (excluded) and 100, not {p!r}")
    n, total = len(ordered), float(ordered.sum())
    cumulative = np.concatenate([[0.0], np.cumsum(ordered)])
    units = [min(n, math.ceil(n * p / 100 - 1e-9)) for p in percents]
    return pl.DataFrame(
        {
            "top_percent": [float(p) for p in percents],
            "units": units,
            "units_total": [n] * len(units),
            "harm_share": [cumulative[k] / total if total > 0 else None for k in units],
        },
        schema={"top_percent": pl.Float64, "units": pl.Int64, "units_total": pl.Int64,
                "harm_share": pl.Float64},
    )


def gini(
    values: pl.Series | pl.DataFrame | Sequence[float] | np.ndarray,
    *,
    column: str = "harm",
    zeros: int = 0,
) -> float | None:
    """The Gini coefficient, ``2 * sum(i * x_i) / (n * sum(x)) - (n + 1) / n`` over the values
    sorted ascending (i from 1): 0 when every unit holds the same, ``(n - 1) / n`` when one unit
    holds everything; None when the total is 0."""
    ascending = _values(values, column, zeros)[::-1]
    n, total = len(ascending), float(ascending.sum())
    if n == 0 or total <= 0:
        return None
    i = np.arange(1, n + 1)
    return float(2 * (i * ascending).sum() / (n * total) - (n + 1) / n)


def concentration_table(
    *,
    person_scores: pl.DataFrame | None = None,
    people_named: int | None = None,
    places: pl.DataFrame | None = None,
    percents: Sequence[float] = (1, 5, 10),
    score: str = "harm_score",
) -> pl.DataFrame:
    """Concentration of harm among people and places, one row per population and percent:
    ``population``, ``top_percent``, ``units``, ``units_total``, ``harm_share``, ``gini``.

    ``person_scores``: a frame with ``score`` per person (``PersonHarm.scores``); offenders are
    the people whose score is above 0.  ``people_named``: everyone in the extract's people
    table, to repeat the figures with everyone else counted as 0.  ``places``: a places table
    (``places_table``); grid cells and LSOAs with at least one event.
    """
    populations: list[tuple[str, np.ndarray, int]] = []
    if person_scores is not None:
        if score not in person_scores.columns:
            raise ValueError(f"person_scores has no column {score!r}")
        harmful = person_scores.filter(pl.col(score) > 0)[score].to_numpy()
        populations.append(("offenders (people with offender harm)", harmful, 0))
        if people_named is not None:
            if people_named < len(harmful):
                raise ValueError(
                    f"people_named ({people_named}) is fewer than the {len(harmful)} people "
                    "with offender harm"
                )
            populations.append(("everyone named", harmful, people_named - len(harmful)))
    if places is not None:
        for kind, label in (("grid", "grid cells with events"), ("lsoa", "LSOAs with events")):
            rows = places.filter(pl.col("place_kind") == kind)
            if rows.height:
                populations.append((label, rows["harm"].to_numpy(), 0))
    frames = [
        concentration(values, percents, zeros=zeros).with_columns(
            pl.lit(label).alias("population"),
            pl.lit(gini(values, zeros=zeros), dtype=pl.Float64).alias("gini"),
        )
        for label, values, zeros in populations
        if len(values) + zeros
    ]
    columns = ("population", *CONCENTRATION_COLUMNS, "gini")
    if not frames:
        return pl.DataFrame(
            schema={"population": pl.String, "top_percent": pl.Float64, "units": pl.Int64,
                    "units_total": pl.Int64, "harm_share": pl.Float64, "gini": pl.Float64}
        )
    return pl.concat(frames).select(columns)

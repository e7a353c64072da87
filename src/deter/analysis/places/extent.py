"""The extent of a map of places, robust to a few far-off points.

One mistyped coordinate (a sign dropped from a longitude, a point in another country) would
stretch a map to take it in and squash every real hotspot into a dot.  So a map's extent is the
box of the middle ``1 - 2 * tail`` of the points (by latitude and by longitude separately),
widened by ``widen`` times its own size on each side (at least ``min_degrees``): the points of
a city or a force area, even with sparse suburbs, fall inside it, while a point several times the
area's size away does not.  The points outside are left off the map and listed beside it, never
dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True)
class Extent:
    """``south``, ``north``, ``west``, ``east`` in degrees; ``outside``: the rows of the places
    given that lie beyond it (``inside`` the others), in their order."""

    south: float
    north: float
    west: float
    east: float
    inside: pl.DataFrame
    outside: pl.DataFrame


def map_extent(
    places: pl.DataFrame, *, tail: float = 0.01, widen: float = 1.0, min_degrees: float = 0.01,
) -> Extent:
    """The robust extent of ``places`` (columns ``latitude``, ``longitude``; rows without
    either are left out of both parts)."""
    if not 0 <= tail < 0.5 or widen < 0 or min_degrees <= 0:
        raise ValueError("tail must be in [0, 0.5), widen >= 0 and min_degrees > 0")
    located = places.filter(
        pl.col("latitude").is_not_null() & pl.col("longitude").is_not_null()
        & pl.col("latitude").is_finite() & pl.col("longitude").is_finite()
    )
    if located.height == 0:
        return Extent(0.0, 0.0, 0.0, 0.0, located, located)
    bounds = {}
    for column in ("latitude", "longitude"):
        low = float(located[column].quantile(tail, "lower"))
        high = float(located[column].quantile(1 - tail, "higher"))
        margin = max((high - low) * widen, min_degrees)
        bounds[column] = (low - margin, high + margin)
    (south, north), (west, east) = bounds["latitude"], bounds["longitude"]
    within = pl.col("latitude").is_between(south, north) & pl.col("longitude").is_between(
        west, east)
    return Extent(south, north, west, east, located.filter(within), located.filter(~within))

"""The problem profile's charts as SVG, drawn from a complete run's stored results.

The caller has already asked the policy whether the user may see the run's profile
(``policy.runs.can(user, "view_profile")``); these draw aggregates only, never a person.
"""

import functools

import numpy as np
import polars as pl
from django.db.models import Q

from deter.analysis import charts
from deter.analysis.report import STABLE

from ..models import AnalysisRun, PlaceScore

CHARTS = ("conflict", "hotspots", "hour_weekday", "trend", "concentration")


@functools.lru_cache(maxsize=32)
def chart_svg(run_pk: int, name: str) -> str:
    """A run's results never change once complete, so each chart is drawn once per process."""
    run = AnalysisRun.objects.get(pk=run_pk)
    profile = run.profile
    if name == "conflict":
        groups = pl.DataFrame(
            [
                {"group_id": label, "rank": rank, "harm_score": harm}
                for label, rank, harm in run.groups.filter(
                    Q(stability__isnull=True) | Q(stability__gte=STABLE)
                ).values_list("group_label", "rank", "harm_score")
            ],
            schema={"group_id": pl.String, "rank": pl.Int64, "harm_score": pl.Float64},
        )
        mapped = groups["group_id"].implode()
        relations = pl.DataFrame(
            list(run.relations.values("group_a", "group_b", "relation", "weight")),
            schema={"group_a": pl.String, "group_b": pl.String, "relation": pl.String,
                    "weight": pl.Float64},
        ).filter(pl.col("group_a").is_in(mapped) & pl.col("group_b").is_in(mapped))
        return charts.conflict_map(groups, relations, seed=run.config.get("seed", 1))
    if name == "hotspots":
        places = pl.DataFrame(
            list(run.places.filter(kind=PlaceScore.Kind.GRID).values(
                "place_id", "latitude", "longitude", "harm", "rank"
            )),
            schema={"place_id": pl.String, "latitude": pl.Float64, "longitude": pl.Float64,
                    "harm": pl.Float64, "rank": pl.Int64},
        ).with_columns(pl.lit("grid").alias("place_kind"))
        return charts.hotspot_map(places)
    if name == "hour_weekday":
        return charts.hour_weekday_chart(pl.DataFrame(profile.get("hour_weekday", []),
                                                      schema=HOUR_WEEKDAY_SCHEMA), "harm")
    if name == "trend":
        return charts.trend_chart(pl.DataFrame(profile.get("trend", []), schema=TREND_SCHEMA))
    curves = {
        "people (offender harm)": np.asarray(
            run.people.filter(harm_score__gt=0).values_list("harm_score", flat=True)
        ),
    }
    for kind, label in ((PlaceScore.Kind.GRID, "grid cells"), (PlaceScore.Kind.LSOA, "LSOAs")):
        harm = np.asarray(run.places.filter(kind=kind).values_list("harm", flat=True))
        if harm.size:
            curves[label] = harm
    return charts.concentration_chart(curves)


HOUR_WEEKDAY_SCHEMA = {"weekday": pl.Int64, "hour": pl.Int64, "events": pl.Int64,
                       "harm": pl.Float64}
TREND_SCHEMA = {"month": pl.String, "events": pl.Int64, "harm": pl.Float64,
                "trend": pl.Float64, "seasonal": pl.Float64}

"""Recency-Frequency-Gravity-Victims (RFGV): a banded points score for prioritising offenders.

Where it comes from.  Northumbria Police built the RFG(V) matrix for MATAC (Multi-Agency Tasking
and Coordination), now used by several English forces to choose the most harmful and serial
domestic-abuse perpetrators: police records over a set period (two years in Cleveland's account)
are scored on how Recent the offending is, how Frequent, how Grave, and how many Victims it has
harmed, using weighted scoring matrices; the highest scores go to
the monthly MATAC meeting, and a fall in a person's RFGV score is one of the outcomes MATAC
measures (College of Policing practice bank, "Multi-agency tasking and coordination (MATAC) to
reduce domestic abuse offending"; Sunderland Safeguarding Adults Board MATAC procedure;
Teesside SAB minutes, 11 Dec 2019).  The forces' band values are operational and unpublished,
so the structure below follows the published description and the default bands are Deter's
own; every band and point is configuration (``RFGConfig``) saved with the run.

The formula, over the offences (events where the person is suspect or offender) in the
``window_days`` before the analysis date:

    rfgv_score = R + F + G + V

* R (``rfg_recency``): points for the age in days of the most recent offence, from
  ``recency_bands``: the points of the first band whose ``max_days`` the age does not exceed;
  default 5 (<= 30 days), 4 (<= 91), 3 (<= 182), 2 (<= 365), 1 (<= 730).
* F (``rfg_frequency``): points for the number of offences, from ``frequency_bands``: the points
  of the highest band whose minimum the count reaches; default 1, 2, 3 for 1, 2, 3 offences, 4
  for 5+, 5 for 8+.
* G (``rfg_gravity``): points for the gravest offence, i.e. the largest harm-table weight among
  the offences (so gravity uses the same weights as harm), from ``gravity_bands`` in the harm
  table's unit; default (CCHI days) 1 for >= 1 day (e.g. shoplifting, drugs possession), 2 for
  >= 10 (assault without injury, harassment), 3 for >= 180 (burglary, weapons, sexual
  assault, arson), 4 for >= 365 (assault with injury, robbery), 5 for >= 1,825 (rape,
  homicide).  With another harm table, set bands in its unit.
* V (``rfg_victims``): points for the number of different people recorded as victims of those
  offences (the person themself excluded), from ``victim_bands``; default the count, up to 5.

Each component is 0 when nothing reaches its first band, so a person with no offence in the
window scores 0.  The score explains itself: ``rfgv_explanation`` spells out each component and
the record behind it (age of the latest offence, count, gravest offence and its weight, victims).

Caveats: MATAC scores domestic-abuse incidents only; the extract format has no domestic-abuse
flag, so this scores all recorded offending (filter the extract to domestic-abuse events to
reproduce MATAC use).  Banded points are coarse by design: ties are common and a person just
past a band edge can move a whole point.  Suspects are not convicted offenders.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from deter.analysis.config import Bands, RFGConfig
from deter.analysis.extract import OFFENDING_ROLES, Extract
from deter.analysis.harm import age_days, event_harm
from deter.analysis.harm_tables import HarmTable, normalise_code

RFG_COLUMNS = (
    "person_id", "rfg_last_offence_days", "rfg_offences", "rfg_gravest_event",
    "rfg_gravest_offence", "rfg_gravest_weight", "rfg_victim_count", "rfg_recency",
    "rfg_frequency", "rfg_gravity", "rfg_victims", "rfgv_score", "rfgv_explanation",
)


def at_most(value: pl.Expr, bands: Bands) -> pl.Expr:
    """The points of the first band whose maximum ``value`` does not exceed; else 0."""
    chosen: pl.Expr = pl.lit(0.0)
    for threshold, points in reversed(bands):
        chosen = pl.when(value <= threshold).then(pl.lit(points)).otherwise(chosen)
    return chosen.fill_null(0.0)


def at_least(value: pl.Expr, bands: Bands) -> pl.Expr:
    """The points of the highest band whose minimum ``value`` reaches; else 0."""
    chosen: pl.Expr = pl.lit(0.0)
    for threshold, points in bands:
        chosen = pl.when(value >= threshold).then(pl.lit(points)).otherwise(chosen)
    return chosen.fill_null(0.0)


def rfg_scores(
    extract: Extract, as_of: datetime | None, table: HarmTable, config: RFGConfig | None = None
) -> pl.DataFrame:
    """RFG_COLUMNS, one row per person with at least one offence in the window."""
    config = config or RFGConfig()
    if as_of is None:
        return pl.DataFrame(schema=_schema())
    events = (
        extract.events.select("event_id", "occurred_at", "offence_code", "offence_category")
        .with_columns(age_days("occurred_at", as_of).alias("age_days"))
        .filter(pl.col("age_days").is_between(0, config.window_days))
    )
    events = event_harm(events, table)
    involvements = extract.involvements.join(
        events.select("event_id"), on="event_id", how="semi"
    )
    offences = (
        involvements.filter(pl.col("role").is_in(OFFENDING_ROLES))
        .select("person_id", "event_id")
        .unique()
        .join(events, on="event_id", how="inner")
    )
    victims = (
        offences.select("person_id", "event_id")
        .join(
            involvements.filter(pl.col("role") == "victim").select(
                "event_id", pl.col("person_id").alias("victim_id")
            ),
            on="event_id",
            how="inner",
        )
        .filter(pl.col("victim_id") != pl.col("person_id"))
        .group_by("person_id")
        .agg(pl.col("victim_id").n_unique().cast(pl.Int64).alias("rfg_victim_count"))
    )
    described = pl.format(
        "{} ({})",
        pl.col("offence_code"),
        normalise_code(pl.col("offence_code")).replace_strict(
            dict(table.descriptions), default=None, return_dtype=pl.String
        ),
    )
    label = pl.coalesce(
        described, pl.col("offence_code"), pl.col("offence_category"), pl.lit("unknown offence")
    )
    per_person = (
        offences.sort(["harm_weight", "age_days", "event_id"], descending=[True, False, False])
        .group_by("person_id")
        .agg(
            pl.col("age_days").min().alias("rfg_last_offence_days"),
            pl.len().cast(pl.Int64).alias("rfg_offences"),
            pl.col("event_id").first().alias("rfg_gravest_event"),
            label.first().alias("rfg_gravest_offence"),
            pl.col("harm_weight").first().alias("rfg_gravest_weight"),
        )
        .join(victims, on="person_id", how="left")
        .with_columns(pl.col("rfg_victim_count").fill_null(0))
    )
    return _points(per_person, config, table.unit).select(RFG_COLUMNS)


def _points(per_person: pl.DataFrame, config: RFGConfig, unit: str) -> pl.DataFrame:
    scored = per_person.with_columns(
        at_most(pl.col("rfg_last_offence_days"), config.recency_bands).alias("rfg_recency"),
        at_least(pl.col("rfg_offences"), config.frequency_bands).alias("rfg_frequency"),
        at_least(pl.col("rfg_gravest_weight"), config.gravity_bands).alias("rfg_gravity"),
        at_least(pl.col("rfg_victim_count"), config.victim_bands).alias("rfg_victims"),
    ).with_columns(
        (
            pl.col("rfg_recency") + pl.col("rfg_frequency") + pl.col("rfg_gravity")
            + pl.col("rfg_victims")
        ).alias("rfgv_score")
    )
    return scored.with_columns(
        pl.format(
            "R {} (latest offence {} days ago) + F {} ({} offences) + G {} (gravest {} = {} "
            + unit.replace("{", "").replace("}", "")
            + ") + V {} ({} victims) = {}",
            _number("rfg_recency"), pl.col("rfg_last_offence_days").floor().cast(pl.Int64),
            _number("rfg_frequency"), "rfg_offences",
            _number("rfg_gravity"), "rfg_gravest_offence", _number("rfg_gravest_weight"),
            _number("rfg_victims"), "rfg_victim_count", _number("rfgv_score"),
        ).alias("rfgv_explanation")
    )


def _number(column: str) -> pl.Expr:
    """A float without a trailing ".0" when it is whole (5 rather than 5.0)."""
    value = pl.col(column)
    return (
        pl.when(value == value.round(0))
        .then(value.cast(pl.Int64).cast(pl.String))
        .otherwise(value.round(2).cast(pl.String))
    )


def _schema() -> dict[str, pl.DataType]:
    floats = ("rfg_last_offence_days", "rfg_gravest_weight", "rfg_recency", "rfg_frequency",
              "rfg_gravity", "rfg_victims", "rfgv_score")
    ints = ("rfg_offences", "rfg_victim_count")
    return {
        name: pl.Float64 if name in floats else pl.Int64 if name in ints else pl.String
        for name in RFG_COLUMNS
    }


def describe(config: RFGConfig, unit: str) -> list[dict]:
    """The four components as a reader needs them: letter, name, what is measured, how the
    band is chosen, and each band as (condition, points), from ``config`` itself."""
    def bands(pairs: Bands, template: str) -> list[tuple[str, float]]:
        return [(template.format(_plain(threshold)), points) for threshold, points in pairs]

    return [
        {"letter": "R", "name": "Recency", "measures": "days since the latest offence",
         "rule": "the first band the age fits", "bands": bands(config.recency_bands,
                                                                "at most {} days")},
        {"letter": "F", "name": "Frequency", "measures": "the number of offences",
         "rule": "the highest band reached", "bands": bands(config.frequency_bands,
                                                            "{} or more offences")},
        {"letter": "G", "name": "Gravity",
         "measures": f"the largest harm weight among the offences ({unit})",
         "rule": "the highest band reached", "bands": bands(config.gravity_bands,
                                                            f"{{}} {unit} or more")},
        {"letter": "V", "name": "Victims",
         "measures": "the number of different people recorded as their victims",
         "rule": "the highest band reached", "bands": bands(config.victim_bands,
                                                            "{} or more victims")},
    ]


def _plain(value: float) -> str:
    return f"{value:,.10g}"

"""Selection criteria: the explicit, configurable rule for proposing a person for the cohort.

A proposal is not a decision: the multi-agency panel decides who joins a cohort.  The analysis
only proposes, by a rule written down in advance and saved with the run (``SelectionCriteria``),
and shows for each person which criteria they met (``criteria_met``), so a proposal can be
checked and challenged.

The criteria (each can be switched off with ``None``):

* **violent offence in N months** (``violent_within_days``, default 730 = 24 months;
  ``min_violent_offences``, default 1): at least that many violent offences as suspect or
  offender in the ``violent_within_days`` before the analysis date.  *Violent* is defined by the
  harm table: by default the Home Office offence groups violence against the person, sexual
  offences, robbery and possession of weapons (see ``deter.analysis.harm_tables``).  This guards
  against the failure of past lists that named people with no violent offence in years.
* **harm >= X** (``min_harm_score``, default 365 in the harm table's unit, e.g. one assault with
  injury or robbery in the last few months): offender harm (decayed by recency) at least X.
* **RFGV >= X** (``min_rfgv_score``, off by default): the RFGV score (``deter.analysis.rfg``) at
  least X.

How they combine (``combine``): ``"all"`` (default) proposes people who meet every criterion
that is switched on; ``"any"`` proposes people who meet at least one.  Either way a person who
meets none is never proposed, and at least one criterion must be on.

Victim-offender overlap: ``victim_offender`` is true for a person recorded both as offender (or
suspect) and as victim in the harm window.  Such people are both at risk and a risk; the flag is
reported, never scored: victim harm never adds to offender harm, and at-risk status (from the
network) is a separate column again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import polars as pl

from deter.analysis.config import SelectionCriteria
from deter.analysis.extract import OFFENDING_ROLES, Extract
from deter.analysis.harm import age_days
from deter.analysis.harm_tables import HarmTable

CRITERIA_COLUMNS = ("person_id", "violent_offences", "criteria_met", "proposed")


def violent_offences(
    extract: Extract, as_of: datetime | None, table: HarmTable, within_days: int | None
) -> pl.DataFrame:
    """person_id, violent_offences: violent events as suspect or offender in the period."""
    schema = {"person_id": pl.String, "violent_offences": pl.Int64}
    if as_of is None or within_days is None:
        return pl.DataFrame(schema=schema)
    events = (
        extract.events.filter(age_days("occurred_at", as_of).is_between(0, within_days))
        .filter(table.is_violent())
        .select("event_id")
    )
    return (
        extract.involvements.filter(pl.col("role").is_in(OFFENDING_ROLES))
        .join(events, on="event_id", how="semi")
        .group_by("person_id")
        .agg(pl.col("event_id").n_unique().cast(pl.Int64).alias("violent_offences"))
    )


def apply_criteria(
    people: pl.DataFrame, violent: pl.DataFrame, criteria: SelectionCriteria, unit: str
) -> pl.DataFrame:
    """CRITERIA_COLUMNS for every row of ``people`` (person_id, harm_score, rfgv_score)."""
    frame = people.select("person_id", "harm_score", "rfgv_score").join(
        violent, on="person_id", how="left"
    ).with_columns(pl.col("violent_offences").fill_null(0))
    met: list[pl.Expr] = []
    if criteria.violent_within_days is not None:
        met.append(pl.col("violent_offences") >= criteria.min_violent_offences)
    if criteria.min_harm_score is not None:
        met.append(pl.col("harm_score").fill_null(0.0) >= criteria.min_harm_score)
    if criteria.min_rfgv_score is not None:
        met.append(pl.col("rfgv_score").fill_null(0.0) >= criteria.min_rfgv_score)
    names = criteria.names(unit)
    combined = pl.all_horizontal(met) if criteria.combine == "all" else pl.any_horizontal(met)
    return frame.with_columns(
        pl.concat_str(
            [pl.when(test).then(pl.lit(name)) for test, name in zip(met, names, strict=True)],
            separator=",",
            ignore_nulls=True,
        ).alias("criteria_met"),
        # meeting none is never enough, whatever the rule
        (combined & pl.any_horizontal(met)).alias("proposed"),
    ).select(CRITERIA_COLUMNS)


def victim_offender() -> pl.Expr:
    """True for a person recorded both as offender (or suspect) and as victim in the window."""
    return (pl.col("offence_count") > 0) & (pl.col("victimisation_count") > 0)


def victim_offender_summary(people: pl.DataFrame) -> dict[str, Any]:
    """How many people are both victim and offender, and as a share of each side."""
    offenders = int((people["offence_count"] > 0).sum())
    victims = int((people["victimisation_count"] > 0).sum())
    both = int(people.select(victim_offender().sum()).item())
    return {
        "people": both,
        "offenders": offenders,
        "victims": victims,
        "share_of_victims_who_offend": round(both / victims, 6) if victims else None,
        "share_of_offenders_who_are_victims": round(both / offenders, 6) if offenders else None,
    }


def criteria_summary(
    selected: pl.DataFrame, criteria: SelectionCriteria, unit: str
) -> dict[str, Any]:
    """The rule as words, and how many people met each criterion and were proposed."""
    names = criteria.names(unit)
    met = selected["criteria_met"].str.split(",")
    return {
        "description": criteria.describe(unit),
        "combine": criteria.combine,
        "criteria": names,
        "people_meeting": {name: int(met.list.contains(name).sum()) for name in names},
        "proposed": int(selected["proposed"].sum()),
    }

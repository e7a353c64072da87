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

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any

import polars as pl

from deter.analysis.extract import OFFENDING_ROLES, Extract
from deter.analysis.harm import age_days
from deter.analysis.harm_tables import HarmTable

COMBINE_RULES = ("all", "any")
CRITERIA_COLUMNS = ("person_id", "violent_offences", "criteria_met", "proposed")


@dataclass(frozen=True)
class SelectionCriteria:
    violent_within_days: int | None = 730
    min_violent_offences: int = 1
    min_harm_score: float | None = 365.0
    min_rfgv_score: float | None = None
    combine: str = "all"  # "all": meet every criterion that is on; "any": at least one

    def __post_init__(self) -> None:
        days = self.violent_within_days
        if days is not None and (not isinstance(days, int) or days <= 0):
            raise ValueError("criteria.violent_within_days must be a positive number of days")
        if not isinstance(self.min_violent_offences, int) or self.min_violent_offences < 1:
            raise ValueError("criteria.min_violent_offences must be at least 1")
        for name in ("min_harm_score", "min_rfgv_score"):
            value = getattr(self, name)
            if value is not None and not (isinstance(value, int | float) and value >= 0):
                raise ValueError(f"criteria.{name} must be a number of at least 0, or None")
        if self.combine not in COMBINE_RULES:
            raise ValueError(f"criteria.combine must be one of {', '.join(COMBINE_RULES)}")
        if days is None and self.min_harm_score is None and self.min_rfgv_score is None:
            raise ValueError("criteria: at least one selection criterion must be set")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> SelectionCriteria:
        unknown = set(values) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"criteria: unknown settings {sorted(unknown)}")
        return cls(**values)

    def names(self, unit: str) -> list[str]:
        """The readable name of each criterion that is on (no commas: they are joined by one)."""
        names = []
        if self.violent_within_days is not None:
            count = self.min_violent_offences
            what = "violent offence" if count == 1 else f"{count} violent offences"
            names.append(f"{what} in {_period(self.violent_within_days)}")
        if self.min_harm_score is not None:
            names.append(f"harm >= {_number(self.min_harm_score)} {unit}")
        if self.min_rfgv_score is not None:
            names.append(f"RFGV >= {_number(self.min_rfgv_score)}")
        return [name.replace(",", "") for name in names]

    def describe(self, unit: str) -> str:
        rule = "all" if self.combine == "all" else "at least one"
        return f"Proposed when meeting {rule} of: {'; '.join(self.names(unit))}."


def _period(days: int) -> str:
    return f"{days // 365 * 12} months" if days % 365 == 0 else f"{days} days"


def _number(value: float) -> str:
    return f"{value:.10g}"


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

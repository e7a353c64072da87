"""A planted focused-deterrence programme: a known effect for the evaluation methods to find.

``plant_programme(county, ...)`` takes a synthesised county and, from ``start``, thins the
violence of the treated groups' true members: each violent event (by the default harm table's
definition) after ``start`` with a treated member as suspect or offender is kept with
probability ``rate_ratio``, so their expected violence falls by ``1 - rate_ratio``. With
``displacement`` d, each removed event is, with probability d, committed instead by a member of
one of that group's planted rivals (a new event at the same time and place): the spillover an
evaluation must warn about, which contaminates rival groups used as controls.

Treated groups are drawn at random among the groups with violence before ``start`` (as a
trial would allocate them; a panel that took the most violent groups would add regression to
the mean, which the evaluation page warns about separately). The removed and displaced events
are the exact counterfactual: ``PlantedProgramme.removed`` lists each removed event with its
group and month, so a test knows the true effect on the treated in the sample, not only in
expectation.

Diffusion of benefit to nearby areas is not planted yet.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import polars as pl

from deter.analysis.extract import OFFENDING_ROLES, Extract
from deter.analysis.harm_tables import cchi_2026
from deter.analysis.synth.county import SyntheticCounty
from deter.analysis.synth.scales import END_DATE, START

DEFAULT_START = dt.date(2025, 10, 1)


@dataclass(frozen=True)
class PlantedProgramme:
    start: dt.date
    treated_groups: tuple[str, ...]
    rate_ratio: float
    displacement: float
    removed: pl.DataFrame  # event_id, group_id, month: violence the programme prevented
    displaced: pl.DataFrame  # event_id (new), from_group, to_group, month

    def to_json(self) -> dict:
        return {
            "start": self.start.isoformat(),
            "treated_groups": list(self.treated_groups),
            "rate_ratio": self.rate_ratio,
            "displacement": self.displacement,
            "removed_events": self.removed.height,
            "displaced_events": self.displaced.height,
            "note": "removed_events.csv lists the violence the programme prevented (the exact "
                    "counterfactual); displaced_events.csv the events moved to rival groups",
        }

    def write(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "programme.json").write_text(json.dumps(self.to_json(), indent=2) + "\n")
        self.removed.write_csv(folder / "removed_events.csv")
        self.displaced.write_csv(folder / "displaced_events.csv")


def group_violence(extract: Extract, memberships: pl.DataFrame) -> pl.DataFrame:
    """event_id, group_id, month: each violent event with a group's true member offending
    (an event counts once per group however many of its members took part)."""
    violent = extract.events.filter(cchi_2026().is_violent()).select(
        "event_id", pl.col("occurred_at").dt.date().dt.truncate("1mo").alias("month"))
    return (
        extract.involvements.filter(pl.col("role").is_in(OFFENDING_ROLES))
        .join(memberships, on="person_id")
        .join(violent, on="event_id")
        .select("event_id", "group_id", "month")
        .unique()
    )


def _check(start: dt.date, rate_ratio: float, displacement: float) -> None:
    if not START.date() < start <= END_DATE:
        raise ValueError(f"the programme start {start} must fall inside the county's period "
                         f"({START.date()} to {END_DATE}), after its first day")
    if not 0 <= rate_ratio <= 1:
        raise ValueError(f"the rate ratio must be between 0 and 1, not {rate_ratio}")
    if not 0 <= displacement <= 1:
        raise ValueError(f"displacement must be between 0 and 1, not {displacement}")


def _choose_groups(violence, start, groups, rng) -> tuple[str, ...]:
    before = violence.filter(pl.col("month") < start)["group_id"].unique().sort().to_list()
    if isinstance(groups, int):
        if not 1 <= groups < len(before):
            raise ValueError(f"choose between 1 and {len(before) - 1} treated groups (the "
                             f"county has {len(before)} with violence before the start)")
        return tuple(sorted(rng.choice(before, size=groups, replace=False).tolist()))
    unknown = sorted(set(groups) - set(before))
    if unknown:
        raise ValueError(f"group {unknown[0]} has no violence before the start (or does not "
                         "exist)")
    return tuple(sorted(groups))


def _displace(county, removed, rivals, rng) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """New events (copies of removed ones) whose suspect is a member of a rival group."""
    members = county.truth_memberships.group_by("group_id").agg("person_id")
    by_group = dict(zip(members["group_id"], members["person_id"], strict=True))
    rows = []
    for event_id, group, month in removed.iter_rows():
        choices = rivals.get(group, [])
        if not choices:
            continue
        to_group = choices[int(rng.integers(len(choices)))]
        suspect = by_group[to_group][int(rng.integers(len(by_group[to_group])))]
        rows.append((event_id, f"{event_id}D", group, to_group, month, suspect))
    frame = pl.DataFrame(rows, schema={"source": pl.String, "event_id": pl.String,
                                       "from_group": pl.String, "to_group": pl.String,
                                       "month": pl.Date, "person_id": pl.String}, orient="row")
    events = county.extract.events.join(
        frame.select(pl.col("source").alias("event_id"), pl.col("event_id").alias("new_id")),
        on="event_id").with_columns(pl.col("new_id").alias("event_id")).drop("new_id")
    involvements = frame.select("event_id", "person_id", pl.lit("suspect").alias("role"))
    return events, involvements, frame.drop("source", "person_id")


def plant_programme(
    county: SyntheticCounty, *, start: dt.date = DEFAULT_START,
    groups: int | Sequence[str] = 5, rate_ratio: float = 0.6, displacement: float = 0.0,
    seed: int = 0,
) -> tuple[SyntheticCounty, PlantedProgramme]:
    """The county with the programme's effect planted, and the programme's truth."""
    _check(start, rate_ratio, displacement)
    rng = np.random.default_rng(seed)
    violence = group_violence(county.extract, county.truth_memberships)
    treated = _choose_groups(violence, start, groups, rng)
    after = violence.filter(pl.col("group_id").is_in(treated) & (pl.col("month") >= start))
    # An event two treated groups share is thinned once, credited to the first.
    candidates = after.sort("event_id", "group_id").unique("event_id", keep="first").sort(
        "event_id")
    removed = candidates.filter(pl.Series(rng.random(candidates.height) >= rate_ratio))
    extract = county.extract
    kept_events = extract.events.join(removed, on="event_id", how="anti")
    kept_involvements = extract.involvements.join(removed, on="event_id", how="anti")
    displaced = pl.DataFrame(schema={"event_id": pl.String, "from_group": pl.String,
                                     "to_group": pl.String, "month": pl.Date})
    if displacement > 0:
        relations = county.truth_relations.filter(pl.col("kind") == "rivalry")
        rivals: dict[str, list[str]] = {}
        for a, b, _ in relations.iter_rows():
            rivals.setdefault(a, []).append(b)
            rivals.setdefault(b, []).append(a)
        moved = removed.filter(pl.Series(rng.random(removed.height) < displacement))
        new_events, new_involvements, displaced = _displace(county, moved, rivals, rng)
        kept_events = pl.concat([kept_events, new_events]).sort("occurred_at", "event_id")
        kept_involvements = pl.concat([kept_involvements, new_involvements])
    planted = Extract.from_frames(
        people=extract.people, events=kept_events, involvements=kept_involvements,
        associations=extract.associations, groups=extract.groups,
        memberships=extract.memberships)
    truth = PlantedProgramme(start, treated, rate_ratio, displacement, removed, displaced)
    return replace(county, extract=planted), truth

"""A planted emerging street group: children brought to notice by anti-social behaviour, not
crime, as in the YEF toolkit's Kent case (an emerging group of 14-16-year-olds in Deal,
October 2023 to October 2024).

``plant_emerging_group(county)`` adds eight children aged 14 to 16 at the county's last day,
and ``INCIDENTS`` police-recorded anti-social behaviour incidents in the county's last year,
in one neighbourhood (the LSOA with the most recorded events), each with two to four of them
as suspects, so the network finds them as one group. The year follows the Kent case's shape:
the whole group until ``STEPS[0]`` (the panel's intervention), then a core of three until
``STEPS[1]``, then one of them alone to the county's end. ASB carries no Crime Harm Index
weight, so under ``cchi-2026`` the group scores nothing; under the default ``cchi-2026-asb``
it scores and ranks. No incident is violent and none is a crime, so the selection criteria
(violence, harm of a serious offence) do not propose them: the panel proposes the group itself.

The planted truth (``EmergingGroup``: members, the core, the last one, incidents by phase) is
written to ``ground_truth/emerging_group.json``.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import polars as pl

from deter.analysis.extract import Extract
from deter.analysis.synth.county import SyntheticCounty
from deter.analysis.synth.scales import END_DATE

MEMBERS = 8
CORE = 3
START = dt.date(2025, 10, 1)  # a year before the county's end
STEPS = (dt.date(2026, 1, 15), dt.date(2026, 7, 1))  # the group, then the core, then one
# incidents in each phase: the whole group, the core of three, the last one
PHASE_INCIDENTS = (50, 30, 13)
INCIDENTS = sum(PHASE_INCIDENTS)  # 93
ASB = "anti-social behaviour"
GROUP_ID = "EMERGING"


@dataclass(frozen=True)
class EmergingGroup:
    members: tuple[str, ...]
    core: tuple[str, ...]
    last: str
    lsoa_code: str
    incidents: pl.DataFrame  # event_id, occurred_at, phase (0 group, 1 core, 2 one)

    def by_phase(self) -> list[int]:
        counts = dict(self.incidents.group_by("phase").len().iter_rows())
        return [counts.get(phase, 0) for phase in range(3)]

    def to_json(self) -> dict:
        return {
            "members": list(self.members), "core": list(self.core), "last": self.last,
            "lsoa_code": self.lsoa_code, "start": START.isoformat(),
            "steps": [day.isoformat() for day in STEPS], "incidents": self.incidents.height,
            "incidents_by_phase": dict(zip(("group", "core", "one"), self.by_phase(),
                                           strict=True)),
            "note": "anti-social behaviour only: no crime, no violence; found by the network, "
                    "proposed by the panel",
        }

    def write(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "emerging_group.json").write_text(json.dumps(self.to_json(), indent=2) + "\n")


def _next_ids(existing: pl.Series, prefix: str, count: int, width: int) -> list[str]:
    numbers = existing.str.strip_prefix(prefix).cast(pl.Int64, strict=False).drop_nulls()
    first = int(numbers.max() or 0) + 1
    return [f"{prefix}{n:0{width}d}" for n in range(first, first + count)]


def _moments(rng, start: dt.date, end: dt.date, count: int) -> list[dt.datetime]:
    """``count`` evening times between ``start`` and ``end`` (exclusive), sorted."""
    days = (end - start).days
    offsets = np.sort(rng.integers(0, days, count))
    minutes = rng.integers(16 * 60, 23 * 60, count)  # after school, into the evening
    return [dt.datetime.combine(start + dt.timedelta(days=int(d)), dt.time(), dt.UTC)
            + dt.timedelta(minutes=int(m)) for d, m in zip(offsets, minutes, strict=True)]


def plant_emerging_group(county: SyntheticCounty, seed: int = 0
                         ) -> tuple[SyntheticCounty, EmergingGroup]:
    """The county with the emerging group added, and the group's planted truth."""
    rng = np.random.default_rng(seed)
    extract = county.extract
    members = _next_ids(extract.people["person_id"], "P", MEMBERS, 7)
    core, last = tuple(members[:CORE]), members[0]
    births = [END_DATE - dt.timedelta(days=int(365.25 * age) + int(rng.integers(30, 330)))
              for age in (14, 14, 15, 15, 15, 16, 16, 16)]
    people = pl.DataFrame({
        "person_id": members, "date_of_birth": births,
        "sex": ["male"] * 6 + ["female"] * 2, "ethnicity": ["white"] * 7 + ["mixed"],
    }).cast({name: dtype for name, dtype in extract.people.schema.items()})
    where = (extract.events.group_by("lsoa_code").agg(
        pl.len(), pl.col("latitude").mean(), pl.col("longitude").mean())
        .sort("len", "lsoa_code", descending=[True, False]).row(0, named=True))
    phases = ((START, STEPS[0], members), (STEPS[0], STEPS[1], list(core)),
              (STEPS[1], END_DATE + dt.timedelta(days=1), [last]))
    event_ids = _next_ids(extract.events["event_id"], "E", INCIDENTS, 7)
    rows, involvements = [], []
    for phase, ((begin, end, active), count) in enumerate(
            zip(phases, PHASE_INCIDENTS, strict=True)):
        for moment in _moments(rng, begin, end, count):
            event_id = event_ids[len(rows)]
            rows.append((event_id, moment, phase))
            size = min(len(active), int(rng.integers(2, 5)))
            chosen = [last] if len(active) == 1 else list(
                rng.choice(active, size=size, replace=False))
            involvements += [(event_id, person, "suspect") for person in chosen]
    incidents = pl.DataFrame(rows, schema={"event_id": pl.String,
                                           "occurred_at": pl.Datetime("us", "UTC"),
                                           "phase": pl.Int64}, orient="row")
    jitter = rng.normal(0, 0.002, (INCIDENTS, 2))
    events = incidents.select(
        "event_id", "occurred_at",
        pl.lit(None, pl.String).alias("offence_code"), pl.lit(ASB).alias("offence_category"),
        pl.Series("latitude", where["latitude"] + jitter[:, 0]),
        pl.Series("longitude", where["longitude"] + jitter[:, 1]),
        pl.lit(where["lsoa_code"]).alias("lsoa_code"),
    ).cast({name: dtype for name, dtype in extract.events.schema.items()})
    new_involvements = pl.DataFrame(
        involvements, schema=["event_id", "person_id", "role"], orient="row",
    ).cast({name: dtype for name, dtype in extract.involvements.schema.items()})
    planted = Extract.from_frames(
        people=pl.concat([extract.people, people]),
        events=pl.concat([extract.events, events]).sort("occurred_at", "event_id"),
        involvements=pl.concat([extract.involvements, new_involvements]),
        associations=extract.associations, groups=extract.groups,
        memberships=extract.memberships)
    truth_memberships = pl.concat([county.truth_memberships, pl.DataFrame(
        {"person_id": members, "group_id": [GROUP_ID] * MEMBERS},
        schema=county.truth_memberships.schema)])
    truth_people = pl.concat([county.truth_people, pl.DataFrame(
        {"person_id": members, "is_group_member": [True] * MEMBERS,
         "propensity": [float(INCIDENTS) / MEMBERS] * MEMBERS}).cast(
        {name: dtype for name, dtype in county.truth_people.schema.items()})])
    truth = EmergingGroup(tuple(members), core, last, where["lsoa_code"], incidents)
    return replace(county, extract=planted, truth_memberships=truth_memberships,
                   truth_people=truth_people), truth

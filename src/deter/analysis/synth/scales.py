"""The synthetic county's period and its scales (small, county, force, national)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

START = dt.datetime(2023, 10, 1, tzinfo=dt.UTC)
END = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)  # exclusive: the last event is on 2026-09-30
END_DATE = dt.date(2026, 9, 30)
YEARS = 3.0
SECONDS = int((END - START).total_seconds())

# General offenders' planted rate of further offences (a year): capped lognormal, the power few.
RATE_MEDIAN, RATE_SIGMA, RATE_CAP = 0.05, 2.6, 50.0
# Person victims recorded, relative to P_VICTIM (keeps most victims appearing once).
VICTIM_SCALE = 0.55

ROLE_NAMES = ("suspect", "offender", "victim", "witness", "other")
SUSPECT, OFFENDER, VICTIM, WITNESS, OTHER = range(5)
ETHNICITIES = ("white", "asian", "black", "mixed", "other")


@dataclass(frozen=True)
class Scale:
    events: int
    people: int
    groups: int
    towns: int
    box: tuple[float, float, float, float]  # south, north, west, east (degrees)
    grid: tuple[int, int]  # LSOA grid: rows (latitude), columns (longitude)
    # How fully a record names the people around an event.  The defaults are the sparse
    # recording "small" and "county" were built with (their output is pinned by tests and must
    # not change); "force" and "national" record as a records management system does.
    victim_scale: float = VICTIM_SCALE  # times P_VICTIM: chance a person victim is recorded
    witnesses: float = 0.0  # times WITNESSES_PER_EVENT: further witnesses named (Poisson)
    reporters: float = 0.0  # times P_REPORTER: a reporting person (role "other")
    more_victims: float = 0.0  # times P_MORE_VICTIMS: a second person victim on the event
    known_witnesses: float = 0.0  # share of witness/other slots filled by offenders or victims
    victim_repeat: float = 1.6  # at least this many recorded victimisations per victim
    witness_repeat: float = 1.15  # witness and "other" appearances per person in that pool
    witness_sigma: float = 0.8  # spread (lognormal sigma) of appearances in that pool


# About 2.5 people an event, as in DESIGN ("a force-year: 1M incidents, about 2.5M
# person-incident links") and in the one real person x event extract we hold (St. Louis police
# records, Rosenfeld and White: 1,487 appearances on 557 events, 2.7 an event).
DEEP_RECORDING = {
    "victim_scale": 1.0,
    "witnesses": 1.4,
    "reporters": 1.0,
    "more_victims": 1.0,
    "known_witnesses": 0.15,
    "victim_repeat": 1.8,
    "witness_repeat": 2.4,
    "witness_sigma": 1.3,
}
SCALES: dict[str, Scale] = {
    "small": Scale(6_000, 2_000, 6, 3, (53.3, 53.9, -2.0, -1.2), (20, 25)),
    "county": Scale(60_000, 20_000, 40, 7, (53.3, 53.9, -2.0, -1.2), (40, 50)),
    "force": Scale(
        1_000_000, 900_000, 600, 20, (53.0, 54.0, -2.6, -1.0), (70, 90), **DEEP_RECORDING
    ),
    # ten forces' worth over England's box, for memory tests (about a minute and 7 GB to build)
    "national": Scale(
        10_000_000, 9_000_000, 2_500, 150, (50.2, 55.6, -5.5, 1.6), (180, 190),
        **DEEP_RECORDING,
    ),
}


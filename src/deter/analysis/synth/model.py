"""The planted model's rates: offences, victims, witnesses, places and times, groups."""

from __future__ import annotations

import io
from importlib import resources

import numpy as np
import polars as pl

# Chance that a suspect is identified, by police.uk category (general crime).
P_SUSPECT = {
    "violence and sexual offences": 0.5,
    "possession of weapons": 0.95,
    "drugs": 0.97,
    "shoplifting": 0.45,
    "burglary": 0.1,
    "robbery": 0.2,
    "theft from the person": 0.07,
    "other theft": 0.12,
    "bicycle theft": 0.04,
    "vehicle crime": 0.05,
    "criminal damage and arson": 0.15,
    "public order": 0.4,
    "other crime": 0.6,
}
# Chance that a person victim is recorded (businesses and the state are not people).
P_VICTIM = {
    "violence and sexual offences": 0.85,
    "possession of weapons": 0.0,
    "drugs": 0.0,
    "shoplifting": 0.0,
    "burglary": 0.5,
    "robbery": 0.85,
    "theft from the person": 0.75,
    "other theft": 0.3,
    "bicycle theft": 0.4,
    "vehicle crime": 0.45,
    "criminal damage and arson": 0.35,
    "public order": 0.3,
    "other crime": 0.08,
}
P_VICTIM_CODE = {"30C": 0.15, "30D": 0.15, "31A": 0.2, "34A": 0.5, "8R": 0.6}
# Deep recording only (see Scale), by category.  Witnesses named on a record, on average:
# staff and security at shoplifting, door staff and bystanders at night-time violence.
WITNESSES_PER_EVENT = {
    "violence and sexual offences": 0.9,
    "public order": 1.0,
    "robbery": 0.8,
    "shoplifting": 0.9,
    "theft from the person": 0.5,
    "possession of weapons": 0.6,
    "criminal damage and arson": 0.5,
    "burglary": 0.35,
    "vehicle crime": 0.3,
    "other theft": 0.4,
    "bicycle theft": 0.3,
    "drugs": 0.2,
    "other crime": 0.4,
}
# A reporting person (the caller, a business's member of staff, a parent): nearly always when
# there is no person victim to name (businesses and the state are not people), sometimes too.
P_REPORTER = (0.25, 0.85)  # (with a person victim, without)
# A second person victim (two people assaulted, a household burgled), given a first one.
P_MORE_VICTIMS = {
    "violence and sexual offences": 0.15,
    "robbery": 0.2,
    "public order": 0.15,
    "burglary": 0.25,
    "criminal damage and arson": 0.1,
    "vehicle crime": 0.05,
    "other theft": 0.05,
}
# Chance that an event happens in a town centre (retail, night-time economy), by category.
P_CENTRE = {
    "shoplifting": 0.85,
    "theft from the person": 0.8,
    "robbery": 0.35,
    "public order": 0.35,
    "bicycle theft": 0.35,
    "other theft": 0.3,
    "violence and sexual offences": 0.15,
}
P_CENTRE_NIGHT_VIOLENCE = 0.6  # violence and public order on a Friday or Saturday night
# Time profile by Home Office offence subgroup; anything not listed is "flat".
FAMILY_OF_SUBGROUP = {
    "Violence with injury": "night",
    "Violence without injury": "night",
    "Public order offences": "night",
    "Robbery of personal property": "evening",
    "Robbery of business property": "evening",
    "Possession of weapons offences": "evening",
    "Trafficking of drugs": "evening",
    "Possession of drugs": "evening",
    "Criminal damage": "evening",
    "Arson": "evening",
    "Theft of a motor vehicle": "evening",
    "Domestic burglary": "burglary",
    "Non-domestic burglary": "burglary",
    "Theft from a vehicle": "burglary",
    "Vehicle interference": "burglary",
    "Shoplifting": "day",
    "Theft from the person": "day",
    "Other theft offences": "day",
    "Bicycle theft": "day",
}
FAMILIES = ("night", "evening", "burglary", "day", "flat")
# Per family, in UK local time: weight by hour of day (0-23), by day of week (Monday first), the
# boost on Friday and Saturday nights (20:00-04:00), the seasonal amplitude and its peak day.
# fmt: off
TIME_PROFILES = {
    "night": (
        [3.0, 2.6, 1.9, 1.1, 0.55, 0.35, 0.35, 0.45, 0.6, 0.7, 0.8, 0.9,
         1.0, 1.05, 1.1, 1.2, 1.35, 1.5, 1.6, 1.75, 1.9, 2.1, 2.5, 2.9],
        [0.9, 0.85, 0.9, 0.95, 1.1, 1.25, 1.15], 2.2, 0.15, 196,
    ),
    "evening": (
        [1.6, 1.2, 0.8, 0.5, 0.3, 0.2, 0.2, 0.3, 0.45, 0.6, 0.7, 0.8,
         0.9, 1.0, 1.2, 1.5, 1.8, 2.0, 2.1, 2.2, 2.3, 2.3, 2.2, 1.9],
        [0.9, 0.9, 0.95, 1.0, 1.1, 1.15, 1.0], 1.4, 0.2, 200,
    ),
    "burglary": (
        [1.2, 1.0, 0.8, 0.6, 0.5, 0.4, 0.4, 0.5, 0.7, 0.9, 1.0, 1.0,
         1.0, 1.0, 1.0, 1.1, 1.3, 1.6, 1.9, 2.0, 1.9, 1.7, 1.5, 1.3],
        [1.0, 1.0, 1.0, 1.0, 1.05, 1.0, 0.95], 1.0, -0.12, 196,
    ),
    "day": (
        [0.2, 0.1, 0.08, 0.05, 0.05, 0.05, 0.1, 0.3, 0.7, 1.2, 1.6, 1.8,
         1.9, 1.9, 1.9, 1.9, 1.9, 1.8, 1.5, 1.1, 0.8, 0.6, 0.4, 0.3],
        [1.0, 1.0, 1.0, 1.0, 1.05, 1.15, 0.75], 1.0, -0.06, 196,
    ),
    "flat": (
        [0.6, 0.5, 0.4, 0.3, 0.3, 0.3, 0.4, 0.6, 0.9, 1.1, 1.2, 1.2,
         1.2, 1.2, 1.2, 1.3, 1.3, 1.3, 1.3, 1.3, 1.2, 1.1, 0.9, 0.7],
        [1.05, 1.05, 1.0, 1.0, 1.0, 0.95, 0.95], 1.0, 0.05, 196,
    ),
}
# fmt: on

# Offence mixes of street-group offending (code -> relative frequency).
GROUP_CO_OFFENDING = {
    "92A": 0.34,
    "10D": 0.12,
    "34B": 0.14,
    "8N": 0.12,
    "5D": 0.04,
    "92D": 0.06,
    "92E": 0.05,
    "48": 0.04,
    "10C": 0.03,
    "58C": 0.02,
    "62A": 0.02,
    "10B": 0.01,
    "49": 0.01,
}
GROUP_RIVAL_VIOLENCE = {
    "8N": 0.42,
    "5D": 0.2,
    "34B": 0.08,
    "105A": 0.08,
    "3B": 0.06,
    "2": 0.03,
    "62A": 0.03,
    "10A": 0.02,
    "56A": 0.015,
    "8R": 0.04,
    "58A": 0.015,
    "1/4.1/4.10/4.2": 0.005,
}
MEMBER_SOLO = {
    "92E": 0.17,
    "92D": 0.08,
    "92A": 0.12,
    "10D": 0.1,
    "8N": 0.1,
    "105A": 0.07,
    "46": 0.08,
    "48": 0.04,
    "58D": 0.04,
    "9A": 0.06,
    "34B": 0.05,
    "39": 0.03,
    "45": 0.03,
    "69": 0.03,
}

# --- people ---------------------------------------------------------------------------------

# ONS 2021 five-group shares: a rural district and a diverse city (England and Wales ranges).
ETHNIC_RURAL = np.array([0.95, 0.02, 0.005, 0.015, 0.01])
ETHNIC_URBAN = np.array([0.58, 0.22, 0.1, 0.05, 0.05])
P_ETHNICITY_MISSING = 0.02
GROUP_NAME_HEADS = (
    "North South East West Ash Mill Red Oak Stone Elm Brook Hollin Castle Kirk Lady Moss Thorn "
    "High Low Bridge Green Holly Marsh Well Wood Cross Fern Birch Clay Hazel"
).split()
GROUP_NAME_TAILS = (
    "gate field dale bank ley ton croft moor side wood brook hill thorpe lands hurst well by "
    "holme ford shaw"
).split()
GROUP_NAME_SUFFIXES = ("Boys", "Crew", "Lot", "Youngers", "Estate")
MEMBERSHIP_SOURCES = (
    ("police_intelligence", 0.7),
    ("youth_offending_service", 0.1),
    ("children_services", 0.08),
    ("probation", 0.06),
    ("community_intelligence", 0.06),
)
# kind -> (source, weight, relative frequency within a group)
ASSOCIATION_KINDS = {
    "seen_together": ("police_intelligence", 1.0, 0.48),
    "stop_search_together": ("stop_search", 1.0, 0.25),
    "social_media": ("police_intelligence", 0.5, 0.22),
    "sibling": ("children_services", 2.0, 0.05),
}


def harm_table() -> pl.DataFrame:
    """The offence-code table: Home Office codes, police.uk category, CCHI days, counts."""
    text = (
        resources.files("deter.analysis.data")
        .joinpath("harm_cchi_2026.csv")
        .read_text(encoding="utf-8")
    )
    return pl.read_csv(io.StringIO(text), schema_overrides={"offence_code": pl.String})


# --- the generator --------------------------------------------------------------------------

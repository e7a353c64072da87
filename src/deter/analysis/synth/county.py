"""The synthesiser's output: the extract and its planted truth, and how it is written."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from deter.analysis.extract import Extract, write_extract


@dataclass
class SyntheticCounty:
    extract: Extract  # people, events, involvements, associations, groups, memberships
    truth_memberships: pl.DataFrame  # person_id, group_id (planted, complete, true groups)
    truth_relations: pl.DataFrame  # group_a, group_b, kind ("rivalry" | "alliance")
    truth_people: pl.DataFrame  # person_id, is_group_member, propensity (offences a year)




def write_county(county: SyntheticCounty, out: Path, fmt: str = "csv") -> None:
    """Write the extract to ``out`` and the planted truth to ``out/ground_truth/`` (CSV)."""
    out = Path(out)
    write_extract(county.extract, out, fmt)
    truth = out / "ground_truth"
    truth.mkdir(parents=True, exist_ok=True)
    county.truth_memberships.write_csv(truth / "memberships.csv")
    county.truth_relations.write_csv(truth / "relations.csv")
    county.truth_people.write_csv(truth / "people.csv")

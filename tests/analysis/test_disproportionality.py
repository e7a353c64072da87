"""The disproportionality check: proposed people against everyone recorded offending."""

from datetime import UTC, date, datetime

import polars as pl
import pytest

from deter.analysis.disproportionality import breakdown

AS_OF = datetime(2026, 6, 1, tzinfo=UTC)


def test_ratios_compare_shares_of_the_proposed_with_shares_of_offenders():
    # 10 offenders: 4 black (3 proposed), 6 white (1 proposed); one victim-only person
    people = pl.DataFrame({
        "person_id": [f"p{i}" for i in range(11)],
        "harm_score": [100.0] * 10 + [0.0],
        "proposed": [True, True, True, False] + [True] + [False] * 5 + [False],
    })
    recorded = pl.DataFrame({
        "person_id": [f"p{i}" for i in range(11)],
        "date_of_birth": [date(2010, 1, 1)] * 4 + [date(1990, 1, 1)] * 6 + [None],
        "sex": ["male"] * 10 + ["female"],
        "ethnicity": ["black"] * 4 + ["white"] * 6 + ["black"],
    })
    table = breakdown(people, recorded, AS_OF)
    row = {(r["characteristic"], r["value"]): r for r in table.to_dicts()}
    black, white = row[("ethnicity", "black")], row[("ethnicity", "white")]
    assert (black["offenders"], black["proposed"]) == (4, 3)  # the victim-only person is out
    assert black["ratio"] == pytest.approx((3 / 4) / (4 / 10))  # 1.875: over-represented
    assert white["ratio"] == pytest.approx((1 / 4) / (6 / 10))
    assert row[("age band", "14-17")]["offenders"] == 4  # 16 on the analysis date
    assert row[("age band", "35 and over")]["offenders"] == 6
    assert all(r["small"] for r in table.to_dicts())  # fewer than 10 proposed in each


def test_unknown_values_are_counted_not_dropped():
    people = pl.DataFrame({"person_id": ["a", "b"], "harm_score": [5.0, 7.0],
                           "proposed": [True, False]})
    recorded = pl.DataFrame(
        {"person_id": ["a"], "date_of_birth": [None], "sex": [None], "ethnicity": [None]},
        schema={"person_id": pl.String, "date_of_birth": pl.Date, "sex": pl.String,
                "ethnicity": pl.String},
    )
    table = breakdown(people, recorded, AS_OF)
    unknown = table.filter(pl.col("value") == "unknown")
    assert sorted(unknown["characteristic"]) == ["age band", "ethnicity", "sex"]
    assert unknown["offenders"].to_list() == [2, 2, 2]

"""The disproportionality checks: proposed people against everyone recorded offending, and any
group against any baseline with intervals, suppression and warnings."""

from datetime import UTC, date, datetime

import polars as pl
import pytest

from deter.analysis.disproportionality import (
    FairnessSettings,
    attributes,
    breakdown,
    compare,
    counts,
    explain,
    from_breakdown,
    ratio_interval,
)

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


# --- compare(): any group against any baseline, with intervals, suppression and warnings ---


def count_frame(rows: dict[tuple[str, str], int]) -> pl.DataFrame:
    return pl.DataFrame(
        [{"characteristic": c, "value": v, "count": n} for (c, v), n in rows.items()],
        schema={"characteristic": pl.String, "value": pl.String, "count": pl.Int64},
    )


def by_value(table: pl.DataFrame) -> dict[tuple[str, str], dict]:
    return {(r["characteristic"], r["value"]): r for r in table.to_dicts()}


def test_the_ratio_and_its_katz_interval_have_the_known_values():
    # 40 of 50 in the group are male against 600 of 1,000 in the baseline: 0.8 / 0.6 = 4/3;
    # log-scale standard error sqrt(1/40 - 1/50 + 1/600 - 1/1000) = 0.0752773, z = 1.959964
    ratio, low, high = ratio_interval(40, 50, 600, 1000)
    assert ratio == pytest.approx(4 / 3)
    assert low == pytest.approx(1.150436, abs=1e-5)
    assert high == pytest.approx(1.545307, abs=1e-5)
    # 10 of 50 against 400 of 1,000: 0.5, SE sqrt(0.1 - 0.02 + 0.0025 - 0.001) = 0.285482
    ratio, low, high = ratio_interval(10, 50, 400, 1000)
    assert (ratio, low, high) == pytest.approx((0.5, 0.285738, 0.874929), abs=1e-5)
    # a 90% interval is narrower
    _, low90, high90 = ratio_interval(40, 50, 600, 1000, confidence=0.90)
    assert 1.150436 < low90 < high90 < 1.545307
    # nothing to compare with: no ratio
    assert ratio_interval(3, 50, 0, 1000) == (None, None, None)
    assert ratio_interval(0, 0, 10, 100) == (None, None, None)


def test_a_planted_skew_warns_and_a_proportionate_group_does_not():
    baseline = count_frame({("sex", "male"): 600, ("sex", "female"): 400,
                            ("ethnicity", "a"): 100, ("ethnicity", "b"): 150,
                            ("ethnicity", "c"): 750})
    skewed = count_frame({("sex", "male"): 40, ("sex", "female"): 10,
                          ("ethnicity", "a"): 10, ("ethnicity", "b"): 10,
                          ("ethnicity", "c"): 30})
    rows = by_value(compare(skewed, baseline))
    male, female = rows[("sex", "male")], rows[("sex", "female")]
    assert (male["group_total"], male["baseline_total"]) == (50, 1000)
    assert (male["group_share"], male["baseline_share"]) == pytest.approx((0.8, 0.6))
    assert male["warning"] == "over" and female["warning"] == "under"
    assert female["ratio_high"] == pytest.approx(0.874929, abs=1e-5)
    # a: 0.2 / 0.1 = 2, interval 1.115 to 3.59: warned
    assert rows[("ethnicity", "a")]["ratio"] == pytest.approx(2.0)
    assert rows[("ethnicity", "a")]["warning"] == "over"
    # b: 1.33 is outside 0.8-1.25, but its interval (0.75 to 2.37) includes 1: no warning
    b = rows[("ethnicity", "b")]
    assert b["ratio"] == pytest.approx(4 / 3) and b["ratio_low"] < 1 < b["ratio_high"]
    assert b["warning"] is None
    # c: exactly 0.8 is inside the band
    assert rows[("ethnicity", "c")]["ratio"] == pytest.approx(0.8)
    assert rows[("ethnicity", "c")]["warning"] is None

    even = count_frame({("sex", "male"): 300, ("sex", "female"): 200})
    assert all(r["warning"] is None for r in compare(even, baseline).to_dicts())
    ages = count_frame({("age band", "35 and over"): 5, ("age band", "under 14"): 1,
                        ("age band", "unknown"): 9, ("age band", "18-24"): 2})
    assert compare(ages, ages)["value"].to_list() == ["under 14", "18-24", "35 and over",
                                                      "unknown"]
    assert by_value(compare(even, baseline))[("sex", "male")]["ratio"] == pytest.approx(1.0)


def test_counts_from_1_to_9_are_suppressed_with_their_ratio_and_one_more_to_protect_them():
    baseline = count_frame({("ethnicity", "a"): 500, ("ethnicity", "b"): 300,
                            ("ethnicity", "c"): 150, ("ethnicity", "d"): 50,
                            ("sex", "male"): 600, ("sex", "female"): 400})
    group = count_frame({("ethnicity", "a"): 40, ("ethnicity", "b"): 20,
                         ("ethnicity", "c"): 9, ("ethnicity", "d"): 0,
                         ("sex", "male"): 35, ("sex", "female"): 34})
    rows = by_value(compare(group, baseline))
    c, b = rows[("ethnicity", "c")], rows[("ethnicity", "b")]
    assert c["group_suppressed"] and c["ratio"] is None and c["group_share"] is None
    # the total (69) and the others would give 9 away: the next smallest, 20, is hidden too
    assert b["group_suppressed"] and b["ratio"] is None
    assert not rows[("ethnicity", "a")]["group_suppressed"]
    assert rows[("ethnicity", "a")]["ratio"] is not None
    # 0 is not suppressed: nobody to identify
    d = rows[("ethnicity", "d")]
    assert not d["group_suppressed"] and d["ratio"] == 0.0 and d["ratio_low"] == 0.0
    # 0.5 of 70 against 50 of 1,000: exp(log(0.5/70 / 0.05) + 1.96 sqrt(2 - 1/70 + 0.02 - 0.001))
    assert d["ratio_high"] == pytest.approx(2.2914, abs=1e-3)
    assert not any(rows[("sex", v)]["group_suppressed"] for v in ("male", "female"))
    # exactly 10 is shown; the threshold is a setting
    ten = count_frame({("sex", "male"): 10, ("sex", "female"): 40})
    assert not by_value(compare(ten, baseline))[("sex", "male")]["group_suppressed"]
    strict = by_value(compare(ten, baseline, FairnessSettings(suppress_below=20)))
    assert strict[("sex", "male")]["group_suppressed"]
    # a small baseline count is suppressed as well
    tiny = count_frame({("sex", "male"): 995, ("sex", "female"): 5})
    rows = by_value(compare(group, tiny))
    female = rows[("sex", "female")]
    assert female["baseline_suppressed"] and female["ratio"] is None


def test_the_settings_are_checked():
    for bad in ({"suppress_below": 0}, {"low": 1.2}, {"high": 0.9}, {"confidence": 95}):
        with pytest.raises(ValueError, match="fairness"):
            FairnessSettings(**bad)
    guidance = FairnessSettings().guidance()
    assert "0.8 to 1.25" in guidance and "95%" in guidance


def test_explain_says_what_the_warning_is():
    baseline = count_frame({("age band", "under 14"): 21, ("age band", "18-24"): 5951})
    group = count_frame({("age band", "under 14"): 16, ("age band", "18-24"): 807})
    row = by_value(compare(group, baseline))[("age band", "under 14")]
    assert row["ratio"] == pytest.approx((16 / 823) / (21 / 5972))  # the demo's 5.53
    assert row["warning"] == "over"
    sentence = explain(row, "people proposed", "offenders")
    assert sentence.startswith("Under 14 (age band): 1.9% of people proposed against 0.4% of "
                               "offenders, 5.53 times their share (95% interval 2.90 to 10.5")
    assert sentence.endswith("over-represented.")


def test_counts_come_from_attributes_and_a_stored_breakdown():
    recorded = pl.DataFrame({
        "person_id": ["a", "b", "c"], "date_of_birth": [date(2014, 1, 1), date(2000, 1, 1), None],
        "sex": ["male", "", None], "ethnicity": ["white", None, "black"],
    })
    people = attributes(recorded, AS_OF)
    assert people.row(0) == ("a", "male", "under 14", "white")
    assert people.row(1) == ("b", "unknown", "25-34", "unknown")
    table = by_value(counts(people, ["a", "c"]))
    assert table[("age band", "unknown")]["count"] == 1 and table[("sex", "unknown")]["count"] == 1
    assert ("ethnicity", "unknown") not in table  # b is not a member
    proposed, offenders = from_breakdown(
        [{"characteristic": "sex", "value": "male", "offenders": 6, "proposed": 2}])
    assert proposed.row(0) == ("sex", "male", 2) and offenders.row(0) == ("sex", "male", 6)


def test_the_synthetic_countys_planted_skews_are_warned_and_ethnicity_is_not():
    """Ground truth: synth plants street-group members as mostly young men (ages about 19.5,
    93% male) and gives everyone an ethnicity from their home town's mix, not from
    membership."""
    from deter.analysis.synth import END, synthesise

    county = synthesise(seed=1, scale="county")
    people = attributes(county.extract.people, END)
    members = county.truth_people.filter(pl.col("is_group_member"))["person_id"]
    rows = by_value(compare(counts(people, members), counts(people)))
    assert rows[("sex", "male")]["warning"] == "over"
    assert rows[("sex", "female")]["warning"] == "under"
    assert rows[("age band", "18-24")]["warning"] == "over"
    assert rows[("age band", "14-17")]["warning"] == "over"
    assert rows[("age band", "35 and over")]["warning"] == "under"
    white = rows[("ethnicity", "white")]  # three quarters of everyone
    assert 0.8 <= white["ratio"] <= 1.25 and white["warning"] is None

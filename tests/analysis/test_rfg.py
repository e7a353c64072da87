"""RFGV: the documented formula by hand, its bands, its configuration, and the planted truth."""

import json
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from deter.analysis.config import RFGConfig
from deter.analysis.extract import Extract
from deter.analysis.harm_tables import load_harm_table
from deter.analysis.rfg import RFG_COLUMNS, at_least, at_most, rfg_scores
from deter.analysis.synth import synthesise

AS_OF = datetime(2025, 6, 30, 12, 0, tzinfo=UTC)
CCHI = load_harm_table("cchi-2026")


def extract(events: list[tuple], involvements: list[tuple]) -> Extract:
    """events: (event_id, days_before_AS_OF, offence_code); involvements: (event, person, role)."""
    return Extract.from_frames(
        events=pl.DataFrame(
            {
                "event_id": [e[0] for e in events],
                "occurred_at": [AS_OF - timedelta(days=e[1]) for e in events],
                "offence_code": [e[2] for e in events],
            }
        ),
        involvements=pl.DataFrame(
            involvements, schema=["event_id", "person_id", "role"], orient="row"
        ),
    )


def scores(ex: Extract, config: RFGConfig | None = None) -> dict[str, dict]:
    frame = rfg_scores(ex, AS_OF, CCHI, config)
    assert frame.columns == list(RFG_COLUMNS)
    return {row["person_id"]: row for row in frame.to_dicts()}


def hand_extract() -> Extract:
    """p: assault with injury 10 days ago (victim v1), shoplifting 100 days ago (v1 again, and
    p is recorded as a victim too), robbery 400 days ago (victim v2), and a rape 800 days ago,
    outside the two-year window.  v1, v2 and w (a witness) offend in nothing."""
    return extract(
        [("e1", 10, "8N"), ("e2", 100, "46"), ("e3", 400, "34B"), ("e4", 800, "19C")],
        [("e1", "p", "offender"), ("e1", "v1", "victim"),
         ("e2", "p", "suspect"), ("e2", "v1", "victim"), ("e2", "p", "victim"),
         ("e3", "p", "offender"), ("e3", "v2", "victim"), ("e3", "w", "witness"),
         ("e4", "p", "offender"), ("e4", "v3", "victim")],
    )


def test_rfgv_by_hand_from_the_documented_formula():
    got = scores(hand_extract())
    assert set(got) == {"p"}  # victims and witnesses have no RFGV score
    p = got["p"]
    # R: latest offence 10 days ago, within the first band (<= 30 days)     -> 5
    # F: 3 offences in the 730-day window (the 800-day-old rape is outside) -> band 3+ -> 3
    # G: gravest weight 365 days (8N and 34B tie; the more recent wins)     -> band 365+ -> 4
    # V: distinct victims v1, v2 (p's own victimisation does not count)     -> 2
    assert (p["rfg_recency"], p["rfg_frequency"], p["rfg_gravity"], p["rfg_victims"]) == (
        5, 3, 4, 2,
    )
    assert p["rfgv_score"] == 5 + 3 + 4 + 2
    assert (p["rfg_offences"], p["rfg_victim_count"]) == (3, 2)
    assert p["rfg_last_offence_days"] == pytest.approx(10)
    assert (p["rfg_gravest_event"], p["rfg_gravest_weight"]) == ("e1", 365.0)
    assert p["rfgv_explanation"] == (
        "R 5 (latest offence 10 days ago) + F 3 (3 offences) + "
        "G 4 (gravest 8N (Assault with injury) = 365 days) + V 2 (2 victims) = 14"
    )


def test_a_longer_window_takes_in_the_old_rape():
    p = scores(hand_extract(), RFGConfig(window_days=1000))["p"]
    # F: 4 offences -> band 3+ still 3; G: rape 2,555 days -> 5; V: v1, v2, v3 -> 3
    assert (p["rfg_frequency"], p["rfg_gravity"], p["rfg_victims"]) == (3, 5, 3)
    assert p["rfgv_score"] == 5 + 3 + 5 + 3
    assert p["rfg_gravest_event"] == "e4"


def test_recency_falls_band_by_band():
    ages = {"a": 0, "b": 30, "c": 31, "d": 91, "e": 182, "f": 200, "g": 365, "h": 729}
    ex = extract(
        [(f"e_{who}", days, "46") for who, days in ages.items()],
        [(f"e_{who}", who, "offender") for who in ages],
    )
    got = {who: row["rfg_recency"] for who, row in scores(ex).items()}
    assert got == {"a": 5, "b": 5, "c": 4, "d": 4, "e": 3, "f": 2, "g": 2, "h": 1}


def test_band_helpers_at_the_edges():
    frame = pl.DataFrame({"x": [None, -1.0, 0.0, 1.0, 4.0, 5.0, 7.9, 8.0, 100.0]})
    bands = ((1, 1), (2, 2), (3, 3), (5, 4), (8, 5))
    assert frame.select(at_least(pl.col("x"), bands)).to_series().to_list() == [
        0, 0, 0, 1, 3, 4, 4, 5, 5,
    ]
    recency = ((30, 5), (91, 4))
    assert frame.select(at_most(pl.col("x") * 10, recency)).to_series().to_list() == [
        0, 5, 5, 5, 4, 4, 4, 4, 0,
    ]


def test_bands_and_points_are_configuration():
    config = RFGConfig(
        recency_bands=((365, 10),),
        frequency_bands=((1, 0.5), (3, 7)),
        gravity_bands=((100, 2),),
        victim_bands=((2, 9),),
    )
    p = scores(hand_extract(), config)["p"]
    assert (p["rfg_recency"], p["rfg_frequency"], p["rfg_gravity"], p["rfg_victims"]) == (
        10, 7, 2, 9,
    )
    assert p["rfgv_explanation"].endswith("+ V 9 (2 victims) = 28")


def test_config_round_trip_and_validation():
    config = RFGConfig(window_days=365, gravity_bands=((10, 1), (365, 3)))
    saved = json.loads(json.dumps(config.as_dict()))
    assert saved["gravity_bands"] == [[10.0, 1.0], [365.0, 3.0]]
    assert RFGConfig.from_dict(saved) == config
    for bad, field in (
        ({"window_days": 0}, "rfg.window_days"),
        ({"recency_bands": ((30, 5), (30, 4))}, "rfg.recency_bands"),
        ({"frequency_bands": ((2, 1), (1, 2))}, "rfg.frequency_bands"),
        ({"gravity_bands": ((10, -1),)}, "rfg.gravity_bands"),
        ({"victim_bands": ()}, "rfg.victim_bands"),
        ({"victim_bands": (("two", 1),)}, "rfg.victim_bands"),
    ):
        with pytest.raises(ValueError, match=field):
            RFGConfig(**bad)
    with pytest.raises(ValueError, match="unknown"):
        RFGConfig.from_dict({"window": 730})


def test_no_dates_no_scores():
    assert rfg_scores(Extract.from_frames(), None, CCHI).columns == list(RFG_COLUMNS)
    assert rfg_scores(hand_extract(), AS_OF - timedelta(days=5000), CCHI).height == 0


def test_rfgv_tracks_the_planted_offending_rate():
    """In the synthetic county each offender's yearly offending rate is planted; a score meant to
    find the most active, harmful offenders must rank offenders broadly as that rate does."""
    county = synthesise(1, "small")
    extract_ = county.extract
    as_of = extract_.events["occurred_at"].max()
    frame = rfg_scores(extract_, as_of, CCHI).join(county.truth_people, on="person_id")
    assert frame.height > 200
    rho = frame.select(pl.corr("rfgv_score", "propensity", method="spearman")).item()
    assert rho > 0.4
    members = frame.group_by("is_group_member").agg(pl.col("rfgv_score").mean())
    mean = dict(members.iter_rows())
    assert mean[True] > 2 * mean[False]  # planted street-group members offend far more

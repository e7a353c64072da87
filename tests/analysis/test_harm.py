"""Harm scoring: harm-table weight per event, recency decay, offender and victim sides,
fallbacks."""

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from deter.analysis.config import AnalysisConfig
from deter.analysis.extract import Extract
from deter.analysis.harm import event_harm, person_harm
from deter.analysis.harm_tables import cchi_category_table as category_table
from deter.analysis.harm_tables import cchi_code_table as harm_table
from deter.analysis.harm_tables import load_harm_table

AS_OF = datetime(2025, 6, 30, 12, 0, tzinfo=UTC)


def extract(events: list[tuple], involvements: list[tuple]) -> Extract:
    """events: (event_id, days_before_AS_OF, offence_code, offence_category);
    involvements: (event_id, person_id, role)."""
    return Extract.from_frames(
        events=pl.DataFrame(
            {
                "event_id": [e[0] for e in events],
                "occurred_at": [AS_OF - timedelta(days=e[1]) for e in events],
                "offence_code": [e[2] for e in events],
                "offence_category": [e[3] for e in events],
            },
            schema_overrides={"offence_code": pl.String, "offence_category": pl.String},
        ),
        involvements=pl.DataFrame(
            {
                "event_id": [i[0] for i in involvements],
                "person_id": [i[1] for i in involvements],
                "role": [i[2] for i in involvements],
            }
        ),
    )


def scores(ex: Extract, **config) -> dict[str, dict]:
    result = person_harm(ex, AnalysisConfig(as_of=AS_OF, **config))
    return {row["person_id"]: row for row in result.scores.to_dicts()}


def days(code: str | None = None, category: str | None = None) -> float:
    frame = pl.DataFrame(
        {"offence_code": [code], "offence_category": [category]},
        schema={"offence_code": pl.String, "offence_category": pl.String},
    )
    return event_harm(frame)["harm_weight"][0]


def test_assault_with_injury_a_year_ago_scores_half_its_days():
    # 8N assault with injury = 365 days; one half-life (365 days) old => 365 * 0.5
    ex = extract([("e1", 365, "8N", None)], [("e1", "p1", "offender")])
    assert scores(ex)["p1"]["harm_score"] == pytest.approx(182.5)
    assert scores(ex)["p1"]["offence_count"] == 1


def test_recency_decay_follows_the_half_life():
    ex = extract(
        [("e1", 0, "34B", None), ("e2", 730, "34B", None), ("e3", 182.5, "34B", None)],
        [("e1", "a", "offender"), ("e2", "b", "offender"), ("e3", "c", "suspect")],
    )
    got = scores(ex)
    assert got["a"]["harm_score"] == pytest.approx(365.0)
    assert got["b"]["harm_score"] == pytest.approx(365.0 * 0.25)
    assert got["c"]["harm_score"] == pytest.approx(365.0 * 0.5**0.5)
    longer = scores(ex, half_life_days=730.0)
    assert longer["b"]["harm_score"] == pytest.approx(365.0 * 0.5)


def test_victim_harm_is_kept_apart_from_offender_harm():
    ex = extract(
        [("e1", 365, "8N", None), ("e2", 0, "46", None)],
        [
            ("e1", "offender", "offender"),
            ("e1", "victim", "victim"),
            ("e1", "witness", "witness"),
            ("e1", "bystander", "other"),
            ("e2", "victim", "suspect"),  # victim-offender overlap: shoplifting, 1 day
        ],
    )
    got = scores(ex)
    assert got["offender"]["harm_score"] == pytest.approx(182.5)
    assert got["offender"]["victim_harm_score"] == 0
    assert got["victim"]["victim_harm_score"] == pytest.approx(182.5)
    assert got["victim"]["harm_score"] == pytest.approx(1.0)
    assert (got["victim"]["offence_count"], got["victim"]["victimisation_count"]) == (1, 1)
    # witnesses and other roles score on neither side
    assert "witness" not in got and "bystander" not in got


def test_suspect_and_offender_on_one_event_count_once():
    ex = extract([("e1", 0, "34A", None)], [("e1", "p", "suspect"), ("e1", "p", "offender")])
    result = person_harm(ex, AnalysisConfig(as_of=AS_OF))
    assert result.scores.row(0, named=True)["harm_score"] == pytest.approx(365.0)
    assert result.scores.row(0, named=True)["offence_count"] == 1
    assert result.harm_events["role"].to_list() == ["offender"]


def test_window_excludes_old_and_future_events():
    ex = extract(
        [
            ("kept", 1095, "34B", None),
            ("old", 1096, "34B", None),
            ("ancient", 4000, "1", None),
            ("future", -1, "1", None),
        ],
        [(e, "p", "offender") for e in ("kept", "old", "ancient", "future")],
    )
    result = person_harm(ex, AnalysisConfig(as_of=AS_OF))
    assert result.harm_events["event_id"].to_list() == ["kept"]
    assert result.events_in_window == 1
    assert result.scores["offence_count"].to_list() == [1]
    shorter = person_harm(ex, AnalysisConfig(as_of=AS_OF, window_days=365))
    assert shorter.scores.height == 0


def test_as_of_defaults_to_the_latest_event():
    ex = extract([("e1", 10, "8N", None), ("e2", 375, "8N", None)], [("e2", "p", "offender")])
    result = person_harm(ex, AnalysisConfig())
    assert result.as_of == AS_OF - timedelta(days=10)
    assert result.scores["harm_score"][0] == pytest.approx(182.5)


def test_naive_as_of_is_taken_as_utc():
    ex = extract([("e1", 365, "8N", None)], [("e1", "p", "offender")])
    naive = AS_OF.replace(tzinfo=None)
    assert person_harm(ex, AnalysisConfig(as_of=naive)).scores["harm_score"][0] == (
        pytest.approx(182.5)
    )


def test_category_fallback_for_police_uk_style_events():
    assert days(category="Robbery") == 365.0
    assert days(category="ROBBERY ") == 365.0
    assert days(category="Violence and sexual offences") == pytest.approx(194.21)
    # police.uk API slugs
    assert days(category="possession-of-weapons") == 273.75
    assert days(category="violent-crime") == pytest.approx(194.21)
    assert days(category="criminal-damage-arson") == pytest.approx(11.18)
    ex = extract([("e1", 0, None, "Robbery")], [("e1", "p", "offender")])
    assert scores(ex)["p"]["harm_score"] == pytest.approx(365.0)


def test_offence_code_wins_over_category():
    assert days("46", "Robbery") == 1.0  # shoplifting code, whatever the category says
    assert days(" 8n ", None) == 365.0  # codes match after trimming, in either case


def test_combined_homicide_code_matches_each_part():
    for code in ("1", "4.1", "4.10", "4.2", "1/4.1/4.10/4.2"):
        assert days(code) == 5475.0, code


def test_unknown_events_score_zero_and_are_reported():
    ex = extract(
        [("e1", 0, "XYZ", None), ("e2", 0, None, "Anti-social behaviour"), ("e3", 0, None, None),
         ("e4", 0, "8N", None)],
        [("e1", "p", "offender"), ("e2", "p", "offender"), ("e4", "q", "offender")],
    )
    # the CCHI itself gives anti-social behaviour nothing (the default table since issue 13
    # does: tests/analysis/test_asb_harm.py)
    result = person_harm(ex, AnalysisConfig(as_of=AS_OF, harm_table="cchi-2026"))
    assert result.events_in_window == 4
    assert result.events_unweighted == 3
    reported = {(u["offence_code"], u["offence_category"]) for u in result.unweighted}
    assert reported == {("XYZ", None), (None, "Anti-social behaviour"), (None, None)}
    p = result.scores.filter(pl.col("person_id") == "p").row(0, named=True)
    assert (p["harm_score"], p["offence_count"]) == (0.0, 2)
    unweighted = result.harm_events.filter(pl.col("person_id") == "p")
    assert unweighted["weighted_by"].null_count() == 2
    assert unweighted["harm_weight"].to_list() == [0.0, 0.0]


def test_explanation_rows_add_up_to_the_scores():
    ex = extract(
        [("e1", 100, "8N", None), ("e2", 200, "28E", None), ("e3", 300, None, "Burglary")],
        [("e1", "a", "offender"), ("e2", "a", "suspect"), ("e3", "a", "victim"),
         ("e2", "b", "victim")],
    )
    result = person_harm(ex, AnalysisConfig(as_of=AS_OF))
    assert result.harm_events.columns == [
        "person_id", "side", "event_id", "occurred_at", "offence_code", "offence_category",
        "role", "harm_weight", "decay", "contribution", "weighted_by",
    ]
    totals = result.harm_events.group_by("person_id", "side").agg(pl.col("contribution").sum())
    a = {r["side"]: r["contribution"] for r in totals.filter(pl.col("person_id") == "a").to_dicts()}
    row = result.scores.filter(pl.col("person_id") == "a").row(0, named=True)
    assert row["harm_score"] == pytest.approx(a["offender"])
    assert row["victim_harm_score"] == pytest.approx(a["victim"])
    expected = 365 * 0.5 ** (100 / 365) + 273.5 * 0.5 ** (200 / 365)
    assert row["harm_score"] == pytest.approx(expected)
    assert row["victim_harm_score"] == pytest.approx(244.68 * 0.5 ** (300 / 365))


# Published facts (../shared/data/real/cambridge_crime_harm_index_subgroup/SOURCE.md)


def test_homicide_is_the_maximum_and_shoplifting_the_minimum():
    table = harm_table()
    top = table.sort("cchi_days", descending=True).row(0, named=True)
    bottom = table.sort("cchi_days").row(0, named=True)
    assert (top["offence_subgroup"], top["cchi_days"]) == ("Homicide", 5475.0)
    assert 5475 == 15 * 365
    assert (bottom["offence_subgroup"], bottom["cchi_days"]) == ("Shoplifting", 1.0)


def test_robbery_and_residential_burglary_values():
    table = harm_table()
    robbery = table.filter(pl.col("offence_subgroup").str.starts_with("Robbery"))
    assert robbery.height == 2 and set(robbery["cchi_days"]) == {365.0}
    assert days("28E") == 273.5  # burglary residential
    assert days("34A") == days("34B") == 365.0


def test_police_uk_category_order():
    published = [
        ("robbery", 365.0),
        ("possession of weapons", 273.75),
        ("burglary", 244.68),
        ("violence and sexual offences", 194.21),
        ("criminal damage and arson", 11.18),
        ("other crime", 10.0),
        ("public order", 7.5),
        ("vehicle crime", 5.0),
        ("drugs", 3.66),
        ("bicycle theft", 2.0),
        ("other theft", 2.0),
        ("theft from the person", 2.0),
        ("shoplifting", 1.0),
    ]
    table = category_table().sort(["cchi_days", "policeuk_category"], descending=[True, False])
    assert list(table.iter_rows()) == published
    got = [days(category=name.title()) for name, _ in published]
    assert got == [value for _, value in published]


def test_every_offence_code_has_days_and_a_known_category():
    table = harm_table()
    assert table["cchi_days"].null_count() == 0
    assert (table["cchi_days"] > 0).all()
    assert set(table["policeuk_category"]) <= set(category_table()["policeuk_category"])


# The configured table


def test_a_user_table_replaces_the_weights(tmp_path):
    path = tmp_path / "ours.csv"
    path.write_text("# unit: points\noffence_code,weight\n8N,100\n46,7\n", encoding="utf-8")
    ex = extract(
        [("e1", 365, "8N", None), ("e2", 0, "46", None), ("e3", 0, "34B", "Robbery")],
        [("e1", "p", "offender"), ("e2", "p", "offender"), ("e3", "q", "offender")],
    )
    result = person_harm(ex, AnalysisConfig(as_of=AS_OF, harm_table=str(path)))
    assert result.table.name == "ours" and result.table.unit == "points"
    got = {r["person_id"]: r["harm_score"] for r in result.scores.to_dicts()}
    assert got["p"] == pytest.approx(100 * 0.5 + 7)
    # 34B is not in this table and it has no categories: unweighted, and reported as such
    assert got["q"] == 0.0 and result.events_unweighted == 1
    weights = dict(result.harm_events.select("event_id", "harm_weight").iter_rows())
    assert weights == {"e1": 100.0, "e2": 7.0, "e3": 0.0}
    # the same events under the default table (the CCHI with ASB weights, whose offence
    # codes are the CCHI's)
    default = person_harm(ex, AnalysisConfig(as_of=AS_OF))
    assert default.table is load_harm_table("cchi-2026-asb")
    assert dict(default.harm_events.select("event_id", "harm_weight").iter_rows()) == {
        "e1": 365.0, "e2": 1.0, "e3": 365.0,
    }

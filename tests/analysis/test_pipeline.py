"""analyse() end to end on a hand-made extract, ranking, the config record and the outputs."""

import json
from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest

from deter.analysis.config import AnalysisConfig, RFGConfig, SelectionCriteria
from deter.analysis.extract import Extract, ExtractError
from deter.analysis.harm_tables import load_harm_table
from deter.analysis.pipeline import (
    GROUP_COLUMNS,
    OUTPUT_FILES,
    AnalysisResult,
    analyse,
    write_outputs,
)

AS_OF = datetime(2025, 3, 1, tzinfo=UTC)


def crew_extract() -> Extract:
    """Two crews of four who offend together, one lone offender, one victim-only person.

    Crew A (a1-a4) commit two robberies (34B, 365 days) today; crew B (b1-b4) one assault with
    injury (8N, 365 days) a year ago.  a1 and b1 are cousins.  l1 shoplifts alone.  v1 is the
    victim of the assault; w1 witnesses it.
    """
    events = [
        ("r1", AS_OF, "34B", None),
        ("r2", AS_OF, "34B", None),
        ("s1", AS_OF - timedelta(days=365), "8N", None),
        ("t1", AS_OF - timedelta(days=30), None, "Shoplifting"),
        ("old", AS_OF - timedelta(days=2000), "1", None),
    ]
    involvements = (
        [(e, f"a{i}", "offender") for e in ("r1", "r2") for i in range(1, 5)]
        + [("s1", f"b{i}", "suspect") for i in range(1, 5)]
        + [("s1", "v1", "victim"), ("s1", "w1", "witness"), ("t1", "l1", "offender")]
        + [("old", "b1", "offender")]
    )
    people = sorted({i[1] for i in involvements} | {"quiet"})
    return Extract.from_frames(
        people=pl.DataFrame({"person_id": people}),
        events=pl.DataFrame(
            events,
            schema={"event_id": pl.String, "occurred_at": pl.Datetime("us", "UTC"),
                    "offence_code": pl.String, "offence_category": pl.String},
            orient="row",
        ),
        involvements=pl.DataFrame(
            involvements, schema=["event_id", "person_id", "role"], orient="row"
        ),
        associations=pl.DataFrame(
            {"person_a": ["a1"], "person_b": ["b1"], "kind": ["cousin"]}
        ),
        groups=pl.DataFrame({"group_id": ["RG-A", "RG-B"], "name": ["Crew A", "Crew B"]}),
        memberships=pl.DataFrame(
            {
                "person_id": ["a1", "a2", "a3", "b1", "b2", "b3", "b4"],
                "group_id": ["RG-A", "RG-A", "RG-B", "RG-B", "RG-B", "RG-B", "RG-B"],
                "start": [date(2020, 1, 1)] * 7,
                "end": [None] * 6 + [date(2015, 1, 1)],  # b4's membership ended long ago
            }
        ),
    )


@pytest.fixture(scope="module")
def result() -> AnalysisResult:
    return analyse(crew_extract(), AnalysisConfig())


def person(result: AnalysisResult, person_id: str) -> dict:
    return result.people.filter(pl.col("person_id") == person_id).row(0, named=True)


def test_people_table(result):
    people = result.people
    assert people.columns[:8] == [
        "person_id", "group_id", "harm_score", "victim_harm_score", "offence_count",
        "victimisation_count", "degree", "rank",
    ]
    for column in ("rfgv_score", "rfg_recency", "rfg_frequency", "rfg_gravity", "rfg_victims",
                   "rfgv_explanation", "violent_offences", "victim_offender", "criteria_met",
                   "proposed"):
        assert column in people.columns
    # everyone the extract names, including someone with no involvement at all
    assert set(people["person_id"]) == {
        *(f"a{i}" for i in range(1, 5)), *(f"b{i}" for i in range(1, 5)), "v1", "w1", "l1",
        "quiet",
    }
    assert people["rank"].to_list() == list(range(1, 13))
    a1 = person(result, "a1")
    assert (a1["harm_score"], a1["offence_count"], a1["degree"]) == (730.0, 2, 4)
    b2 = person(result, "b2")
    assert (b2["harm_score"], b2["offence_count"], b2["degree"]) == (182.5, 1, 3)
    # the 2000-day-old homicide is outside the three-year window
    assert person(result, "b1")["harm_score"] == 182.5
    assert person(result, "l1")["harm_score"] == pytest.approx(0.5 ** (30 / 365))
    v1 = person(result, "v1")
    assert (v1["harm_score"], v1["victim_harm_score"], v1["victimisation_count"]) == (
        0.0, 182.5, 1,
    )
    # rank 1..4: crew A (ties broken by degree, then id: a1 has the cousin link)
    assert people["person_id"].head(4).to_list() == ["a1", "a2", "a3", "a4"]
    assert people["person_id"].head(8).tail(4).to_list() == ["b1", "b2", "b3", "b4"]


def test_groups_table(result):
    groups = result.groups
    assert groups.columns == list(GROUP_COLUMNS)
    rows = {r["group_id"]: r for r in groups.to_dicts()}
    assert set(rows) == {"N001", "N002"}
    assert rows["N001"]["size"] == 4 and rows["N001"]["harm_score"] == 4 * 730.0
    assert rows["N002"]["harm_score"] == 4 * 182.5
    assert rows["N001"]["rank"] == 1 and rows["N002"]["rank"] == 2
    # recorded groups: crew A holds two RG-A members and one RG-B member
    assert rows["N001"]["members_recorded_groups"] == "RG-A"
    assert rows["N001"]["recorded_group_share"] == 0.5
    # b4's membership ended before the window
    assert rows["N002"]["members_recorded_groups"] == "RG-B"
    assert rows["N002"]["recorded_group_share"] == 0.75
    group = dict(result.people.select("person_id", "group_id").iter_rows())
    assert {group[f"a{i}"] for i in range(1, 5)} == {"N001"}
    assert {group[f"b{i}"] for i in range(1, 5)} == {"N002"}
    assert group["v1"] is None and group["l1"] is None and group["quiet"] is None
    # group harm is the sum of its members' harm
    sums = result.people.group_by("group_id").agg(pl.col("harm_score").sum()).drop_nulls()
    assert dict(sums.iter_rows()) == {r["group_id"]: r["harm_score"] for r in groups.to_dicts()}


def test_graph_and_explanations(result):
    graph = result.graph
    assert sorted(graph.vs["name"]) == sorted(result.people["person_id"])
    a1, b1 = graph.vs.find(name="a1").index, graph.vs.find(name="b1").index
    assert graph.es[graph.get_eid(a1, b1)]["kinds"] == "cousin"
    assert graph.es[graph.get_eid("a1", "a2")]["weight"] == 2.0
    explained = result.harm_events.filter(pl.col("person_id") == "a1")
    assert sorted(explained["event_id"]) == ["r1", "r2"]
    assert explained["contribution"].sum() == 730.0


def test_summary(result):
    summary = result.summary
    assert summary["as_of"] == AS_OF.isoformat()
    assert summary["people"] == 12
    assert summary["events"] == 5 and summary["events_in_window"] == 4
    assert summary["events_unweighted"] == 0
    assert summary["edges"] == 6 + 6 + 1
    assert summary["groups"] == 2
    assert summary["modularity"] > 0.3
    assert {"harm", "network", "groups", "ranking", "selection", "total"} <= set(
        summary["seconds"]
    )
    table = load_harm_table("cchi-2026-asb")  # the default since issue 13
    assert summary["harm_table"] == table.summary()
    assert summary["harm_table"]["unit"] == "days"
    assert summary["criteria"]["description"] == (
        "Proposed when meeting all of: violent offence in 24 months; harm >= 365 days."
    )
    assert summary["criteria"]["proposed"] == 4
    assert summary["criteria"]["people_meeting"] == {
        "violent offence in 24 months": 8, "harm >= 365 days": 4,
    }
    # nobody is both victim and offender: v1 is only a victim; 9 offenders, 1 victim
    assert summary["victim_offender"] == {
        "people": 0, "offenders": 9, "victims": 1, "share_of_victims_who_offend": 0.0,
        "share_of_offenders_who_are_victims": 0.0,
    }
    assert summary["config"] == AnalysisConfig().as_dict()
    json.dumps(summary)  # serialisable as it is


def test_selection_and_rfgv(result):
    proposed = result.people.filter(pl.col("proposed"))
    # crew A's two robberies today: 730 days of harm and violent; crew B's year-old assault is
    # violent but 182.5 days; l1 only shoplifts; v1 is only a victim
    assert sorted(proposed["person_id"]) == ["a1", "a2", "a3", "a4"]
    assert set(proposed["criteria_met"]) == {"violent offence in 24 months,harm >= 365 days"}
    assert person(result, "b2")["criteria_met"] == "violent offence in 24 months"
    assert person(result, "l1")["criteria_met"] == ""
    assert person(result, "v1")["criteria_met"] == "" and not person(result, "v1")["proposed"]
    # RFGV by hand: a1 R 5 (today) + F 2 (2 offences) + G 4 (365 days) + V 0 (no victim) = 11;
    # b1 R 2 (365 days ago) + F 1 + G 4 + V 1 (v1) = 8, the 2000-day-old homicide is outside
    a1, b1 = person(result, "a1"), person(result, "b1")
    assert (a1["rfg_recency"], a1["rfg_frequency"], a1["rfg_gravity"], a1["rfg_victims"]) == (
        5, 2, 4, 0,
    )
    assert a1["rfgv_score"] == 11 and b1["rfgv_score"] == 8
    assert b1["rfgv_explanation"].startswith("R 2 (latest offence 365 days ago)")
    assert person(result, "v1")["rfgv_score"] == 0
    assert person(result, "quiet")["rfgv_explanation"] == "no offence in the RFGV window"
    assert not result.people["victim_offender"].any()


def test_user_harm_table_is_recorded_with_the_run(tmp_path):
    path = tmp_path / "ours.csv"
    path.write_text(
        "# name: our-table\n# unit: points\noffence_code,weight\n34B,10\n8N,1000\n46,1\n",
        encoding="utf-8",
    )
    config = AnalysisConfig(
        harm_table=str(path), criteria=SelectionCriteria(min_harm_score=500.0)
    )
    result = analyse(crew_extract(), config)
    assert result.summary["harm_table"]["name"] == "our-table"
    assert result.summary["harm_table"]["version"] == load_harm_table(str(path)).version
    assert result.summary["config"]["harm_table"] == str(path)
    assert person_row(result, "a1")["harm_score"] == 20.0
    assert person_row(result, "b1")["harm_score"] == 500.0
    # the threshold is in the table's unit, and says so
    assert sorted(result.people.filter(pl.col("proposed"))["person_id"]) == [
        "b1", "b2", "b3", "b4",
    ]
    assert person_row(result, "b1")["criteria_met"] == (
        "violent offence in 24 months,harm >= 500 points"
    )
    path.write_text("offence_code,weight\n34B,lots\n", encoding="utf-8")
    with pytest.raises(ExtractError) as caught:
        analyse(crew_extract(), config)
    assert (caught.value.row, caught.value.column) == (2, "weight")


def test_same_input_same_result():
    first, second = analyse(crew_extract()), analyse(crew_extract())
    assert first.people.equals(second.people)
    assert first.groups.equals(second.groups)


def test_progress_messages():
    messages: list[str] = []
    analyse(crew_extract(), progress=messages.append)
    assert messages[0] == "scoring harm" and messages[-1] == "done"


def test_unweighted_events_are_announced():
    ex = crew_extract()
    ex.events = ex.events.with_columns(pl.lit(None, dtype=pl.String).alias("offence_code"))
    messages: list[str] = []
    result = analyse(ex, progress=messages.append)
    assert result.summary["events_unweighted"] == 3
    assert any("3 of 4 events" in m for m in messages)


def test_config_round_trip_and_validation():
    config = AnalysisConfig(
        as_of=datetime(2024, 1, 2, 3, 4, 5),  # noqa: DTZ001 (naive: taken as UTC)
        window_days=730, half_life_days=180.0,
        resolution=1.5, seed=9, association_weights={"sibling": 2.0}, min_group_size=4,
        leiden_iterations=5, harm_table="ons-css:weights.csv",
        rfg=RFGConfig(window_days=365, victim_bands=((2, 3), (4, 6))),
        criteria=SelectionCriteria(min_violent_offences=2, min_rfgv_score=9.5, combine="any"),
    )
    saved = json.loads(json.dumps(config.as_dict()))
    assert saved["as_of"] == "2024-01-02T03:04:05+00:00"
    restored = AnalysisConfig.from_dict(saved)
    assert restored.as_dict() == saved
    # nested settings come back as their dataclasses, not dicts
    assert (restored.rfg, restored.criteria) == (config.rfg, config.criteria)
    assert restored.rfg.victim_bands == ((2.0, 3.0), (4.0, 6.0))
    assert saved["criteria"]["combine"] == "any" and saved["rfg"]["window_days"] == 365
    assert restored.as_of == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    for bad in ({"window_days": 0}, {"half_life_days": 0}, {"resolution": -1},
                {"min_group_size": 0}, {"association_weights": {"x": -1.0}},
                {"leiden_iterations": 0}, {"leiden_iterations": -2}, {"harm_table": ""},
                {"rfg": {"window_days": 10}}, {"criteria": "strict"}):
        with pytest.raises(ValueError):
            AnalysisConfig(**bad)
    # a bad nested setting names its field
    with pytest.raises(ValueError, match="rfg.recency_bands"):
        AnalysisConfig.from_dict({**saved, "rfg": {**saved["rfg"], "recency_bands": [[1, 2]] * 2}})
    with pytest.raises(ValueError, match="criteria.combine"):
        AnalysisConfig.from_dict({**saved, "criteria": {**saved["criteria"], "combine": "x"}})
    with pytest.raises(ValueError, match="unknown settings"):
        AnalysisConfig.from_dict({**saved, "half_life": 3})


def test_as_of_moves_the_window():
    earlier = analyse(crew_extract(), AnalysisConfig(as_of=AS_OF - timedelta(days=100)))
    # the robberies have not happened yet; the assault is 265 days old
    assert person_row(earlier, "a1")["harm_score"] == 0
    assert person_row(earlier, "b1")["harm_score"] == pytest.approx(365 * 0.5 ** (265 / 365))
    later = analyse(crew_extract(), AnalysisConfig(as_of=AS_OF + timedelta(days=2000)))
    assert later.people["harm_score"].sum() == 0
    assert later.summary["edges"] == 1  # only the undated cousin link


def person_row(result: AnalysisResult, person_id: str) -> dict:
    return result.people.filter(pl.col("person_id") == person_id).row(0, named=True)


def test_empty_extract():
    result = analyse(Extract.from_frames())
    assert result.people.height == 0 and result.groups.height == 0
    assert result.summary["as_of"] is None and result.summary["edges"] == 0


def test_write_outputs(result, tmp_path):
    out = tmp_path / "run"
    write_outputs(result, out)
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUT_FILES)
    people = pl.read_csv(out / "people.csv")
    assert people["person_id"].to_list() == result.people["person_id"].to_list()
    assert people["harm_score"].to_list() == result.people["harm_score"].to_list()
    groups = pl.read_csv(out / "groups.csv")
    assert groups["group_id"].to_list() == ["N001", "N002"]
    events = pl.read_csv(out / "harm_events.csv")
    assert events.height == result.harm_events.height
    assert events["person_id"].to_list() == sorted(events["person_id"].to_list())
    assert events.filter(pl.col("person_id") == "a1")["occurred_at"][0] == "2025-03-01T00:00:00Z"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["config"]["window_days"] == 1095
    assert summary["groups"] == 2
    # writing again replaces the files and leaves no partial ones behind
    write_outputs(result, out)
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_a_population_table_gives_lsoa_rates_per_1000_residents(tmp_path):
    from deter.analysis.synth import synthesise

    extract = synthesise(2, "small").extract
    codes = extract.events["lsoa_code"].drop_nulls().unique().sort()
    assert codes.len() > 10
    residents = pl.DataFrame({"lsoa_code": codes,
                              "population": [500 + 10 * i for i in range(codes.len())]})
    residents.write_csv(tmp_path / "population.csv")
    without = analyse(extract).places.filter(pl.col("place_kind") == "lsoa")
    assert without["events_per_1000"].is_null().all()
    config = AnalysisConfig(population_table=str(tmp_path / "population.csv"))
    lsoa = analyse(extract, config).places.filter(pl.col("place_kind") == "lsoa")
    rates = lsoa.join(residents.rename({"lsoa_code": "place_id", "population": "given"}),
                      on="place_id", how="inner")
    assert rates.height > 10
    assert (rates["population"] == rates["given"]).all()
    expected = rates["events"] * 1000 / rates["given"]
    assert ((rates["events_per_1000"] - expected).abs() < 1e-9).all()

"""The planted emerging street group (the YEF Kent case): eight children known only for
anti-social behaviour, found by the network as one group, scored under the default harm table
(ASB weighted) and not under the plain CCHI, and never proposed by the selection criteria."""

from __future__ import annotations

import datetime as dt
import functools

import polars as pl
import pytest

from deter.analysis.config import AnalysisConfig
from deter.analysis.harm_tables import CCHI_TABLE, DEFAULT_TABLE, load_harm_table
from deter.analysis.pipeline import analyse
from deter.analysis.synth import END_DATE, synthesise
from deter.analysis.synth.emerging import (
    ASB,
    CORE,
    MEMBERS,
    PHASE_INCIDENTS,
    START,
    STEPS,
    plant_emerging_group,
)


@functools.cache
def _planted(scale: str = "small"):
    county = synthesise(seed=1, scale=scale)
    return county, *plant_emerging_group(county)


@functools.cache
def _analysed(table: str):
    _, planted, truth = _planted()
    return analyse(planted.extract, AnalysisConfig(harm_table=table)), truth


def test_it_adds_eight_children_of_14_to_16_and_93_incidents_in_the_kent_shape():
    county, planted, truth = _planted()
    people = planted.extract.people.filter(pl.col("person_id").is_in(list(truth.members)))
    ages = [(END_DATE - born).days // 365.25 for born in people["date_of_birth"]]
    assert people.height == MEMBERS and min(ages) == 14 and max(ages) == 16
    assert not set(truth.members) & set(county.extract.people["person_id"])  # new ids
    assert truth.incidents.height == 93 and truth.by_phase() == list(PHASE_INCIDENTS)
    events = planted.extract.events.join(truth.incidents, on="event_id")
    assert set(events["offence_category"]) == {ASB} and events["lsoa_code"].n_unique() == 1
    assert events["occurred_at"].min().date() >= START
    # the whole group until the first step, the core of three until the second, then one
    inv = planted.extract.involvements.join(truth.incidents, on="event_id")
    for phase, expected in enumerate((set(truth.members), set(truth.core), {truth.last})):
        assert set(inv.filter(pl.col("phase") == phase)["person_id"]) == expected
    assert len(truth.core) == CORE and truth.last in truth.core
    late = events.filter(pl.col("occurred_at").dt.date() >= STEPS[1])
    assert late.height == PHASE_INCIDENTS[2]
    # nothing else changes
    assert planted.extract.events.height == county.extract.events.height + 93
    assert planted.extract.associations.equals(county.extract.associations)


def test_the_network_finds_them_as_one_group_of_exactly_eight():
    result, truth = _analysed(DEFAULT_TABLE)
    people = result.people.filter(pl.col("person_id").is_in(list(truth.members)))
    assert people["group_id"].n_unique() == 1
    label = people["group_id"][0]
    group = result.groups.filter(pl.col("group_id") == label).row(0, named=True)
    assert group["size"] == MEMBERS


def test_asb_scores_under_the_default_table_and_not_under_the_plain_cchi():
    weighted, truth = _analysed(DEFAULT_TABLE)
    plain, _ = _analysed(CCHI_TABLE)
    members = list(truth.members)

    def harm(result) -> dict[str, float]:
        rows = result.people.filter(pl.col("person_id").is_in(members))
        return dict(zip(rows["person_id"], rows["harm_score"], strict=True))

    assert all(score > 0 for score in harm(weighted).values())
    assert all(score == 0 for score in harm(plain).values())
    # the last one was in the most incidents, and most recently: the highest score
    assert max(harm(weighted), key=harm(weighted).get) == truth.last
    table = load_harm_table(DEFAULT_TABLE)
    assert not planted_events_violent(table)


def planted_events_violent(table) -> bool:
    _, planted, truth = _planted()
    events = planted.extract.events.join(truth.incidents.select("event_id"), on="event_id")
    return bool(events.filter(table.is_violent()).height)


def test_the_selection_criteria_never_propose_them():
    result, truth = _analysed(DEFAULT_TABLE)
    rows = result.people.filter(pl.col("person_id").is_in(list(truth.members)))
    assert not rows["proposed"].any()


@pytest.mark.parametrize("seed", [1, 7])
def test_it_is_seeded_and_writes_its_truth(tmp_path, seed):
    county = synthesise(seed=1, scale="small")
    once, first = plant_emerging_group(county, seed=seed)
    again, second = plant_emerging_group(county, seed=seed)
    assert once.extract.involvements.equals(again.extract.involvements)
    first.write(tmp_path)
    written = (tmp_path / "emerging_group.json").read_text()
    assert '"incidents": 93' in written and first.members[0] in written
    assert dt.date.fromisoformat(first.to_json()["steps"][0]) == STEPS[0]

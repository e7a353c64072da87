"""Anti-social behaviour in the harm table (issue 13): ``cchi-2026-asb``, the default for new
runs, weights each ASB incident type; the CCHI alone gives ASB nothing, so a group driven by
ASB scored zero and never reached the panel."""

import hashlib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from deter.analysis.config import AnalysisConfig, SelectionCriteria
from deter.analysis.extract import Extract
from deter.analysis.harm import event_harm, person_harm
from deter.analysis.harm_tables import (
    ASB_TABLE,
    CCHI_TABLE,
    DEFAULT_TABLE,
    cchi_2026,
    diff_tables,
    load_harm_table,
)
from deter.analysis.pipeline import analyse

DATA = Path(__file__).resolve().parents[2] / "src/deter/analysis/data"
LANCASHIRE = Path("/work/shared/data/real/police_uk_lancashire_asb_2022/lancashire_asb_2022.tsv")
AS_OF = datetime(2024, 10, 31, 12, 0, tzinfo=UTC)


def weight(table, category: str) -> float:
    frame = pl.DataFrame({"offence_code": [None], "offence_category": [category]},
                         schema={"offence_code": pl.String, "offence_category": pl.String})
    return event_harm(frame, table)["harm_weight"][0]


def test_new_runs_use_the_table_with_asb_weights_and_old_ones_keep_theirs():
    assert DEFAULT_TABLE == ASB_TABLE == AnalysisConfig().harm_table == "cchi-2026-asb"
    assert load_harm_table(CCHI_TABLE) is cchi_2026()  # still loadable, unchanged


def test_each_asb_type_has_its_nominal_days_and_nothing_else_moves():
    table = load_harm_table(ASB_TABLE)
    assert weight(table, "Anti-social behaviour") == 1.0  # data.police.uk's single type
    assert weight(table, "anti-social-behaviour") == 1.0  # slug spelling
    assert weight(table, "ASB - Personal") == 2.0
    assert weight(table, "ASB Nuisance") == 1.0
    assert weight(table, "asb_environmental") == 0.5
    # the CCHI gives none of them a weight
    assert weight(cchi_2026(), "Anti-social behaviour") == 0.0
    # every crime keeps its CCHI weight: the only change is the four ASB categories added
    changes = diff_tables(cchi_2026(), table)
    assert {row["key"] for row in changes["added"]} == {
        "anti social behaviour", "asb personal", "asb nuisance", "asb environmental"}
    assert changes["removed"] == changes["reweighted"] == changes["reclassified"] == []
    assert not any(row["violent"] for row in changes["added"])  # ASB is never violence


def test_its_version_hashes_all_three_files_so_runs_record_which_weights_they_used():
    table = load_harm_table(ASB_TABLE)
    digest = hashlib.sha256(
        (DATA / "harm_cchi_2026.csv").read_bytes()
        + (DATA / "harm_cchi_2026_by_policeuk_category.csv").read_bytes()
        + (DATA / "harm_asb_2026.csv").read_bytes()
    ).hexdigest()[:12]
    assert table.version == digest != cchi_2026().version
    assert table.summary()["name"] == "cchi-2026-asb"
    assert "anti-social behaviour" in table.source
    assert table.summary()["offence_categories"] == cchi_2026().summary()[
        "offence_categories"] + 4


@pytest.fixture(scope="module")
def lancashire() -> pl.DataFrame:
    if not LANCASHIRE.exists():
        pytest.skip("the shared Lancashire ASB data is not on this machine")
    frame = pl.read_csv(LANCASHIRE, separator="\t", infer_schema=False)
    return frame.select(
        pl.lit(None, dtype=pl.String).alias("offence_code"),
        pl.lit("Anti-social behaviour").alias("offence_category"),
        "lsoa_code", "month",
    )


def test_lancashire_2022_every_asb_incident_is_weighted(lancashire):
    # 56,434 incidents (the crimemappingdata documentation), none weighted by the CCHI
    assert lancashire.height == 56_434
    before = event_harm(lancashire, cchi_2026())
    assert before["weighted_by"].null_count() == 56_434 and before["harm_weight"].sum() == 0
    after = event_harm(lancashire, load_harm_table(ASB_TABLE))
    assert after["weighted_by"].unique().to_list() == ["offence_category"]
    assert after["harm_weight"].sum() == 56_434.0


def test_lancashire_2022_the_scale_a_year_of_asb_weighs(lancashire):
    """The busiest LSOA's year of ASB (769 incidents) weighs about two assaults with injury
    (365 days each): enough to register, never enough to outrank serious violence."""
    harmed = event_harm(lancashire, load_harm_table(ASB_TABLE))
    by_lsoa = harmed.group_by("lsoa_code").agg(pl.col("harm_weight").sum(), n=pl.len())
    top = by_lsoa.sort("harm_weight", descending=True).row(0, named=True)
    assert (top["lsoa_code"], top["n"], top["harm_weight"]) == ("E01024877", 769, 769.0)
    assert 2 * 365 < top["harm_weight"] < 3 * 365
    by_month = harmed.group_by("month").agg(pl.col("harm_weight").sum()).sort("month")
    assert by_month["harm_weight"].to_list()[:2] == [4415.0, 4087.0]


def asb_group() -> Extract:
    """Five 15-year-olds in 60 ASB incidents over the last year, three of them at each (the
    Deal street group): no crime at all."""
    members = ["y1", "y2", "y3", "y4", "y5"]
    events, involvements = [], []
    for n in range(60):
        event_id = f"asb{n}"
        events.append((event_id, AS_OF - timedelta(days=6 * n)))
        for k in range(3):
            involvements.append((event_id, members[(n + k) % 5], "suspect"))
    return Extract.from_frames(
        events=pl.DataFrame({
            "event_id": [e[0] for e in events], "occurred_at": [e[1] for e in events],
            "offence_code": [None] * len(events),
            "offence_category": ["Anti-social behaviour"] * len(events)},
            schema_overrides={"offence_code": pl.String}),
        involvements=pl.DataFrame({
            "event_id": [i[0] for i in involvements], "person_id": [i[1] for i in involvements],
            "role": [i[2] for i in involvements]}),
        people=pl.DataFrame({"person_id": members,
                             "date_of_birth": [date(2009, 3, 1)] * 5}),
    )


def test_an_asb_driven_group_scores_and_is_proposed_only_with_asb_weights():
    extract = asb_group()
    # ASB-focused criteria a programme like Kent's would set: no violent-offence requirement
    criteria = SelectionCriteria(violent_within_days=None, min_harm_score=10.0)
    config = AnalysisConfig(as_of=AS_OF, criteria=criteria, half_life_days=365)
    harm = person_harm(extract, config)
    # each member is a suspect at 36 of the 60 incidents (3 of 5 at each)
    undecayed = {row["person_id"]: row["offence_count"] for row in harm.scores.to_dicts()}
    assert undecayed == {"y1": 36, "y2": 36, "y3": 36, "y4": 36, "y5": 36}
    total = sum(harm.scores["harm_score"])
    decays = sum(3 * 0.5 ** (6 * n / 365) for n in range(60))
    assert total == pytest.approx(decays)
    scored = analyse(extract, config)
    assert scored.people["proposed"].sum() == 5
    assert scored.groups.height == 1 and scored.groups["harm_score"][0] == pytest.approx(decays)
    # under the CCHI alone the same group scores nothing and nobody reaches the panel
    cchi = analyse(extract, AnalysisConfig(as_of=AS_OF, criteria=criteria,
                                           harm_table=CCHI_TABLE))
    assert cchi.people["proposed"].sum() == 0
    assert cchi.people["harm_score"].sum() == 0

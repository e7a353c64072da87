"""One bad value must not silently empty the analysis: non-finite numbers are refused by name,
and a result more likely a fault in the data than a finding is said (summary["warnings"])."""

from datetime import UTC, datetime

import polars as pl
import pytest

from deter.analysis.config import AnalysisConfig
from deter.analysis.extract import Extract
from deter.analysis.pipeline import AnalysisInputError, analyse
from deter.analysis.synth import synthesise
from deter.cli import main


@pytest.fixture(scope="module")
def county() -> Extract:
    return synthesise(seed=4, scale="small").extract


def with_table(extract: Extract, **frames: pl.DataFrame) -> Extract:
    return Extract.from_frames(**{**extract.tables(), **frames})


def test_the_synthetic_county_analyses_without_warnings(county):
    result = analyse(county, AnalysisConfig(stability_seeds=1))
    assert result.summary["warnings"] == []
    assert result.groups.height > 0


def test_one_nan_weight_is_refused_naming_the_record(county):
    weights = county.associations["weight"].to_list()
    weights[7] = float("nan")
    bad = with_table(county, associations=county.associations.with_columns(
        pl.Series("weight", weights, dtype=pl.Float64)))
    with pytest.raises(AnalysisInputError) as caught:
        analyse(bad, AnalysisConfig(stability_seeds=1))
    assert "associations, column weight: nan is not a finite number" in str(caught.value)
    assert repr(county.associations["person_a"][7]) in str(caught.value)


def test_one_event_dated_far_ahead_is_warned_of_and_empties_the_proposals(county):
    """An extract read before intake checked dates (or from frames) with one event in 2099:
    the analysis date follows it, and the summary says so instead of only proposing nobody."""
    events = county.events.with_columns(
        pl.when(pl.int_range(pl.len()) == 0)
        .then(pl.lit(datetime(2099, 1, 1, tzinfo=UTC)))
        .otherwise(pl.col("occurred_at")).alias("occurred_at"))
    result = analyse(with_table(county, events=events), AnalysisConfig(stability_seeds=1))
    warnings = " | ".join(result.summary["warnings"])
    assert "the analysis date 2099-01-01 comes from 1 event(s)" in warnings
    assert f"({events['event_id'][0]})" in warnings
    assert "nobody meets the selection criteria" in warnings


def test_deter_analyse_refuses_a_nan_weight_without_a_traceback(tmp_path, capsys):
    from deter.analysis.extract import write_extract

    county = synthesise(seed=4, scale="small").extract
    write_extract(county, tmp_path / "x")
    path = tmp_path / "x" / "associations.csv"
    lines = path.read_text().splitlines()
    fields = lines[1].split(",")
    fields[3] = "NaN"
    lines[1] = ",".join(fields)
    path.write_text("\n".join(lines) + "\n")
    # intake refuses it first, by file, row and column
    assert main(["analyse", "--extract", str(tmp_path / "x"), "--out", str(tmp_path / "o")]) == 2
    assert "associations.csv, row 2, column weight: 'NaN' is not a finite number" in (
        capsys.readouterr().err)

"""Property: any extract made from a valid one by a few malformations is either refused with
an ExtractError naming its place (and nothing is loaded) or loaded whole; never a traceback.
Hypothesis draws the mutations of ``benchmarks/intake_fuzz.py`` (where a 100,000-case run
lives); run on SQLite and on PostgreSQL (DATABASE_URL)."""

import importlib.util
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


def _load_fuzz():
    """``benchmarks/intake_fuzz.py`` (a folder outside the package, not on the test path)."""
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "intake_fuzz.py"
    spec = importlib.util.spec_from_file_location("benchmarks.intake_fuzz", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


fuzz = _load_fuzz()
BASE, KINDS, NASTY, Mutation = fuzz.BASE, fuzz.KINDS, fuzz.NASTY, fuzz.Mutation
outcome, write_case = fuzz.outcome, fuzz.write_case

mutations = st.lists(
    st.builds(Mutation, kind=st.sampled_from(KINDS), table=st.sampled_from(list(BASE)),
              line=st.integers(0, 7), position=st.integers(0, 400),
              value=st.one_of(st.sampled_from(NASTY), st.text(max_size=8))),
    min_size=1, max_size=3,
)


@pytest.mark.django_db
@settings(max_examples=1000, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(mutations)
def test_a_malformed_extract_is_refused_by_place_or_loaded_whole(changes):
    with tempfile.TemporaryDirectory(prefix="deter-fuzz-") as work:
        folder = Path(work) / "case"
        write_case(folder, changes)
        kind, detail = outcome(folder)
    assert kind in ("accepted", "refused"), detail


@pytest.mark.django_db
def test_the_base_extract_is_accepted_and_a_known_fault_refused(tmp_path):
    """The property above is not vacuous: its base loads, and one planted fault is refused."""
    write_case(tmp_path / "a", [])
    assert outcome(tmp_path / "a")[0] == "accepted"
    write_case(tmp_path / "b", [Mutation("cell", "associations", 1, 3, "NaN")])
    assert outcome(tmp_path / "b") == (
        "refused", "associations.csv, row 2, column weight: 'NaN' is not a finite number")

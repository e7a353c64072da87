"""The speed benchmark compares like with like: its pandas + networkx pipeline
(``benchmarks/pandas_networkx.py``) computes the same harm scores and the same network as Deter.

On the small synthetic county written as Parquet, the pandas pipeline's harm per person equals
``person_harm`` (same people, values within 1e-9 relative, same counts) and its graph has exactly
Deter's edges, co-offending and associations alike.  The harness itself is checked too: a child
process reports what it read and its peak memory, and a timeout is recorded as such.
"""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from deter.analysis.extract import read_extract, write_extract
from deter.analysis.harm import SCORE_COLUMNS, person_harm
from deter.analysis.network import build_network
from deter.analysis.pipeline import analyse
from deter.analysis.synth import synthesise

ROOT = Path(__file__).resolve().parents[1]


def load(name: str):
    """A module of ``benchmarks/`` (a folder outside the package, not on the test path)."""
    spec = importlib.util.spec_from_file_location(
        f"benchmarks.{name}", ROOT / "benchmarks" / f"{name}.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


pnx = load("pandas_networkx")
agreement = load("agreement")


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("small")
    write_extract(synthesise(1, "small").extract, out, "parquet")
    return out


@pytest.fixture(scope="module")
def tables(folder):
    return pnx.read_tables(folder)


@pytest.fixture(scope="module")
def extract(folder):
    return read_extract(folder)


def test_harm_per_person_equals_deters(tables, extract):
    deter = person_harm(extract).scores
    theirs = pl.from_pandas(pnx.harm_per_person(tables))
    assert sorted(theirs.columns) == sorted(SCORE_COLUMNS)
    assert deter.height > 1000 and (deter["harm_score"] > 0).sum() > 300
    assert (deter["victim_harm_score"] > 0).sum() > 300
    both = deter.join(theirs, on="person_id", how="full", suffix="_pd")
    assert both["person_id"].null_count() == 0 and both["person_id_pd"].null_count() == 0
    for column in ("harm_score", "victim_harm_score"):
        np.testing.assert_allclose(both[f"{column}_pd"], both[column], rtol=1e-9, atol=0)
    for column in ("offence_count", "victimisation_count"):
        assert (both[f"{column}_pd"] == both[column]).all(), column


def test_network_has_exactly_deters_edges(tables, extract):
    graph = build_network(extract)
    names = graph.vs["name"]
    deter = {
        (names[e.source], names[e.target]): (e["weight"], e["shared_events"]) for e in graph.es
    }
    co = pnx.co_offending_edges(tables)
    theirs_co = dict(zip(zip(co["a"], co["b"], strict=True), co["shared_events"], strict=True))
    deter_co = {pair: shared for pair, (_, shared) in deter.items() if shared > 0}
    assert len(deter_co) > 300
    assert theirs_co == deter_co

    network = pnx.people_network(tables)
    assert network.number_of_nodes() == graph.vcount()
    theirs = {(min(a, b), max(a, b)): w for a, b, w in network.edges(data="weight")}
    assert len(theirs) > len(deter_co)  # associations add links co-offending does not
    assert theirs.keys() == deter.keys()
    assert all(abs(theirs[pair] - weight) < 1e-9 for pair, (weight, _) in deter.items())


@pytest.fixture(scope="module")
def core(tables):
    return pnx.core_network(pnx.people_network(tables))


@pytest.fixture(scope="module")
def deter_people(extract, core):
    people = analyse(extract).people.rename({"betweenness_raw": "betweenness"})
    return people.filter(pl.col("person_id").is_in(list(core.nodes)))


def test_the_core_is_the_people_deter_partitions(extract, core):
    graph = build_network(extract)
    sizes = np.bincount(graph.connected_components().membership)
    in_core = sizes[graph.connected_components().membership] >= pnx.MIN_COMPONENT
    assert set(core.nodes) == {n for n, keep in zip(graph.vs["name"], in_core, strict=True)
                               if keep}
    assert 100 < core.number_of_nodes() < graph.vcount() / 2


def test_louvain_and_leiden_find_much_the_same_groups(core, deter_people):
    groups = pnx.louvain_groups(core)
    theirs = pl.DataFrame(
        {"person_id": list(core.nodes),
         "group_id": [None if p not in groups else str(groups[p]) for p in core.nodes]},
        schema={"person_id": pl.String, "group_id": pl.String},
    )
    sizes = theirs.drop_nulls().group_by("group_id").len()["len"]
    assert sizes.min() >= pnx.MIN_COMPONENT and sizes.max() <= pnx.MAX_GROUP_SIZE
    ari = agreement.group_agreement(deter_people.select("person_id", "group_id"), theirs)
    # two heuristics for the same objective: close, not identical
    assert 0.6 < ari < 1.0


def test_exact_betweenness_agrees_with_networkx(core, deter_people):
    exact = pnx.sampled_betweenness(core, k=core.number_of_nodes())
    theirs = pl.DataFrame({"person_id": list(exact), "betweenness": list(exact.values())})
    both = deter_people.join(theirs, on="person_id", suffix="_nx")
    assert both.height == core.number_of_nodes() and both["betweenness"].max() > 100
    np.testing.assert_allclose(both["betweenness_nx"], both["betweenness"], rtol=1e-9,
                               atol=1e-9)
    agreed = agreement.betweenness_agreement(deter_people, theirs)
    assert agreed["spearman"] > 0.999 and agreed["top_overlap"] >= 95  # ties at the cut


def test_the_harness_measures_a_child_and_records_a_timeout(folder, extract):
    speed = load("analysis_speed")
    floor = speed.run_contender("floor-polars", folder, timeout=None)
    assert floor["error"] is None
    assert floor["report"]["rows"] == {
        name: frame.height for name, frame in extract.tables().items() if frame.height
    }
    assert 0.01 < floor["peak_rss_gib"] < 2
    stopped = speed.run_contender("pandas-networkx", folder, timeout=0.001)
    assert stopped["error"] == f"did not finish in {0.001 / 60:g} minutes"

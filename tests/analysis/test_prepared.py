"""The prepared input: one analysis builds its window, network and components once, and each
part equals what the measure modules build when called on their own."""

import igraph as ig
import numpy as np
import pytest

from deter.analysis import harm, stability
from deter.analysis.config import AnalysisConfig
from deter.analysis.harm import person_harm
from deter.analysis.network import build_network, victim_suspect_links
from deter.analysis.pipeline import analyse
from deter.analysis.prepared import prepare
from deter.analysis.synth import synthesise


@pytest.fixture(scope="module")
def county():
    return synthesise(1, "small").extract


def _counting(monkeypatch, owner, name, calls):
    original = getattr(owner, name)

    def counted(*args, **kwargs):
        calls[name] = calls.get(name, 0) + 1
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, counted)


def test_one_run_resolves_its_date_and_components_once(county, monkeypatch):
    calls: dict[str, int] = {}
    for module in (harm, stability):
        _counting(monkeypatch, module, "resolve_as_of", calls)
    _counting(monkeypatch, harm, "load_harm_table", calls)
    sizes: list[int] = []  # the vertex count of each graph whose components are computed
    original = ig.Graph.connected_components
    monkeypatch.setattr(ig.Graph, "connected_components",
                        lambda graph, *a, **k: sizes.append(graph.vcount()) or original(
                            graph, *a, **k))
    result = analyse(county, AnalysisConfig())
    assert result.groups.height > 0
    assert calls == {"resolve_as_of": 1, "load_harm_table": 1}
    # the whole network's components once; the disruption analysis splits pieces of what is
    # left once a broker is removed, which are other, smaller graphs
    assert sizes.count(max(sizes)) == 1
    assert result.disruption.height > 0


def test_prepared_parts_equal_the_standalone_builds(county):
    config = AnalysisConfig(window_days=400)
    prepared = prepare(county, config)
    alone = build_network(county, config)
    assert prepared.graph.get_edgelist() == alone.get_edgelist()
    assert prepared.graph.es["weight"] == alone.es["weight"]
    assert prepared.links.equals(victim_suspect_links(county, config))
    alone_scores = person_harm(county, config).scores.sort("person_id")
    shared = person_harm(county, config, window=prepared.window).scores.sort("person_id")
    assert alone_scores["person_id"].equals(shared["person_id"])
    # summed in parallel: the same terms, perhaps in another order
    np.testing.assert_allclose(shared["harm_score"], alone_scores["harm_score"], rtol=1e-12)
    sizes = np.bincount(alone.connected_components().membership)
    assert sorted(np.unique(prepared.component_sizes)) == sorted(np.unique(sizes))
    assert prepared.events.height < county.events.height  # the window cut something

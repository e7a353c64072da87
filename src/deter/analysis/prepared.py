"""The input of one analysis run, prepared once and shared by every measure.

``prepare`` builds, from an extract and its settings:

* ``window``: the as-of moment, the harm table and the events in the window (UTC) with their
  recency decay and harm weight (``deter.analysis.harm.event_window``);
* ``graph``: the people network (``deter.analysis.network.build_network``);
* ``components``: the connected component of each vertex, and ``component_sizes``: the size of
  each vertex's component (groups, stability, betweenness and exposure all need them);
* ``links``: the window's victim-suspect links (rivalries and exposure).

Each measure module takes the parts it needs and builds them itself when called alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import igraph as ig
import numpy as np
import polars as pl

from deter.analysis.config import AnalysisConfig
from deter.analysis.extract import Extract
from deter.analysis.harm import EventWindow, event_window
from deter.analysis.harm_tables import HarmTable
from deter.analysis.network import build_network, victim_suspect_links


@dataclass(frozen=True, eq=False)
class Prepared:
    extract: Extract
    config: AnalysisConfig
    window: EventWindow
    graph: ig.Graph  # vertex "name" = person_id; edge "weight", "shared_events", "kinds"
    components: np.ndarray  # component id of each vertex, in vertex order
    links: pl.DataFrame  # deter.analysis.network.LINK_COLUMNS

    @property
    def as_of(self) -> datetime | None:
        return self.window.as_of

    @property
    def table(self) -> HarmTable:
        return self.window.table

    @property
    def events(self) -> pl.DataFrame:
        return self.window.events

    @property
    def component_sizes(self) -> np.ndarray:
        """The size of each vertex's connected component, in vertex order."""
        return component_sizes(self.components)


def connected_components(graph: ig.Graph) -> np.ndarray:
    """The connected component of each vertex of ``graph``, as an int64 array."""
    return np.asarray(graph.connected_components().membership, dtype=np.int64)


def component_sizes(components: np.ndarray) -> np.ndarray:
    return np.bincount(components)[components] if components.size else components


def prepare(
    extract: Extract,
    config: AnalysisConfig | None = None,
    table: HarmTable | None = None,
    *,
    window: EventWindow | None = None,
) -> Prepared:
    """Everything the measures share, each built once (see the module text); ``window``: the
    run's ``event_window`` when it is already built (the pipeline scores harm first)."""
    config = config or AnalysisConfig()
    window = window or event_window(extract, config, table)
    graph = build_network(extract, config, window=window)
    return Prepared(
        extract=extract,
        config=config,
        window=window,
        graph=graph,
        components=connected_components(graph),
        links=victim_suspect_links(extract, config, window=window),
    )

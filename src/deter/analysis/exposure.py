"""Victimisation risk from network exposure: how close a person is to recent violence.

Papachristos & Wildeman (2014, *American Journal of Public Health* 104:143-150) found, in a
Chicago co-offending network, that the closer a person was to a homicide victim the likelier
they were to be killed: each step further away cut the odds by about 57%, and 41% of gun
homicides fell in a network component holding under 4% of the neighbourhood's people.  Deter
measures the same kind of exposure from the extract.

*Violence people*: everyone who was a victim, suspect or offender of a violent event in the
``within_days`` (default 365) before the analysis date (any date when the extract has none);
*violent* is the harm table's definition unless ``violent`` says otherwise.  The exposure
network is the people network (``build_network``: co-offending and associations in the
window).  By default the victim-suspect links of the window's events count too, for the first
step only: whoever attacked someone, or was attacked by them, is one step from them (that is
where retaliation runs), but exposure does not travel on through such a link, so the many
victims of one prolific offender are not made each other's exposure.

For each person *i*::

    exposure_score(i) = exposed_1(i) + second_step_weight * exposed_2(i)
    exposed_1(i) = number of violence people j != i one step from i
    exposed_2(i) = number of violence people j != i two network steps from i but not one

``second_step_weight`` is 0.5 by default: a person two steps away counts half, roughly the 57%
fall in risk per step that Papachristos & Wildeman measured.  Each person counts once however
many paths lead to them and whatever their role; links count whatever their weight.  A person's
own victimisation or offending is *not* part of their exposure: that is victim or offender harm,
reported separately.  ``victims_1``, ``victims_2``, ``suspects_1`` and ``suspects_2`` split the
counts by role (a person who was both counts in each), and ``steps_to_victim`` is the distance to
the nearest recent victim of violence (1 or 2; null when further or unconnected), the measure
of the paper.

``at_risk``: ``exposure_score >= at_risk_min_score`` (default 3: one step from three violence
people, or from one and four more a step further out, and so on).  One or two links are common
(a victim and their attacker are one step apart), so the default asks for more than one
incident's worth; a programme should set it to the capacity of its support offer.  At risk is a
third status, apart from offender and victim: it calls for a safeguarding or support offer,
never enforcement.

Caveats: the network holds only what was recorded; people the police do not see are missing, so
a score of 0 does not mean safe.  Exposure is a measure of proximity, not a prediction for one
person: most people with a high score will not be harmed.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import igraph as ig
import numpy as np
import polars as pl
import scipy.sparse as sp

from deter.analysis.config import AnalysisConfig
from deter.analysis.extract import OFFENDING_ROLES, Extract
from deter.analysis.harm import EventWindow, event_window
from deter.analysis.keyplayers import vertex_names
from deter.analysis.network import victim_suspect_links
from deter.analysis.prepared import connected_components

EXPOSURE_COLUMNS = (
    "person_id", "violence_victim", "violence_suspect", "victims_1", "suspects_1", "exposed_1",
    "victims_2", "suspects_2", "exposed_2", "steps_to_victim", "exposure_score", "at_risk",
)


def network_exposure(
    graph: ig.Graph,
    extract: Extract,
    config: AnalysisConfig | None = None,
    *,
    within_days: int = 365,
    second_step_weight: float = 0.5,
    at_risk_min_score: float = 3.0,
    victim_suspect: bool = True,
    violent: pl.Expr | None = None,
    links: pl.DataFrame | None = None,
    window: EventWindow | None = None,
) -> pl.DataFrame:
    """``EXPOSURE_COLUMNS``, one row per vertex of ``graph`` in vertex order.

    ``graph``: the people network (vertex ``name`` = person_id); ``victim_suspect``: add the
    window's victim-suspect links to it, for the first step only; ``links``: those links when
    already computed (``victim_suspect_links``); ``violent``: a boolean expression over the
    events' offence code and category (default: the configured harm table's violent offences);
    ``window``: the run's ``event_window``, when built (the analysis date and harm table).
    """
    config = config or AnalysisConfig()
    if within_days <= 0:
        raise ValueError("within_days must be positive")
    if not 0 <= second_step_weight <= 1:
        raise ValueError("second_step_weight must be between 0 and 1")
    if at_risk_min_score <= 0:
        raise ValueError("at_risk_min_score must be positive")
    window = window or event_window(extract, config)
    if violent is None:
        violent = window.table.is_violent()
    names = pl.Series("person_id", vertex_names(graph), dtype=pl.String)
    index = pl.DataFrame({"person_id": names}).with_row_index("v")
    n = graph.vcount()
    victim, suspect = _violence_people(extract, window, index, n, within_days, violent)
    edges = np.asarray(graph.get_edgelist(), dtype=np.int64).reshape(-1, 2)
    network = first = _adjacency(edges, n)
    if victim_suspect:
        if links is None:
            links = victim_suspect_links(extract, config, window=window)
        first = _adjacency(np.concatenate([edges, _vertex_pairs(links, index)]), n)
    either = victim | suspect
    victims_1 = first @ victim.astype(np.int64)
    suspects_1 = first @ suspect.astype(np.int64)
    exposed_1 = first @ either.astype(np.int64)
    victims_2, suspects_2, exposed_2 = _second_step(network, first, victim, suspect, either)
    score = exposed_1 + second_step_weight * exposed_2
    steps = np.where(victims_1 > 0, 1, np.where(victims_2 > 0, 2, 0))
    return pl.DataFrame(
        {
            "person_id": names,
            "violence_victim": victim,
            "violence_suspect": suspect,
            "victims_1": victims_1,
            "suspects_1": suspects_1,
            "exposed_1": exposed_1,
            "victims_2": victims_2,
            "suspects_2": suspects_2,
            "exposed_2": exposed_2,
            "steps_to_victim": pl.Series(steps, dtype=pl.Int64).replace(0, None),
            "exposure_score": score.astype(np.float64),
            "at_risk": score >= at_risk_min_score,
        }
    ).cast({c: pl.Int64 for c in EXPOSURE_COLUMNS if c[-2:] in ("_1", "_2")}).select(
        EXPOSURE_COLUMNS
    )


def _violence_people(
    extract: Extract,
    window: EventWindow,
    index: pl.DataFrame,
    n: int,
    within_days: int,
    violent: pl.Expr,
) -> tuple[np.ndarray, np.ndarray]:
    """Boolean arrays over vertices: victim of, and suspect/offender of, recent violence."""
    as_of = window.as_of
    events = extract.events.filter(violent)
    if as_of is not None:
        events = events.filter(
            pl.col("occurred_at").is_between(as_of - timedelta(days=within_days), as_of)
        )
    roles = (
        extract.involvements.join(events.select("event_id"), on="event_id", how="semi")
        .join(index, on="person_id", how="inner")
        .select(
            "v",
            (pl.col("role") == "victim").alias("is_victim"),
            pl.col("role").is_in(OFFENDING_ROLES).alias("is_suspect"),
        )
    )
    victim, suspect = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    victim[roles.filter("is_victim")["v"].to_numpy()] = True
    suspect[roles.filter("is_suspect")["v"].to_numpy()] = True
    return victim, suspect


def _vertex_pairs(links: pl.DataFrame, index: pl.DataFrame) -> np.ndarray:
    pairs = (
        links.select("victim", "suspect")
        .join(index.rename({"person_id": "victim", "v": "a"}), on="victim", how="inner")
        .join(index.rename({"person_id": "suspect", "v": "b"}), on="suspect", how="inner")
        .select(pl.col("a").cast(pl.Int64), pl.col("b").cast(pl.Int64))
    )
    return pairs.to_numpy().reshape(-1, 2)


def _adjacency(pairs: np.ndarray, n: int) -> sp.csr_matrix:
    """Symmetric 0/1 adjacency without self-loops."""
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    rows = np.concatenate([pairs[:, 0], pairs[:, 1]])
    cols = np.concatenate([pairs[:, 1], pairs[:, 0]])
    matrix = sp.csr_matrix((np.ones(rows.size, dtype=np.int64), (rows, cols)), shape=(n, n))
    matrix.data[:] = 1  # duplicate links collapse to one
    return matrix


def _second_step(
    network: sp.csr_matrix,
    first: sp.csr_matrix,
    victim: np.ndarray,
    suspect: np.ndarray,
    either: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per vertex, distinct victims, suspects and violence people two network steps away and
    not one step away in ``first`` (the network plus any victim-suspect links)."""
    n = network.shape[0]
    targets = np.flatnonzero(either)
    if targets.size == 0 or network.nnz == 0:
        zeros = np.zeros(n, dtype=np.int64)
        return zeros, zeros.copy(), zeros.copy()
    walks = (network @ network[:, targets]).tocsr()  # two-step walks to each target
    walks.data[:] = 1
    walks = (walks - walks.multiply(first[:, targets])).tocsr()
    walks.eliminate_zeros()
    found = walks.tocoo()
    target = targets[found.col]
    keep = target != found.row  # a walk there and back is not exposure to oneself
    row, target = found.row[keep], target[keep]
    return (
        np.bincount(row, weights=victim[target], minlength=n).astype(np.int64),
        np.bincount(row, weights=suspect[target], minlength=n).astype(np.int64),
        np.bincount(row, minlength=n).astype(np.int64),
    )


def exposure_summary(
    graph: ig.Graph, exposure: pl.DataFrame, components: np.ndarray | None = None
) -> dict[str, Any]:
    """How concentrated recent violence is in the people network (co-offending and
    associations only, as Papachristos & Wildeman counted it), and how many are at risk.

    ``linked_*``: people with at least one link, and the share of recent victims of violence
    among them; ``largest_component_*``: the same for the largest connected component.
    ``components``: each vertex's connected component, when already known.
    """
    people = exposure.height
    victim = exposure["violence_victim"].to_numpy().astype(bool)
    victims = int(victim.sum())
    linked = np.asarray(graph.degree(), dtype=np.int64) > 0
    largest = np.zeros(graph.vcount(), dtype=bool)
    if graph.vcount():
        membership = connected_components(graph) if components is None else components
        largest = membership == np.bincount(membership).argmax()

    def share(part: int, whole: int) -> float | None:
        return round(part / whole, 6) if whole else None

    return {
        "people": people,
        "at_risk": int(exposure["at_risk"].sum()),
        "recent_violence_victims": victims,
        "linked_people_share": share(int(linked.sum()), people),
        "linked_victims_share": share(int((victim & linked).sum()), victims),
        "largest_component_people_share": share(int(largest.sum()), people),
        "largest_component_victims_share": share(int((victim & largest).sum()), victims),
    }

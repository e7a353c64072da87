"""Which events count as violence: one definition for the group response, the meeting agenda,
the demo cohort and anything else in the web app that asks.

It is the definition an analysis run recorded from its harm table (``AnalysisRun.violence``,
``deter.analysis.violence``), so "violent" means the same in a run's selection criteria and in
a group's violence flag, even where a programme's own harm table narrows or widens it. Without
a run, the default table's definition applies.
"""

import functools

from django.db.models import Q, QuerySet

from deter.analysis.harm_tables import DEFAULT_TABLE, load_harm_table
from deter.analysis.violence import Violence

from .. import policy
from ..models import AnalysisRun


@functools.cache
def default_violence() -> Violence:
    return Violence.of(load_harm_table(DEFAULT_TABLE))


def violence_of(run: AnalysisRun | None) -> Violence:
    """The definition ``run`` recorded, or the default table's."""
    if run is not None and run.violence:
        return Violence.from_json(run.violence)
    return default_violence()


def current_violence(programme=None) -> Violence:
    """The definition of the programme's current analysis run (``policy.runs.current``)."""
    return violence_of(policy.runs.current(programme))


def violent(candidates: QuerySet, violence: Violence, event: str = "event__") -> QuerySet:
    """``candidates`` narrowed to violent events. ``event`` is the path from the candidates to
    their event ("" for events themselves). The definition is decided in Python once per
    distinct offence code and category among the candidates (a handful, however many rows),
    then applied as one filter."""
    code, category = f"{event}offence_code", f"{event}offence_category"
    pairs = candidates.order_by().values_list(code, category).distinct()
    chosen = [pair for pair in pairs if violence.counts(*pair)]
    if not chosen:
        return candidates.none()
    match = Q()
    for offence_code, offence_category in chosen:
        match |= Q(**{code: offence_code, category: offence_category})
    return candidates.filter(match)


# --- the drug market's offences (Project ADDER, issue 16) -------------------------------------
# Home Office offence codes, as the harm table groups them (deter/analysis/data/
# harm_cchi_2026.csv): "Trafficking of drugs" is its own offence subgroup (92A); "Possession of
# weapons offences" is an offence group (firearms with intent, other firearms, other weapons,
# bladed articles, other knives). An event with no code (a police.uk street-level record)
# counts as a weapons offence by its police.uk category; police.uk's "drugs" mixes possession
# with trafficking, so it is never counted as trafficking.
TRAFFICKING_CODES = frozenset({"92A"})
DRUG_POSSESSION_CODES = frozenset({"92C", "92D", "92E"})
WEAPONS_CODES = frozenset({"10A", "10B", "10C", "10D", "81", "90"})
WEAPONS_CATEGORY = "possession of weapons"


def trafficking(event: str = "") -> Q:
    """Events (at the path ``event`` from the candidates) with a trafficking code."""
    return Q(**{f"{event}offence_code__in": sorted(TRAFFICKING_CODES)})


def weapons(event: str = "") -> Q:
    """Events with a weapons-possession code, or with no code and police.uk's category."""
    return Q(**{f"{event}offence_code__in": sorted(WEAPONS_CODES)}) | Q(
        **{f"{event}offence_code": "", f"{event}offence_category": WEAPONS_CATEGORY})

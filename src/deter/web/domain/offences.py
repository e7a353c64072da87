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

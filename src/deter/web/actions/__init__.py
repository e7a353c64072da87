"""Action functions: the one road for writes.

Each action takes the acting user first, asks the policy, validates, writes in one transaction
together with its audit row, and returns what it wrote. A refused action writes a "denied" audit
row and raises ``PermissionDenied``; invalid input raises ``ValidationError`` and writes nothing.
Views, the API and scripts call these and never save protected models themselves.

One module per area: ``cohort`` (panel decisions, plans, groups), ``interventions`` (support,
community, enforcement and communication, with their life-cycle), ``meetings`` (meetings,
call-ins, actions), ``letters``.
"""

from .cohort import (
    change_membership,
    decide,
    decide_group,
    decide_many,
    propose,
    propose_from_run,
    propose_group,
    update_group_plan,
    update_plan,
)
from .interventions import add_intervention

__all__ = [
    "change_membership",
    "decide_many",
    "add_intervention",
    "decide",
    "decide_group",
    "propose",
    "propose_from_run",
    "propose_group",
    "update_group_plan",
    "update_plan",
]

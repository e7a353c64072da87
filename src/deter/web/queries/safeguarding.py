"""The safeguarding summary at the top of a child's page.

Children as young as 14 are in focused deterrence cohorts, so for a child (``domain.people``:
under 18, or of unknown age) the page leads with their safeguarding status and lead in each
programme the viewer sees them in, the lead professional, and a warning where an active plan
has no safeguarding status recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .. import policy
from ..domain import people
from ..domain.data_categories import Category
from ..models import CohortEntry, Person
from ..policy import User


@dataclass(frozen=True)
class Summary:
    age: int | None
    entries: list[CohortEntry]
    unrecorded: list[CohortEntry]  # active entries with no safeguarding status
    # the entries whose safeguarding status and lead the viewer's agreement shares
    shared: frozenset[int] = frozenset()

    @property
    def is_child(self) -> bool:
        return people.is_child(self.age)


def summary(user: User, person: Person, today: date,
            entries: list[CohortEntry] | None = None) -> Summary | None:
    """For a child (or anyone with a safeguarding status recorded): the summary; else None.

    ``entries`` is ``policy.entries.of_person`` (with ``safeguarding_lead``), for a caller that
    already has it."""
    if entries is None:
        entries = list(
            policy.entries.of_person(user, person).select_related("safeguarding_lead"))
    age = person.age_on(today)
    is_child = people.is_child(age)
    shared = [entry for entry in entries
              if Category.SAFEGUARDING in policy.entries.fields(user, entry)]
    if not is_child and not any(entry.safeguarding for entry in shared):
        return None
    unrecorded = [
        entry for entry in shared
        if is_child and entry.status == CohortEntry.Status.ACTIVE and not entry.safeguarding
    ]
    return Summary(age=age, entries=entries, unrecorded=unrecorded,
                   shared=frozenset(entry.pk for entry in shared))

"""What interventions achieved, read for the intervention, person and group pages (issue
13): an operation's counted results, its premises, a recurring schedule's occurrences, and a
person's movement. The callers have fetched the intervention or person through the policy."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from ..models import (
    Event,
    Intervention,
    InterventionSchedule,
    Occurrence,
    OperationOutcome,
    Person,
    PremisesLink,
)

MOVEMENT = "movement-"


@dataclass
class Recorded:
    """One intervention's structured outcome, for its page and the person and group pages."""

    outcome: OperationOutcome | None
    premises: list[PremisesLink]
    schedule: InterventionSchedule | None
    occurrences: list[Occurrence]

    @property
    def tally(self) -> dict[str, int]:
        counted = Counter(o.outcome or "pending" for o in self.occurrences)
        return {"planned": len(self.occurrences), "attended": counted["attended"],
                "not_attended": counted["not_attended"], "cancelled": counted["cancelled"],
                "pending": counted["pending"]}

    @property
    def any(self) -> bool:
        return bool(self.outcome or self.premises or self.schedule)


def for_intervention(intervention: Intervention) -> Recorded:
    schedule = InterventionSchedule.objects.filter(intervention=intervention).first()
    return Recorded(
        outcome=OperationOutcome.objects.filter(intervention=intervention)
        .select_related("recorded_by").first(),
        premises=list(PremisesLink.objects.filter(intervention=intervention)
                      .select_related("premises")),
        schedule=schedule,
        occurrences=list(schedule.occurrences.select_related("recorded_by")) if schedule else [],
    )


def for_interventions(pks: list[int]) -> dict[int, Recorded]:
    """Each of ``pks``' structured outcomes in four queries, for a list of interventions."""
    outcomes = {o.intervention_id: o for o in OperationOutcome.objects.filter(
        intervention_id__in=pks)}
    links: dict[int, list[PremisesLink]] = {}
    for link in PremisesLink.objects.filter(intervention_id__in=pks).select_related("premises"):
        links.setdefault(link.intervention_id, []).append(link)
    schedules = {s.intervention_id: s for s in InterventionSchedule.objects.filter(
        intervention_id__in=pks)}
    occurrences: dict[int, list[Occurrence]] = {}
    for occurrence in Occurrence.objects.filter(schedule__intervention_id__in=pks).select_related(
            "schedule"):
        occurrences.setdefault(occurrence.schedule.intervention_id, []).append(occurrence)
    return {pk: Recorded(outcomes.get(pk), links.get(pk, []), schedules.get(pk),
                         occurrences.get(pk, [])) for pk in pks}


def movement(person: Person) -> list[Event]:
    """The person's sightings and GPS points, newest first, with their locations."""
    return list(Event.objects.filter(source__startswith=MOVEMENT, involvements__person=person)
                .select_related("location").order_by("-occurred_at")[:200])

"""Interventions: support, community, enforcement and communication, with their life-cycle."""

from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from .. import audit, policy
from ..models import Agency, Intervention, Person, Programme


def add_intervention(
    actor: AbstractBaseUser,
    person: Person,
    programme: Programme,
    kind: str,
    title: str,
    agency: Agency,
    status: str = Intervention.Status.PLANNED,
    start: date | None = None,
    end: date | None = None,
    outcome: str = "",
) -> Intervention:
    """Record an intervention offered to or done with a person in a programme."""
    if not policy.can_add_intervention(actor, person, programme, agency):
        audit.record(
            actor, "add_intervention", "person", person.pk, outcome=audit.DENIED,
            programme=programme.pk, agency=agency.pk,
        )
        raise PermissionDenied("You may not record this intervention")
    intervention = Intervention(
        programme=programme, person=person, kind=kind, title=title.strip(), agency=agency,
        status=status, start=start, end=end, outcome=outcome.strip(), created_by=actor,
    )
    intervention.full_clean()
    if start and end and end < start:
        raise ValidationError({"end": "The end date must be the same as or after the start date"})
    with transaction.atomic():
        intervention.save()
        audit.record(
            actor, "add_intervention", "intervention", intervention.pk,
            person=person.pk, programme=programme.pk, agency=agency.pk, kind=kind,
            status=status, start=start, end=end,
        )
    return intervention

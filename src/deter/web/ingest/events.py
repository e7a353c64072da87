"""One police event recorded as it arrives, with the people involved: the smallest import.

The extract importer loads whole extracts; this records a single event (a demo's new incident,
or a partner system's feed) with the same guarantees: all or nothing, audited, and followed by
the group-violence flags an import raises.
"""

from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from .. import audit
from ..actions import group_response
from ..models import Event, Involvement, Location, Person


def record_event(
    actor: AbstractBaseUser | None, *, event_id: str, occurred_at: datetime, source: str,
    involvements: Iterable[tuple[Person, str]], offence_code: str = "",
    offence_category: str = "", location: Location | None = None,
) -> Event:
    """Insert the event and its involvements, then raise any group-violence flags."""
    involvements = list(involvements)
    if Event.objects.filter(event_id=event_id).exists():
        raise ValidationError({"event_id": f"Event {event_id} is already in the database"})
    if any(role not in Involvement.Role.values for _, role in involvements):
        raise ValidationError({"involvements": "Unknown involvement role"})
    with transaction.atomic():
        event = Event.objects.create(event_id=event_id, occurred_at=occurred_at,
                                     offence_code=offence_code,
                                     offence_category=offence_category, source=source,
                                     location=location)
        Involvement.objects.bulk_create(
            Involvement(event=event, person=person, role=role) for person, role in involvements)
        audit.record(actor, "record_event", "event", event.pk, event_id=event_id,
                     source=source, people=[person.pk for person, _ in involvements],
                     location=location.pk if location else None)
        group_response.raise_flags()
    return event

"""What interventions achieved, as facts: an operation's counted results, premises, recurring
schedules with each occurrence's outcome, and a person's movement across areas (issue 13).

Each action asks the policy, validates (a ``ValidationError`` names the field and writes
nothing) and writes in one transaction with its audit row; a refusal writes a ``denied`` row
and raises ``PermissionDenied``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from .. import audit, policy
from ..ingest import events as event_ingest
from ..models import (
    Event,
    Intervention,
    InterventionSchedule,
    Location,
    Occurrence,
    OperationOutcome,
    Person,
    Premises,
    PremisesLink,
    Programme,
)

Kind = Intervention.Kind
OUTCOME_KINDS = (Kind.ENFORCEMENT, Kind.COMMUNITY)
MAX_OCCURRENCES = 366
MOVEMENT_SOURCES = {"gps": "movement-gps", "sighting": "movement-sighting"}


def _refuse(actor, action: str, kind: str, pk: int | None, message: str, **detail) -> None:
    audit.record(actor, action, kind, pk, outcome=audit.DENIED, **detail)
    raise PermissionDenied(message)


# --- an operation's results --------------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    fixed_penalties: int = 0
    seizures: int = 0
    seized: str = ""
    weapons_found: int = 0
    weapons: str = ""
    arrests: int = 0
    notes: str = ""


def check_operation_outcome(actor, intervention: Intervention, counts: Counts) -> Counts:
    if not policy.interventions.can(actor, "record_outcome", intervention):
        _refuse(actor, "record_operation_outcome", "intervention", intervention.pk,
                "You may not record this intervention's outcome")
    errors: dict[str, str] = {}
    if intervention.kind not in OUTCOME_KINDS:
        errors["intervention"] = ("Counted results are recorded for an enforcement or community "
                                  "operation, not for " + intervention.get_kind_display().lower())
    for name in ("fixed_penalties", "seizures", "weapons_found", "arrests"):
        value = getattr(counts, name)
        if not isinstance(value, int) or value < 0:
            errors[name] = "Enter a whole number, 0 or more"
    if counts.seizures and not counts.seized.strip():
        errors["seized"] = "Say what was seized"
    if counts.weapons_found and not counts.weapons.strip():
        errors["weapons"] = "Say which weapons were found"
    if errors:
        raise ValidationError(errors)
    return Counts(**{**counts.__dict__, "seized": counts.seized.strip(),
                     "weapons": counts.weapons.strip(), "notes": counts.notes.strip()})


def record_operation_outcome(actor: AbstractBaseUser, intervention: Intervention,
                             counts: Counts) -> OperationOutcome:
    """Record (or correct) an operation's counted results; the audit row keeps the old
    counts when they change."""
    counts = check_operation_outcome(actor, intervention, counts)
    with transaction.atomic():
        previous = OperationOutcome.objects.select_for_update().filter(
            intervention=intervention).first()
        before = ({name: getattr(previous, name) for name in Counts.__dataclass_fields__}
                  if previous else None)
        outcome, _ = OperationOutcome.objects.update_or_create(
            intervention=intervention, defaults={**counts.__dict__, "recorded_by": actor})
        audit.record(actor, "record_operation_outcome", "intervention", intervention.pk,
                     counts={k: v for k, v in counts.__dict__.items() if k != "notes"},
                     previous=before and {k: v for k, v in before.items() if k != "notes"})
    return outcome


# --- premises ----------------------------------------------------------------------------------


def _location(latitude: float | None, longitude: float | None, lsoa_code: str,
              description: str) -> Location | None:
    if latitude is None and longitude is None and not lsoa_code:
        return None
    location, _ = Location.objects.get_or_create(
        latitude=latitude, longitude=longitude, lsoa_code=lsoa_code, description=description)
    return location


def _place_errors(latitude, longitude) -> dict[str, str]:
    errors = {}
    if (latitude is None) != (longitude is None):
        errors["latitude"] = "Enter both the latitude and the longitude, or neither"
    if latitude is not None and not -90 <= latitude <= 90:
        errors["latitude"] = "The latitude must be between -90 and 90"
    if longitude is not None and not -180 <= longitude <= 180:
        errors["longitude"] = "The longitude must be between -180 and 180"
    return errors


def add_premises(actor: AbstractBaseUser, programme: Programme, *, name: str, kind: str,
                 address: str = "", latitude: float | None = None,
                 longitude: float | None = None, lsoa_code: str = "") -> Premises:
    """Name a premises the programme works with, at a location when one is given."""
    if not policy.programmes.can(actor, "manage_premises", programme):
        _refuse(actor, "add_premises", "programme", programme.pk,
                "You may not add premises to this programme")
    name, address, lsoa_code = name.strip(), address.strip(), lsoa_code.strip().upper()
    errors = _place_errors(latitude, longitude)
    if not name:
        errors["name"] = "Enter the premises' name"
    elif programme.premises.filter(name__iexact=name).exists():
        errors["name"] = f"{name} is already one of this programme's premises"
    if kind not in Premises.Kind.values:
        errors["kind"] = "Select the kind of premises"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        premises = Premises.objects.create(
            programme=programme, name=name, kind=kind, address=address,
            location=_location(latitude, longitude, lsoa_code, name), created_by=actor)
        audit.record(actor, "add_premises", "programme", programme.pk, premises=premises.pk,
                     name=name, kind=kind, lsoa_code=lsoa_code or None)
    return premises


def link_premises(actor: AbstractBaseUser, intervention: Intervention,
                  premises: Premises) -> PremisesLink:
    """Say the intervention concerned these premises (an operation at the nightclub)."""
    if not policy.interventions.can(actor, "link_premises", intervention):
        _refuse(actor, "link_premises", "intervention", intervention.pk,
                "You may not change this intervention")
    if premises.programme_id != intervention.programme_id:
        raise ValidationError({"premises": "Select one of this programme's premises"})
    if intervention.premises_links.filter(premises=premises).exists():
        raise ValidationError({"premises": f"{premises.name} is already linked"})
    with transaction.atomic():
        link = PremisesLink.objects.create(intervention=intervention, premises=premises,
                                           linked_by=actor)
        audit.record(actor, "link_premises", "intervention", intervention.pk,
                     premises=premises.pk)
    return link


# --- recurring interventions -------------------------------------------------------------------


def occurrence_days(frequency: str, starts: date, ends: date) -> list[date]:
    step = timedelta(days=1 if frequency == InterventionSchedule.Frequency.DAILY else 7)
    days, day = [], starts
    while day <= ends:
        days.append(day)
        day += step
    return days


def check_schedule(actor, intervention: Intervention, frequency: str, starts: date | None,
                   ends: date | None) -> list[date]:
    if not policy.interventions.can(actor, "schedule", intervention):
        _refuse(actor, "schedule_intervention", "intervention", intervention.pk,
                "You may not schedule this intervention")
    errors: dict[str, str] = {}
    if InterventionSchedule.objects.filter(intervention=intervention).exists():
        errors["frequency"] = "This intervention already has a schedule"
    if frequency not in InterventionSchedule.Frequency.values:
        errors["frequency"] = "Select how often it happens"
    if starts is None:
        errors["starts"] = "Enter the first day"
    if ends is None:
        errors["ends"] = "Enter the last day"
    elif starts is not None and ends < starts:
        errors["ends"] = "The last day must be the same as or after the first day"
    if errors:
        raise ValidationError(errors)
    days = occurrence_days(frequency, starts, ends)
    if len(days) > MAX_OCCURRENCES:
        raise ValidationError({"ends": f"A schedule has at most {MAX_OCCURRENCES} occurrences; "
                                       f"this one would have {len(days)}"})
    return days


def schedule_intervention(actor: AbstractBaseUser, intervention: Intervention, *,
                          frequency: str, starts: date | None,
                          ends: date | None) -> InterventionSchedule:
    """Make an intervention recurring (daily home visits from one day to another): one
    occurrence a day or week, each awaiting its outcome."""
    days = check_schedule(actor, intervention, frequency, starts, ends)
    with transaction.atomic():
        schedule = InterventionSchedule.objects.create(
            intervention=intervention, frequency=frequency, starts=starts, ends=ends,
            created_by=actor)
        Occurrence.objects.bulk_create(Occurrence(schedule=schedule, on=day) for day in days)
        audit.record(actor, "schedule_intervention", "intervention", intervention.pk,
                     frequency=frequency, starts=starts, ends=ends, occurrences=len(days))
    return schedule


def record_occurrence(actor: AbstractBaseUser, occurrence: Occurrence, *, outcome: str,
                      notes: str = "") -> Occurrence:
    """What happened on one occurrence: attended, not attended or cancelled, with notes."""
    intervention = occurrence.schedule.intervention
    if not policy.interventions.can(actor, "record_outcome", intervention):
        _refuse(actor, "record_occurrence", "intervention", intervention.pk,
                "You may not record this intervention's outcome", on=occurrence.on)
    if outcome not in Occurrence.Outcome.values or not outcome:
        raise ValidationError({"outcome": "Select what happened"})
    if outcome != Occurrence.Outcome.CANCELLED and occurrence.on > timezone.localdate():
        raise ValidationError({"outcome": "Only a cancellation can be recorded before the day"})
    with transaction.atomic():
        current = Occurrence.objects.select_for_update().get(pk=occurrence.pk)
        previous = current.outcome
        current.outcome, current.notes = outcome, notes.strip()
        current.recorded_by, current.recorded_at = actor, timezone.now()
        current.save(update_fields=["outcome", "notes", "recorded_by", "recorded_at"])
        audit.record(actor, "record_occurrence", "intervention", intervention.pk,
                     occurrence=current.pk, on=current.on, outcome=outcome,
                     previous=previous or None)
    return current


# --- movement ----------------------------------------------------------------------------------


def record_sighting(actor: AbstractBaseUser, person: Person, *, at: datetime | None,
                    method: str, latitude: float | None = None,
                    longitude: float | None = None, lsoa_code: str = "",
                    description: str = "") -> Event:
    """A person seen (or their GPS tag reporting) at a place at a time: an event at a
    location with the person involved as ``other``, through ``ingest.events.record_event``.
    Its source (``movement-gps``, ``movement-sighting``) keeps it out of the analysis
    extract: a sighting is not an incident."""
    if not policy.people.can(actor, "record_movement", person):
        _refuse(actor, "record_sighting", "person", person.pk,
                "You may not record this person's movements")
    description, lsoa_code = description.strip(), lsoa_code.strip().upper()
    errors = _place_errors(latitude, longitude)
    if method not in MOVEMENT_SOURCES:
        errors["method"] = "Select a sighting or a GPS point"
    if at is None:
        errors["at"] = "Enter when the person was there"
    elif at > timezone.now():
        errors["at"] = "The time must be now or in the past"
    if latitude is None and not lsoa_code and not description:
        errors["description"] = "Enter where: a place, an LSOA code, or the coordinates"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        location = _location(latitude, longitude, lsoa_code, description) or \
            Location.objects.get_or_create(latitude=None, longitude=None, lsoa_code="",
                                           description=description)[0]
        return event_ingest.record_event(
            actor, event_id=f"MOVE-{uuid.uuid4().hex[:16]}", occurred_at=at,
            source=MOVEMENT_SOURCES[method], involvements=[(person, "other")],
            location=location)

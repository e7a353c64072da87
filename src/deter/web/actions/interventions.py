"""Interventions: support, community, enforcement and communication, with their life-cycle.

The catalogue (``deter.web.domain.intervention_catalogue``) says which categories belong to each
kind and how each kind's status may change; every change is an ``InterventionUpdate`` row, so
the time from referral to engagement is known.
"""

from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from .. import audit, policy
from ..domain import intervention_catalogue as catalogue
from ..models import (
    Agency,
    CohortGroup,
    Event,
    Intervention,
    InterventionUpdate,
    OrderBreach,
    Person,
    Programme,
)

Status = Intervention.Status


def _day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def add_intervention(
    actor: AbstractBaseUser,
    person: Person | None,
    programme: Programme,
    kind: str,
    title: str,
    agency: Agency,
    status: str = Intervention.Status.PLANNED,
    start: date | None = None,
    end: date | None = None,
    outcome: str = "",
    *,
    category: str = "",
    group: CohortGroup | None = None,
    conditions: str = "",
    expires: date | None = None,
    cps_decision: str = "",
    cps_decision_date: date | None = None,
) -> Intervention:
    """Record an intervention offered to or done with a person (or a whole group) in a
    programme, and its first life-cycle update.

    A group's intervention (``person=None, group=...``) is part of the group's plan: the
    coordinator and the group's lead professional record it.
    """
    if (person is None) == (group is None):
        raise ValueError("an intervention is for a person or for a group, not both or neither")
    intervention = Intervention(
        programme=programme, person=person, group=group, kind=kind, category=category or "",
        title=title.strip(), agency=agency, status=status, start=start, end=end,
        outcome=outcome.strip(), conditions=conditions.strip(), expires=expires,
        cps_decision=cps_decision.strip(), cps_decision_date=cps_decision_date,
        created_by=actor,
    )
    return do_add_intervention(actor, check_add_intervention(actor, intervention))


def check_add_intervention(actor: AbstractBaseUser, intervention: Intervention) -> Intervention:
    """Authorise and validate an unsaved intervention; writes nothing but a refusal's audit
    row."""
    person, group = intervention.person, intervention.group
    programme, agency = intervention.programme, intervention.agency
    if person is not None:
        allowed = policy.people.can(actor, "add_intervention", person,
                                     programme=programme, agency=agency)
        subject = ("person", person.pk)
    else:
        allowed = (group.programme_id == programme.pk
                   and policy.groups.can(actor, "add_intervention", group)
                   and programme.agencies.filter(pk=agency.pk).exists())
        subject = ("cohort_group", group.pk)
    if not allowed:
        audit.record(
            actor, "add_intervention", *subject, outcome=audit.DENIED,
            programme=programme.pk, agency=agency.pk,
        )
        raise PermissionDenied("You may not record this intervention")
    intervention.full_clean()
    errors = {**_kind_errors(intervention), **_date_errors(intervention),
              **_enforcement_errors(intervention)}
    if errors:
        raise ValidationError(errors)
    return intervention


def do_add_intervention(actor: AbstractBaseUser, intervention: Intervention) -> Intervention:
    """Write a checked intervention, its first life-cycle update and the audit row."""
    today = timezone.localdate()
    start = intervention.start
    first_on = start if start and start <= today else today
    with transaction.atomic():
        intervention.save()
        InterventionUpdate.objects.create(
            intervention=intervention, status=intervention.status, on=first_on, note="",
            recorded_by=actor,
        )
        audit.record(
            actor, "add_intervention", "intervention", intervention.pk,
            person=intervention.person_id, group=intervention.group_id,
            programme=intervention.programme_id, agency=intervention.agency_id,
            kind=intervention.kind, category=intervention.category,
            status=intervention.status, start=start, end=intervention.end,
            expires=intervention.expires,
        )
    return intervention


def _kind_errors(intervention: Intervention) -> dict[str, str]:
    """The category belongs to the kind, and the kind may start in this status."""
    errors: dict[str, str] = {}
    kind, category, status = intervention.kind, intervention.category, intervention.status
    if category and not catalogue.belongs(kind, category):
        errors["category"] = (
            f"{catalogue.category_label(category)} is not a kind of "
            f"{Intervention.Kind(kind).label.lower()} intervention"
        )
    if status not in catalogue.initial_statuses(kind, category):
        allowed = " or ".join(catalogue.status_label(s) for s in
                              catalogue.initial_statuses(kind, category))
        errors["status"] = (
            f"A new {Intervention.Kind(kind).label.lower()} intervention cannot start as "
            f"{catalogue.status_label(status)}: choose {allowed}"
        )
    return errors


def _date_errors(intervention: Intervention) -> dict[str, str]:
    start, end = intervention.start, intervention.end
    if start and end and end < start:
        return {"end": "The end date must be the same as or after the start date"}
    return {}


def _enforcement_errors(intervention: Intervention) -> dict[str, str]:
    """Conditions and expiry belong to orders; CPS decisions to enforcement."""
    errors: dict[str, str] = {}
    kind, category, start = intervention.kind, intervention.category, intervention.start
    order = kind == Intervention.Kind.ENFORCEMENT and category in catalogue.ORDER_CATEGORIES
    if not order and (intervention.conditions or intervention.expires):
        errors["conditions"] = "Conditions and an expiry date are only for an ABA or a CPN"
    if order and intervention.expires and start and intervention.expires < start:
        errors["expires"] = "The expiry date must be after the order starts"
    if kind != Intervention.Kind.ENFORCEMENT and (
        intervention.cps_decision or intervention.cps_decision_date
    ):
        errors["cps_decision"] = "A CPS decision is only recorded for enforcement"
    if intervention.cps_decision_date and intervention.cps_decision_date > timezone.localdate():
        errors["cps_decision_date"] = "The CPS decision date must be today or in the past"
    return errors


def update_intervention(
    actor: AbstractBaseUser, intervention: Intervention, status: str, on: date, note: str = ""
) -> InterventionUpdate:
    """Move an intervention along its life-cycle on the day it happened.

    Refused changes (for example completed -> referred) and dates in the future or before the
    previous update are ``ValidationError``s, and nothing is written.
    """
    if not policy.interventions.can(actor, "update", intervention):
        audit.record(actor, "update_intervention", "intervention", intervention.pk,
                     outcome=audit.DENIED, status=status)
        raise PermissionDenied("You may not update this intervention")
    with transaction.atomic():
        # Lock the row so two people moving the same referral cannot both pass the check.
        current = Intervention.objects.select_for_update().get(pk=intervention.pk)
        _check_change(current, status, on)
        previous = current.status
        current.status = status
        if status in catalogue.STARTING:
            current.start = on
        if status in catalogue.ENDING:
            current.end = on
            if current.start and current.start > on:
                current.start = on
        current.save(update_fields=["status", "start", "end"])
        update = InterventionUpdate.objects.create(
            intervention=current, status=status, on=on, note=note.strip(), recorded_by=actor
        )
        audit.record(actor, "update_intervention", "intervention", current.pk,
                     from_status=previous, to_status=status, on=on)
    intervention.status, intervention.start, intervention.end = (
        current.status, current.start, current.end)
    return update


def _check_change(intervention: Intervention, status: str, on: date | None) -> None:
    if status not in Status.values:
        raise ValidationError({"status": "Select the new status"})
    allowed = catalogue.next_statuses(intervention)
    if status not in allowed:
        now = catalogue.status_label(intervention.status)
        wanted = catalogue.status_label(status)
        if allowed:
            options = ", ".join(catalogue.status_label(s) for s in allowed)
            message = (f"An intervention that is {now} cannot become {wanted}: "
                       f"it can become {options}")
        else:
            message = f"An intervention that is {now} cannot become {wanted}: it has ended"
        raise ValidationError({"status": message})
    if on is None:
        raise ValidationError({"on": "Enter the date it happened"})
    if on > timezone.localdate():
        raise ValidationError({"on": "The date it happened must be today or in the past"})
    last = intervention.updates.order_by("-on", "-pk").first()
    if last is not None and on < last.on:
        raise ValidationError({"on": f"The date it happened must be on or after {_day(last.on)}, "
                                     f"the date of the last update"})


def time_to_engagement(intervention: Intervention) -> int | None:
    """Days from the first referral to the first engagement; None until both happened."""
    referred = engaged = None
    for update in intervention.updates.all():  # ordered by day, so the first of each wins
        if update.status == Status.REFERRED and referred is None:
            referred = update.on
        elif update.status == Status.ENGAGED and engaged is None:
            engaged = update.on
    if referred is None or engaged is None:
        return None
    return (engaged - referred).days


def record_breach(
    actor: AbstractBaseUser,
    intervention: Intervention,
    occurred_on: date,
    description: str,
    event: Event | None = None,
) -> OrderBreach:
    """Record a breach of an order's conditions (ABA or CPN only)."""
    if not policy.interventions.can(actor, "update", intervention):
        audit.record(actor, "record_breach", "intervention", intervention.pk,
                     outcome=audit.DENIED)
        raise PermissionDenied("You may not record a breach of this order")
    errors: dict[str, str] = {}
    if not catalogue.is_order(intervention):
        errors["intervention"] = ("Breaches are recorded only for an Acceptable Behaviour "
                                  "Agreement or a Community Protection Notice")
    description = (description or "").strip()
    if not description:
        errors["description"] = "Describe the breach"
    if occurred_on is None:
        errors["occurred_on"] = "Enter the date of the breach"
    elif occurred_on > timezone.localdate():
        errors["occurred_on"] = "The date of the breach must be today or in the past"
    elif intervention.start and occurred_on < intervention.start:
        errors["occurred_on"] = (f"The date of the breach must be on or after "
                                 f"{_day(intervention.start)}, when the order started")
    if event is not None and not (
        intervention.person_id
        and event.involvements.filter(person_id=intervention.person_id).exists()
    ):
        errors["event"] = "The event must be one this person is linked to"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        breach = OrderBreach.objects.create(
            intervention=intervention, occurred_on=occurred_on, description=description,
            event=event, recorded_by=actor,
        )
        audit.record(actor, "record_breach", "intervention", intervention.pk,
                     breach=breach.pk, occurred_on=occurred_on,
                     event=event.event_id if event else None)
    return breach

"""Helpers for the casework tests: interventions moved along their life-cycle on known days,
active cohort groups with members, and plans filled in."""

from datetime import date, timedelta

from django.utils import timezone

from deter.web.actions import interventions as actions
from deter.web.models import (
    AuditEvent,
    CohortEntry,
    CohortGroup,
    Intervention,
    InterventionUpdate,
)


def days_ago(n: int) -> date:
    return timezone.localdate() - timedelta(days=n)


def entry_of(world, person) -> CohortEntry:
    return CohortEntry.objects.get(programme=world.programme, person=person)


def referral(world, person=None, agency=None, category="mentoring", referred_days_ago=30,
             title="Boxing club mentoring", by=None) -> Intervention:
    """A support referral recorded by the coordinator, referred ``referred_days_ago`` days ago."""
    return actions.add_intervention(
        by or world.coordinator, person or world.active, world.programme,
        Intervention.Kind.SUPPORT, title, agency or world.social_care,
        status=Intervention.Status.REFERRED, start=days_ago(referred_days_ago),
        category=category,
    )


def order(world, person=None, category="aba", started_days_ago=20, expires_in=120,
          agency=None) -> Intervention:
    """An ABA (or CPN) in force since ``started_days_ago`` days."""
    intervention = actions.add_intervention(
        world.coordinator, person or world.active, world.programme,
        Intervention.Kind.ENFORCEMENT, "Acceptable Behaviour Agreement", agency or world.police,
        status=Intervention.Status.ACTIVE, start=days_ago(started_days_ago), category=category,
        conditions="Not to enter the Eastgate estate", expires=timezone.localdate()
        + timedelta(days=expires_in),
    )
    return intervention


def move(world, intervention, *steps, by=None) -> Intervention:
    """Apply (status, days_ago) steps in order."""
    for status, ago in steps:
        actions.update_intervention(by or world.coordinator, intervention, status, days_ago(ago))
    intervention.refresh_from_db()
    return intervention


def active_group(world, label="G1", decided_days_ago=10, lead=None, members=()) -> CohortGroup:
    group = CohortGroup.objects.create(
        programme=world.programme, label=label, name=f"Group {label}",
        status=CohortGroup.Status.ACTIVE, lead_professional=lead,
        group_response="Visit every member within 48 hours; patrols at the group's places",
        decided_by=world.coordinator,
        decided_at=timezone.now() - timedelta(days=decided_days_ago),
    )
    CohortEntry.objects.filter(programme=world.programme, person__in=members).update(group=group)
    return group


def updates_of(intervention) -> list[tuple[str, date]]:
    return list(InterventionUpdate.objects.filter(intervention=intervention)
                .values_list("status", "on"))


def the_audit_row(action: str, actor, object_type: str, object_id) -> AuditEvent:
    """The one allowed audit row of ``action``, which must name this actor and object."""
    row = AuditEvent.objects.get(action=action, outcome="allowed")
    assert (row.actor, row.actor_name, row.object_type, row.object_id) == (
        actor, actor.get_username(), object_type, str(object_id))
    return row

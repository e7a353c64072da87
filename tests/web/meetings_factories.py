"""Small factories for meetings, actions, cohort groups and flags (tests of meetings only)."""

from datetime import date, datetime, timedelta

from django.utils import timezone

from deter.web.models import (
    CohortEntry,
    CohortGroup,
    GroupViolenceFlag,
    Meeting,
    MeetingAction,
    Person,
    Programme,
)

from .factories import make_entry, make_event, make_person


def at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()).replace(hour=hour))


def make_meeting(programme: Programme, created_by, kind: str = Meeting.Kind.PANEL,
                 days_ahead: int = 7, title: str = "", **extra) -> Meeting:
    return Meeting.objects.create(
        programme=programme, kind=kind, title=title or f"{kind} meeting",
        held_at=at(timezone.localdate() + timedelta(days=days_ahead)), created_by=created_by,
        **extra,
    )


def make_action(programme: Programme, owner, created_by, due_in_days: int = 7,
                status: str = MeetingAction.Status.OPEN, description: str = "Do the thing",
                **extra) -> MeetingAction:
    return MeetingAction.objects.create(
        programme=programme, owner=owner, created_by=created_by, status=status,
        due=timezone.localdate() + timedelta(days=due_in_days), description=description,
        **extra,
    )


def make_group(programme: Programme, label: str, status: str = CohortEntry.Status.ACTIVE,
               review_in_days: int | None = None, **extra) -> CohortGroup:
    review = None if review_in_days is None else timezone.localdate() + timedelta(
        days=review_in_days)
    return CohortGroup.objects.create(programme=programme, label=label, status=status,
                                      review_date=review, **extra)


def make_member(programme: Programme, person_id: str,
                status: str = CohortEntry.Status.ACTIVE) -> tuple[Person, CohortEntry]:
    person = make_person(person_id)
    return person, make_entry(programme, person, status)


def make_flag(group: CohortGroup, person: Person, event_id: str,
              status: str = GroupViolenceFlag.Status.OPEN, days_ago: int = 3) -> GroupViolenceFlag:
    event = make_event(event_id, person, days_ago=days_ago)
    return GroupViolenceFlag.objects.create(group=group, event=event, person=person,
                                            status=status)

"""Group accountability: when violence involving a member of an active cohort group is
recorded, the group's plan is flagged for the agreed group-wide response, and the response is
tracked.

``raise_flags`` runs after every import and analysis run. A flag is raised for each violent
event (``deter.web.domain.offences``) after the panel accepted the group, in which a member
(a cohort entry in that group, active or stepped down) is a suspect or offender; one flag per
group and event, so running it again raises nothing new.
"""

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from .. import audit, policy
from ..domain.offences import current_violence, violent
from ..models import (
    CohortEntry,
    CohortGroup,
    CohortStatus,
    GroupViolenceFlag,
    Involvement,
    Programme,
)

MEMBER_STATUSES = (CohortStatus.ACTIVE, CohortStatus.STEPPED_DOWN)
INVOLVED_AS = (Involvement.Role.SUSPECT, Involvement.Role.OFFENDER)


def raise_flags(programme: Programme | None = None) -> int:
    """Flag violence by members of active groups since each group was accepted; returns how
    many new flags were raised."""
    groups = CohortGroup.objects.filter(status=CohortStatus.ACTIVE, decided_at__isnull=False)
    if programme is not None:
        groups = groups.filter(programme=programme)
    created = 0
    for group in groups.select_related("programme"):
        violence = current_violence(group.programme)
        members = CohortEntry.objects.filter(
            group=group, status__in=MEMBER_STATUSES
        ).values("person_id")
        flagged = GroupViolenceFlag.objects.filter(group=group).values("event_id")
        candidates = Involvement.objects.filter(
            person__in=members, role__in=INVOLVED_AS, event__occurred_at__gt=group.decided_at,
        ).exclude(event__in=flagged)
        involvements = (
            violent(candidates, violence)
            .order_by("event__occurred_at", "event_id", "person_id")
            .values_list("event_id", "person_id")
        )
        first_person: dict[int, int] = {}
        for event_id, person_id in involvements:
            first_person.setdefault(event_id, person_id)
        if not first_person:
            continue
        with transaction.atomic():
            # ignore_conflicts: an import and a run finishing together must not fail or double up
            GroupViolenceFlag.objects.bulk_create(
                [GroupViolenceFlag(group=group, event_id=event_id, person_id=person_id)
                 for event_id, person_id in first_person.items()],
                ignore_conflicts=True,
            )
            audit.record(None, "raise_group_flags", "cohort_group", group.pk,
                         programme=group.programme_id, events=sorted(first_person))
        created += len(first_person)
    return created


def respond_to_flag(
    actor: AbstractBaseUser, flag: GroupViolenceFlag, status: str, response: str
) -> GroupViolenceFlag:
    """Record the group-wide response to a flag: the coordinator or the group's lead
    professional. A response is required to mark it delivered."""
    if not policy.groups.can(actor, "edit_plan", flag.group):
        audit.record(actor, "respond_to_flag", "group_flag", flag.pk, outcome=audit.DENIED,
                     group=flag.group_id)
        raise PermissionDenied("Only the coordinator or the group's lead professional responds")
    response = (response or "").strip()
    errors = {}
    if status not in GroupViolenceFlag.Status.values:
        errors["status"] = "Select where the response is"
    elif status == GroupViolenceFlag.Status.DONE and not response:
        errors["response"] = "Describe the response that was delivered"
    if errors:
        raise ValidationError(errors)
    before = {"status": flag.status, "response": flag.response}
    flag.status, flag.response = status, response
    flag.responded_by, flag.responded_at = actor, timezone.now()
    with transaction.atomic():
        flag.save(update_fields=["status", "response", "responded_by", "responded_at"])
        audit.record(actor, "respond_to_flag", "group_flag", flag.pk, group=flag.group_id,
                     before=before, status=status)
    return flag

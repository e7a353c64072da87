"""Who sees and does what about individuals' rights.

- The DPO who answers for a programme is the data protection officer of its lead agency or
  of a police force or VRU partner: they are the controllers of the police-held detail that
  a challenge turns on and an archive holds. Another partner's DPO does not see these records.
- Notifications and challenges belong to the programme's coordinator and that DPO: they see
  them, record a notification or an exemption for a person in the cohort, and log a
  challenge to a listing.
- A challenge is decided by one of them who did not accept the person into the cohort (the
  user whose decision made the entry active): nobody reviews their own decision.
- Subject access requests are that DPO's.
"""

from django.db.models import QuerySet

from ..models import (
    Challenge,
    CohortDecision,
    CohortEntry,
    CohortStatus,
    Notification,
    Person,
    Programme,
    SubjectAccessRequest,
)
from .base import RecordPolicy
from .grants import Role, User, active, programme_pks

LISTED = (CohortStatus.ACTIVE, CohortStatus.STEPPED_DOWN)  # in the cohort: told, challengeable
SAR = (Role.DPO,)


def sar_pks(user: User) -> frozenset[int]:
    """Programmes the user answers for as DPO: through the lead agency, the police or a VRU."""
    return programme_pks(user, SAR, lead=True) | programme_pks(user, SAR, police_or_vru=True)


def rights_pks(user: User) -> frozenset[int]:
    """Programmes whose notifications and challenges the user keeps: the coordinator's and
    the answering DPO's."""
    return programme_pks(user, (Role.COORDINATOR,)) | sar_pks(user)


def original_decider(entry: CohortEntry) -> int | None:
    """The user whose decision last made the entry active: the decision a challenge reviews."""
    decision = CohortDecision.objects.filter(entry=entry, to_status=CohortStatus.ACTIVE) \
        .order_by("-decided_at", "-pk").values_list("decided_by_id", flat=True).first()
    return decision if decision is not None else entry.decided_by_id


class NotificationPolicy(RecordPolicy[Notification]):
    model = Notification
    kind = "notification"
    rules = {"view": "_sees", "record": "_records"}

    def visible(self, user: User) -> QuerySet[Notification]:
        return Notification.objects.filter(entry__programme__in=rights_pks(user))

    def entries(self, user: User, programme: Programme | None = None) -> QuerySet[CohortEntry]:
        """People in the cohort (active or stepped down) whose notification and challenges
        the user keeps: in every programme where they are the coordinator or the DPO."""
        found = CohortEntry.objects.filter(programme__in=rights_pks(user), status__in=LISTED)
        if programme is not None:
            found = found.filter(programme=programme)
        return found.select_related("person", "programme")

    def _records(self, user: User, notification: Notification | None = None, *,
                 entry: CohortEntry | None = None) -> bool:
        """For a person in the cohort (active or stepped down)."""
        entry = entry or (notification.entry if notification else None)
        return entry is not None and entry.status in LISTED \
            and entry.programme_id in rights_pks(user)


class ChallengePolicy(RecordPolicy[Challenge]):
    model = Challenge
    kind = "challenge"
    rules = {"view": "_sees", "log": "_logs", "decide": "_decides"}

    def visible(self, user: User) -> QuerySet[Challenge]:
        return Challenge.objects.filter(entry__programme__in=rights_pks(user))

    def in_programme(self, user: User, programme: Programme) -> QuerySet[Challenge]:
        return self.visible(user).filter(entry__programme=programme) \
            .select_related("entry__person", "logged_by", "decided_by")

    def _logs(self, user: User, challenge: Challenge | None = None, *,
              entry: CohortEntry | None = None) -> bool:
        entry = entry or (challenge.entry if challenge else None)
        return entry is not None and entry.status in LISTED \
            and entry.programme_id in rights_pks(user)

    def _decides(self, user: User, challenge: Challenge) -> bool:
        """An open challenge, by the coordinator or DPO who did not accept the person."""
        return active(user) and challenge.is_open \
            and challenge.entry.programme_id in rights_pks(user) \
            and original_decider(challenge.entry) != user.pk


class SubjectAccessPolicy(RecordPolicy[SubjectAccessRequest]):
    model = SubjectAccessRequest
    kind = "subject_access_request"
    rules = {"view": "_sees", "log": "_logs", "extend": "_extends", "answer": "_answers",
             "export": "_sees"}

    def visible(self, user: User) -> QuerySet[SubjectAccessRequest]:
        return SubjectAccessRequest.objects.filter(programme__in=sar_pks(user)) \
            .select_related("person", "programme", "logged_by")

    def programmes(self, user: User) -> QuerySet[Programme]:
        """Programmes whose subject access requests the user answers."""
        return Programme.objects.filter(pk__in=sar_pks(user)).order_by("name")

    def people(self, user: User, programme: Programme) -> QuerySet[Person]:
        """Anyone with a cohort entry in the programme, of any status: a request may come
        from someone proposed and rejected, or removed."""
        if programme.pk not in sar_pks(user):
            return Person.objects.none()
        return Person.objects.filter(cohort_entries__programme=programme).distinct()

    def _logs(self, user: User, request: SubjectAccessRequest | None = None, *,
              programme: Programme | None = None) -> bool:
        programme_pk = programme.pk if programme else (request.programme_id if request else None)
        return programme_pk is not None and programme_pk in sar_pks(user)

    def _extends(self, user: User, request: SubjectAccessRequest) -> bool:
        """Once, while it is open."""
        return request.status == SubjectAccessRequest.Status.OPEN and self._sees(user, request)

    def _answers(self, user: User, request: SubjectAccessRequest) -> bool:
        return request.status != SubjectAccessRequest.Status.ANSWERED \
            and self._sees(user, request)


notifications = NotificationPolicy()
challenges = ChallengePolicy()
subject_access_requests = SubjectAccessPolicy()

"""Who imports extracts and runs the analysis in the app: analysts of a police force or a VRU.

An import adds police and partner records to the whole database, and a run analyses all of
it, so the right is not a programme's: it belongs to the analysts of the agencies that hold
the data (``POLICE_OR_VRU``). They see every job, whoever started it, so a colleague can follow
a Monday import through; nobody else sees any.
"""

from django.db.models import QuerySet

from ..models import Job
from .base import RecordPolicy
from .grants import POLICE_OR_VRU, Role, User, roles_of


class JobPolicy(RecordPolicy[Job]):
    model = Job
    kind = "job"
    rules = {"view": "_sees", "start": "_runs_jobs", "retry": "_retries"}

    def visible(self, user: User) -> QuerySet[Job]:
        if not self.runs_jobs(user):
            return Job.objects.none()
        return Job.objects.defer("upload").select_related("created_by", "run")

    def runs_jobs(self, user: User) -> bool:
        return roles_of(user).filter(role=Role.ANALYST,
                                     agency__kind__in=POLICE_OR_VRU).exists()

    def _runs_jobs(self, user: User, record: Job | None = None) -> bool:
        return self.runs_jobs(user)

    def _retries(self, user: User, record: Job) -> bool:
        return (record.status == Job.Status.FAILED and record.kind != Job.Kind.RETENTION
                and self.runs_jobs(user))

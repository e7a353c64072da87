"""Who enters the partnership: agencies, staff accounts and their roles.

Only a system administrator (``StaffProfile.system_administrator``, set from the command line:
``deter users add --system-administrator`` or ``deter users edit --system-administrator``)
sees and changes agencies and accounts in the app. Being one grants no role in any programme:
a system administrator sees no person, entry or plan unless they also hold a role through an
agency, like anyone else. A deactivated administrator is nobody. Everyone else sees none of
these pages: they answer as missing ones do (404). The command line acts as the system and
needs no administrator.

An administrator may not deactivate themselves, nor take away their own administration: the
last administrator cannot lock the partnership out of its own app by mistake.
"""

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from ..models import Agency, StaffProfile
from .base import RecordPolicy
from .grants import User, active


def is_system_administrator(user: User) -> bool:
    return active(user) and StaffProfile.objects.filter(
        user_id=user.pk, system_administrator=True).exists()


class AgencyPolicy(RecordPolicy[Agency]):
    model = Agency
    kind = "agency"
    rules = {"view": "_sees", "create": "_administers", "edit": "_administers"}

    def visible(self, user: User) -> QuerySet[Agency]:
        if not is_system_administrator(user):
            return Agency.objects.none()
        return Agency.objects.all()

    def _administers(self, user: User, record: Agency | None = None) -> bool:
        return is_system_administrator(user)


class StaffPolicy(RecordPolicy):
    """Staff accounts (Django's users) with their profile and roles."""

    model = get_user_model()
    kind = "user"
    rules = {"view": "_sees", "create": "_administers", "edit": "_administers",
             "grant_role": "_administers", "revoke_role": "_administers",
             "deactivate": "_deactivates"}

    def visible(self, user: User) -> QuerySet:
        if not is_system_administrator(user):
            return self.model.objects.none()
        return self.model.objects.all()

    def _administers(self, user: User, record=None) -> bool:
        return is_system_administrator(user)

    def _deactivates(self, user: User, record) -> bool:
        return record.is_active and record.pk != user.pk and is_system_administrator(user)


agencies = AgencyPolicy()
staff = StaffPolicy()

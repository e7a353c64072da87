"""Who sees and confirms partners' deletion confirmations.

A confirmation belongs to one agency: any user of that agency, in any role, sees it and
confirms that the agency has deleted its own copies. The programme's DPO sees every agency's
confirmations in the programme (to chase the outstanding ones) but confirms only for an agency
the DPO works for.
"""

from django.db.models import Q, QuerySet

from ..models import DeletionConfirmation
from .base import RecordPolicy
from .grants import Role, User, active, programme_pks, roles_of


class DeletionConfirmationPolicy(RecordPolicy[DeletionConfirmation]):
    model = DeletionConfirmation
    kind = "deletion_confirmation"
    rules = {"view": "_sees", "confirm": "_confirms"}
    listed = {"confirm": "_to_confirm"}

    def visible(self, user: User) -> QuerySet[DeletionConfirmation]:
        if not active(user):
            return DeletionConfirmation.objects.none()
        return DeletionConfirmation.objects.filter(
            Q(agency__in=roles_of(user).values("agency_id"))
            | Q(programme__in=programme_pks(user, (Role.DPO,)))
        )

    def _confirms(self, user: User, confirmation: DeletionConfirmation) -> bool:
        """A user of the confirmation's agency (confirming one already confirmed is refused
        as invalid by the action, naming when it was)."""
        return roles_of(user).filter(agency_id=confirmation.agency_id).exists()

    def _to_confirm(self, user: User) -> QuerySet[DeletionConfirmation]:
        """The outstanding confirmations of the user's agencies, oldest first."""
        return (
            DeletionConfirmation.objects
            .filter(agency__in=roles_of(user).values("agency_id"), confirmed_at__isnull=True)
            .select_related("agency", "programme").order_by("created_at", "pk")
        )

    def outstanding_in(self, user: User, programmes) -> QuerySet[DeletionConfirmation]:
        """Every agency's outstanding confirmations in programmes whose retention the user
        oversees (the DPO's view), oldest first."""
        return (
            self.visible(user).filter(programme__in=programmes, confirmed_at__isnull=True)
            .select_related("agency", "programme").order_by("created_at", "pk")
        )


deletion_confirmations = DeletionConfirmationPolicy()

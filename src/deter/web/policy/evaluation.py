"""Who takes a programme's evaluation export.

An evaluator (``Role.EVALUATOR``) of an agency that is a party to one of the programme's
evaluation agreements in force (active, approved by every supplier's DPO, within its dates)
takes the pseudonymised export under that agreement, and nobody else: not the programme's own
staff, not an evaluator whose agency the agreement does not name, not a superuser. The export
never names a person (``queries.evaluation``, ADR 10), so it is the agreement, not the person
rules, that decides.
"""

from django.db.models import QuerySet

from ..models import AgreementParty, DataSharingAgreement, Programme
from .base import RecordPolicy
from .grants import EVALUATE, User, roles_of

Purpose = DataSharingAgreement.Purpose


class EvaluationPolicy(RecordPolicy[DataSharingAgreement]):
    model = DataSharingAgreement
    kind = "evaluation_agreement"
    rules = {"view": "_sees", "export": "_sees"}
    listed = {"export": "visible"}

    def visible(self, user: User) -> QuerySet[DataSharingAgreement]:
        evaluator_of = roles_of(user).filter(role__in=EVALUATE).values("agency_id")
        parties = AgreementParty.objects.filter(agency__in=evaluator_of).values("agreement_id")
        return (
            DataSharingAgreement.objects.in_force()
            .filter(purpose=Purpose.EVALUATION, pk__in=parties)
            .select_related("programme").order_by("programme__name", "-version")
        )

    def for_programme(self, user: User, programme: Programme) -> DataSharingAgreement | None:
        """The newest evaluation agreement in force for the programme under which the user
        may export, if any."""
        return self.visible(user).filter(programme=programme).first()


evaluations = EvaluationPolicy()

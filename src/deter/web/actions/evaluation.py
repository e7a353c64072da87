"""The evaluation export: an evaluator takes a programme's pseudonymised extract under an
evaluation agreement in force (``policy.evaluation``; what it holds: ``queries.evaluation``,
ADR 10).

Every export is audited (``export_evaluation``: the agreement, the rows released and
suppressed, the k reached and the columns coarsened, never a pseudonym or the key), and so is
every refusal. The one write besides the audit row is the agreement's pseudonym key, made
on the first export if the agreement has none yet (one made before keys, or outside
``draft_agreement``), inherited from the version it supersedes where that has one.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db import transaction

from .. import audit, policy
from ..models import DataSharingAgreement, Programme
from ..queries import evaluation
from ..queries.evaluation import EvaluationExport
from .sharing import new_pseudonym_key


def _refuse(actor, obj_type: str, obj_id, message: str, **detail):
    audit.record(actor, "export_evaluation", obj_type, obj_id, outcome=audit.DENIED, **detail)
    raise PermissionDenied(message)


def _key_of(agreement: DataSharingAgreement) -> str:
    current = DataSharingAgreement.objects.select_for_update().get(pk=agreement.pk)
    if not current.pseudonym_key:
        previous = current.supersedes
        current.pseudonym_key = (previous.pseudonym_key if previous else "") \
            or new_pseudonym_key()
        current.save(update_fields=["pseudonym_key"])
    return current.pseudonym_key


def export_evaluation(actor: AbstractBaseUser, agreement: DataSharingAgreement,
                      via: str = "web") -> EvaluationExport:
    """The export under ``agreement``, for an evaluator of one of its parties."""
    if not policy.evaluations.can(actor, "export", agreement):
        _refuse(actor, "evaluation_agreement", agreement.pk,
                "Only an evaluator of an agency that is a party to this evaluation agreement, "
                "while it is in force, may take its export", via=via)
    with transaction.atomic():
        export = evaluation.build(agreement, _key_of(agreement))
        result = export.anonymised
        audit.record(actor, "export_evaluation", "evaluation_agreement", agreement.pk,
                     programme=agreement.programme_id, via=via, entries=export.entries,
                     released=len(result.rows), suppressed=result.suppressed,
                     k_required=result.k_required, k=result.k,
                     generalised={c: to for c, _, to in result.generalised()},
                     files=sorted(export.files))
    return export


def export_for_programme(actor: AbstractBaseUser, programme: Programme,
                         via: str = "cli") -> EvaluationExport:
    """The export under the programme's newest evaluation agreement in force that names an
    agency ``actor`` is an evaluator for; refused (and audited) when there is none."""
    agreement = policy.evaluations.for_programme(actor, programme)
    if agreement is None:
        _refuse(actor, "programme", programme.pk,
                f"{programme.name} has no evaluation agreement in force with an agency you "
                "are an evaluator for as a party: an evaluation export needs one (an active, "
                "approved data-sharing agreement whose purpose is evaluation)", via=via)
    return export_evaluation(actor, agreement, via=via)

"""Write the audit trail: who did what, when, to which record, and whether it was allowed.

Every view of a person, every refused attempt and every change calls ``record``. Audit rows are
append-only (``AuditEvent`` refuses updates and deletes).
"""

import json
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.serializers.json import DjangoJSONEncoder

from .models import AuditEvent

ALLOWED = AuditEvent.Outcome.ALLOWED
DENIED = AuditEvent.Outcome.DENIED


def record(
    actor: AbstractBaseUser | AnonymousUser | None,
    action: str,
    obj_type: str,
    obj_id: object,
    outcome: str = ALLOWED,
    **detail: Any,
) -> AuditEvent:
    """Append one audit row; ``detail`` may hold dates and decimals (stored as JSON text).

    ``actor`` is the signed-in user, an ``AnonymousUser`` for a web request before sign-in,
    or ``None`` for the system itself (a script or task acting on no user's behalf).
    """
    if outcome not in AuditEvent.Outcome.values:
        raise ValueError(f"unknown audit outcome {outcome!r}")
    known = actor is not None and actor.is_authenticated
    return AuditEvent.objects.create(
        actor=actor if known else None,
        actor_name=actor.get_username() if known else "system" if actor is None else "anonymous",
        action=action,
        object_type=obj_type,
        object_id="" if obj_id is None else str(obj_id)[:80],
        outcome=outcome,
        detail=json.loads(json.dumps(detail, cls=DjangoJSONEncoder)),
    )

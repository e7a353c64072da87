"""Write the audit trail: who did what, when, to which record, and whether it was allowed.

Every view, every refused attempt and every change calls ``record``. Each row is chained to
the one before (``domain/audit_chain.py``), carries the request it was written in
(``audit.context``) and is append-only, in the ORM (``AuditEvent``) and in the database
(``audit.guard``). ``audit.verify`` walks the chain (``deter audit verify``).
"""

import json
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, router, transaction
from django.utils import timezone

from ..domain.audit_chain import bounded, chain_hash
from ..models import AuditEvent, StaffProfile, StaffRole
from . import context, guard

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
    """Append one audit row; ``detail`` may hold dates and decimals (stored as JSON text) and
    each of its strings is kept to ``audit_chain.TEXT_LIMIT`` characters (with the length
    and SHA-256 of a longer one).

    ``actor`` is the signed-in user, an ``AnonymousUser`` for a web request before sign-in,
    or ``None`` for the system itself (a script or task acting on no user's behalf).
    """
    if outcome not in AuditEvent.Outcome.values:
        raise ValueError(f"unknown audit outcome {outcome!r}")
    known = actor is not None and actor.is_authenticated
    request = context.current()
    content = {
        "at": timezone.now(),
        "actor_id": actor.pk if known else None,
        "actor_name": actor.get_username() if known else "system" if actor is None
        else "anonymous",
        "action": action,
        "object_type": obj_type,
        "object_id": "" if obj_id is None else str(obj_id)[:80],
        "outcome": str(outcome),
        "detail": bounded(json.loads(json.dumps(detail, cls=DjangoJSONEncoder))),
        **(request.fields() if request else context.NO_REQUEST),
        "actor_roles": _roles(actor if known else None, request),
    }
    using = router.db_for_write(AuditEvent)
    # no savepoint: a row that cannot be written fails the whole change it records (ADR 3)
    with guard.one_writer_in_process(connections[using]), \
            transaction.atomic(using=using, savepoint=False):
        guard.lock_chain(connections[using])
        previous = AuditEvent.objects.using(using).order_by("-id").values_list(
            "hash", flat=True).first() or guard.GENESIS
        event = AuditEvent(**content, previous_hash=previous, hash=chain_hash(content, previous))
        event.save(force_insert=True, using=using)
    if request:
        request.rows += 1
    return event


def _roles(actor: AbstractBaseUser | None, request: context.RequestContext | None) -> list:
    """The actor's roles as they stand, read once a request."""
    if actor is None:
        return []
    if request and actor.pk in request.roles:
        return request.roles[actor.pk]
    roles = [{"agency": name, "agency_id": agency, "role": role}
             for agency, name, role in StaffRole.objects.filter(user_id=actor.pk).order_by(
                 "agency__name", "role").values_list("agency_id", "agency__name", "role")]
    # a system administrator may hold no agency role; the audit still says what they acted as
    if StaffProfile.objects.filter(user_id=actor.pk, system_administrator=True).exists():
        roles.append({"agency": None, "agency_id": None, "role": "system_administrator"})
    if request:
        request.roles[actor.pk] = roles
    return roles

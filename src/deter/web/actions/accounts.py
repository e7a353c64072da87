"""Agencies, staff accounts and their roles.

Only the system itself (``actor=None``: the command line, the demo, a deployment script)
provisions accounts for now; an administrator's pages come with account administration.
Each call is idempotent: an agency is found by name, a user by username, a role by the three.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from .. import audit, policy
from ..models import Agency, StaffRole


def _system_only(actor: AbstractBaseUser | None, action: str, obj_type: str) -> None:
    if actor is not None:
        audit.record(actor, action, obj_type, None, outcome=audit.DENIED)
        raise PermissionDenied("Only the system provisions agencies and accounts")


def provision_agency(actor: AbstractBaseUser | None, *, name: str, kind: str) -> Agency:
    """The agency of that name, created with ``kind`` if it does not exist yet."""
    _system_only(actor, "provision_agency", "agency")
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Enter the agency's name"})
    if kind not in Agency.Kind.values:
        raise ValidationError({"kind": f"Unknown kind of agency: {kind!r}"})
    with transaction.atomic():
        agency, created = Agency.objects.get_or_create(name=name, defaults={"kind": kind})
        if created:
            audit.record(actor, "provision_agency", "agency", agency.pk, name=name, kind=kind)
    return agency


def provision_user(
    actor: AbstractBaseUser | None, *, username: str, password: str, agency: Agency, role: str,
):
    """A staff account with this password and a role in ``agency`` (added if missing)."""
    _system_only(actor, "provision_user", "user")
    if role not in StaffRole.Role.values:
        raise ValidationError({"role": f"Unknown role: {role!r}"})
    with transaction.atomic():
        user, created = get_user_model().objects.get_or_create(username=username)
        user.set_password(password)
        user.save(update_fields=["password"])
        _, granted = StaffRole.objects.get_or_create(user=user, agency=agency, role=role)
        policy.forget_grants()
        audit.record(actor, "provision_user", "user", user.pk, username=username,
                     created=created, agency=agency.pk, role=role, role_granted=granted)
    return user

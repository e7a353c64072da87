"""Tokens for partner systems (``deter api-token``; docs/api.md, ADR 20).

Like accounts, tokens are issued and revoked by the system itself (``actor=None``: the command
line, a deployment script); a signed-in user asking is refused and audited. Issuing a token
makes (or reuses) the integration's service user, ``api-<name>``, whose only roles are in the
token's agency and who has no password, so it cannot sign in to the pages; the token acts as
that user and the access policy applies to it unchanged.

The token is ``deter_<prefix>_<secret>`` from ``secrets``: 32 random bytes, so its SHA-256
digest (the only thing stored) cannot be searched backwards and needs no slow hash.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from .. import audit, policy
from ..models import Agency, ApiToken, StaffRole
from .accounts import _system_only

TOKEN_START = "deter_"  # noqa: S105 (how every token starts, not a secret)
MAX_DAYS = 365
DEFAULT_DAYS = 90


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # the whole token: shown once, never stored


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def service_username(name: str) -> str:
    return f"api-{slugify(name)}"[:150]


def issue_token(actor: AbstractBaseUser | None, *, name: str, agency_name: str, role: str,
                days: int = DEFAULT_DAYS) -> IssuedToken:
    """A new token for the integration ``name`` of the agency, acting with ``role`` there."""
    _system_only(actor, "issue_api_token", "api_token")
    agency, name = _check_issue(name, agency_name, role, days)
    prefix = secrets.token_hex(4)
    secret = f"{TOKEN_START}{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        user = _service_user(name, agency, role)
        token = ApiToken.objects.create(
            name=name, agency=agency, user=user, prefix=prefix, digest=digest(secret),
            expires_at=timezone.now() + timedelta(days=days))
        audit.record(actor, "issue_api_token", "api_token", token.pk, integration=name,
                     token=prefix, agency=agency.pk, service_user=user.username, role=role,
                     expires_at=token.expires_at)
    return IssuedToken(token, secret)


def _check_issue(name: str, agency_name: str, role: str, days: int) -> tuple[Agency, str]:
    name = (name or "").strip()
    errors = {}
    if not slugify(name):
        errors["name"] = "Name the integration (letters or digits), e.g. 'Hope Trust case system'"
    agency = Agency.objects.filter(name=agency_name).first()
    if agency is None:
        errors["agency"] = f"No agency is called {agency_name!r}"
    if role not in StaffRole.Role.values:
        errors["role"] = f"Unknown role {role!r}: use one of {', '.join(StaffRole.Role.values)}"
    if not 1 <= days <= MAX_DAYS:
        errors["days"] = f"A token lasts 1 to {MAX_DAYS} days, not {days}"
    if errors:
        raise ValidationError(errors)
    return agency, name


def _service_user(name: str, agency: Agency, role: str):
    """The integration's service user: made with no password, or the one issued before,
    which must hold roles in this agency only."""
    username = service_username(name)
    user, created = get_user_model().objects.get_or_create(username=username)
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    elif user.has_usable_password() or StaffRole.objects.filter(user=user).exclude(
            agency=agency).exists():
        raise ValidationError({"name": f"{username!r} is already an account that is not this "
                                       f"agency's service user: name the integration otherwise"})
    StaffRole.objects.get_or_create(user=user, agency=agency, role=role)
    policy.forget_grants()
    return user


def revoke_token(actor: AbstractBaseUser | None, *, prefix: str) -> ApiToken:
    """Revoke a token at once: every later call with it is refused (401)."""
    _system_only(actor, "revoke_api_token", "api_token")
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(prefix=prefix).first()
        if token is None:
            raise ValidationError({"prefix": f"No API token starts {prefix!r}"})
        if token.revoked_at is not None:
            raise ValidationError({"prefix": f"The token {prefix} was already revoked on "
                                             f"{token.revoked_at:%Y-%m-%d %H:%M} UTC"})
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(actor, "revoke_api_token", "api_token", token.pk, integration=token.name,
                     token=prefix)
    return token

"""Agencies, staff accounts and their roles.

Only the system itself (``actor=None``: the command line, the demo, a deployment script, the
single sign-on backend acting on the provider's word) provisions accounts for now; an
administrator's pages come with account administration.
Each call is idempotent: an agency is found by name, a user by username, a role by the three.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from .. import audit, policy
from ..models import Agency, SingleSignOnIdentity, StaffRole
from ..sso.config import Grant, Refused


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


def sync_sso_user(
    actor: AbstractBaseUser | None, *, issuer: str, subject: str, username: str, email: str,
    first_name: str, last_name: str, grants: frozenset[Grant], groups: list[str],
):
    """The account the single sign-on provider's subject signs in to, as the provider says it
    is at this sign-in: created at the first (with no password: it signs in only through the
    provider), its name and e-mail updated, and exactly the roles ``grants`` names, any other
    taken away. Refused (``sso.config.Refused``, with what to do) for an account deactivated
    in Deter, a user name held by an account not linked to this subject, an agency Deter does
    not have, or no grant at all, which first takes every role the account held away: removing
    someone from the provider's groups removes their access at their next sign-in.
    """
    _system_only(actor, "sync_sso_user", "user")
    username = (username or "").strip()
    if not username or len(username) > 150:
        raise Refused(f"The sign-in service sent no user name of at most 150 characters (the "
                      f"{settings.DETER_OIDC_USERNAME_CLAIM!r} claim): ask your administrator")
    with transaction.atomic():
        identity = (SingleSignOnIdentity.objects.select_related("user")
                    .filter(issuer=issuer, subject=subject).first())
        users = get_user_model().objects
        # another account of that name, whatever its case (Django's are case-sensitive)
        holder = users.filter(username__iexact=username).exclude(
            pk=identity.user_id if identity else None).first()
        _check_sso_account(identity, holder, username, grants)
        agencies = {a.name: a for a in Agency.objects.filter(name__in={g.agency for g in grants})}
        missing = sorted({g.agency for g in grants} - set(agencies))
        if missing:
            raise Refused(f"Your groups give a role in {missing[0]!r}, an agency Deter does not "
                          "have: ask a Deter administrator to correct DETER_OIDC_GROUP_MAP")
        details = {"username": username, "email": email, "first_name": first_name,
                   "last_name": last_name}
        if identity is None:
            user = users.create_user(**details)  # no password: unusable
            SingleSignOnIdentity.objects.create(user=user, issuer=issuer, subject=subject)
            changed = ["created"]
        else:
            user = identity.user
            changed = [field for field, value in details.items() if getattr(user, field) != value]
            for field in changed:
                setattr(user, field, details[field])
            if changed:
                user.save(update_fields=changed)
        granted, revoked = _sync_roles(user, {(agencies[g.agency].pk, g.role) for g in grants})
        if changed or revoked or granted:
            policy.forget_grants()
            audit.record(actor, "sync_sso_user", "user", user.pk, username=username,
                         subject=subject, issuer=issuer, groups=groups, changed=changed,
                         granted=granted, revoked=revoked)
    if not grants:
        raise Refused(_NO_GRANT)
    return user


def _check_sso_account(identity: SingleSignOnIdentity | None, holder, username: str,
                       grants: frozenset[Grant]) -> None:
    if identity is not None and not identity.user.is_active:
        raise Refused("Your Deter account is deactivated: ask a Deter administrator")
    if holder is not None:
        raise Refused(f"Deter already has an account named {holder.username!r} that does not "
                      "sign in through this service: ask a Deter administrator")
    if identity is None and not grants:
        raise Refused(_NO_GRANT)


def _sync_roles(user, wanted: set[tuple[int, str]]) -> tuple[list, list]:
    """Give ``user`` exactly the (agency id, role) pairs ``wanted``: (granted, revoked)."""
    held = {(r.agency_id, r.role): r.pk for r in StaffRole.objects.filter(user=user)}
    revoked = sorted(key for key in held if key not in wanted)
    granted = sorted(wanted - set(held))
    StaffRole.objects.filter(pk__in=[held[key] for key in revoked]).delete()
    StaffRole.objects.bulk_create(
        StaffRole(user=user, agency_id=agency, role=role) for agency, role in granted)
    return [list(k) for k in granted], [list(k) for k in revoked]


_NO_GRANT = ("Your account is in none of the groups that give access to Deter: ask your "
             "administrator to add you to the group for your agency and role")

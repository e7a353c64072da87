"""A system administrator's writes: agencies (with their letterhead), staff accounts (with the
name, job title and contact their letters print) and the roles they hold.

Each takes the acting user first: a system administrator (``policy.agencies``,
``policy.staff``), or ``None`` for the system itself (the ``deter agencies`` and ``deter users``
commands, the demo). A refusal writes a ``denied`` audit row and raises ``PermissionDenied``;
bad input raises ``ValidationError`` naming the field and changes nothing; every change
writes one audit row with what was before, in the same transaction. Deactivating an account
is ``accounts.deactivate_user``, which ends its sessions.
"""

import re
import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction

from .. import audit, policy
from ..domain.logos import check_logo
from ..models import AccountSecurity, Agency, AgencyLogo, StaffProfile, StaffRole

Actor = AbstractBaseUser | None
PHONE = re.compile(r"^\+?[0-9 ()-]{6,30}$")
AGENCY_FIELDS = ("name", "kind", "address", "phone")
PROFILE_FIELDS = ("full_name", "job_title", "phone")


def authorise(actor: Actor, kind: str, action: str, record=None, *, audited: str,
              **detail) -> None:
    """The system may; a user only if the policy of ``kind`` says so, else a ``denied`` row
    under ``audited`` and ``PermissionDenied``."""
    if actor is None or policy.KINDS[kind].can(actor, action, record):
        return
    audit.record(actor, audited, kind, record.pk if record is not None else None,
                 outcome=audit.DENIED, **detail)
    raise PermissionDenied("Only a system administrator manages agencies and accounts")


# --- agencies ---------------------------------------------------------------------------------


def _clean_agency(agency: Agency | None, name: str, kind: str, address: str,
                  phone: str) -> dict[str, str]:
    values = {"name": " ".join((name or "").split()), "kind": kind or "",
              "address": "\n".join(line.strip() for line in (address or "").strip()
                                   .replace("\r\n", "\n").split("\n") if line.strip()),
              "phone": " ".join((phone or "").split())}
    errors: dict[str, str] = {}
    if not values["name"]:
        errors["name"] = "Enter the agency's name"
    elif len(values["name"]) > 200:
        errors["name"] = "The agency's name must be 200 characters or fewer"
    elif Agency.objects.filter(name__iexact=values["name"]).exclude(
            pk=agency.pk if agency else None).exists():
        errors["name"] = f"There is already an agency called {values['name']!r}"
    if values["kind"] not in Agency.Kind.values:
        errors["kind"] = ("Select the kind of agency" if not kind else
                          f"Unknown kind of agency {kind!r}: choose one of "
                          + ", ".join(Agency.Kind.values))
    if len(values["address"]) > 500 or values["address"].count("\n") > 7:
        errors["address"] = "The address must be 8 lines and 500 characters or fewer"
    if values["phone"] and not PHONE.match(values["phone"]):
        errors["phone"] = ("Enter a phone number of digits, spaces and brackets, like "
                           "01622 123456 or +44 1622 123456")
    if errors:
        raise ValidationError(errors)
    return values


def save_agency(actor: Actor, agency: Agency | None = None, *, name: str, kind: str,
                address: str = "", phone: str = "") -> Agency:
    """Create an agency (``agency=None``) or change one's name, kind, address and phone."""
    creating = agency is None
    authorise(actor, "agency", "create" if creating else "edit", agency,
              audited="create_agency" if creating else "edit_agency")
    values = _clean_agency(agency, name, kind, address, phone)
    with transaction.atomic():
        if creating:
            agency = Agency.objects.create(**values)
            audit.record(actor, "create_agency", "agency", agency.pk, **values)
            return agency
        agency = Agency.objects.select_for_update().get(pk=agency.pk)
        before = {f: getattr(agency, f) for f in AGENCY_FIELDS}
        changed = [f for f in AGENCY_FIELDS if before[f] != values[f]]
        for field in changed:
            setattr(agency, field, values[field])
        if changed:
            agency.save(update_fields=changed)
            policy.forget_grants()  # the kind decides police-or-VRU grants
        audit.record(actor, "edit_agency", "agency", agency.pk, changed=changed,
                     before={f: before[f] for f in changed})
    return agency


def set_agency_logo(actor: Actor, agency: Agency, content: bytes | None,
                    filename: str = "the file") -> AgencyLogo | None:
    """The agency's letterhead logo from an upload (checked and re-encoded by
    ``domain.logos``), or none with ``content=None``. Earlier logos are kept for the letters
    written with them."""
    authorise(actor, "agency", "edit", agency, audited="set_agency_logo")
    checked = None if content is None else check_logo(content, filename)
    with transaction.atomic():
        before = Agency.objects.select_for_update().get(pk=agency.pk).logo_id
        logo = None
        if checked is not None:
            logo = AgencyLogo.objects.create(agency=agency, image=checked.png,
                                             width=checked.width, height=checked.height,
                                             uploaded_by=actor)
        Agency.objects.filter(pk=agency.pk).update(logo=logo)
        agency.logo = logo
        audit.record(actor, "set_agency_logo", "agency", agency.pk, before=before,
                     logo=logo.pk if logo else None,
                     size=len(checked.png) if checked else 0)
    return logo


# --- accounts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewAccount:
    user: AbstractBaseUser
    temporary_password: str  # shown once; changed at the first sign-in


def _clean_profile(user, username: str | None, full_name: str, job_title: str, email: str,
                   phone: str) -> dict[str, str]:
    values = {"full_name": " ".join((full_name or "").split()),
              "job_title": " ".join((job_title or "").split()),
              "email": (email or "").strip(), "phone": " ".join((phone or "").split())}
    errors: dict[str, str] = {}
    if username is not None:
        _check_username(username, errors)
    if not values["full_name"]:
        errors["full_name"] = "Enter their full name, as their letters will be signed"
    for field, label in (("full_name", "full name"), ("job_title", "job title")):
        if len(values[field]) > 200:
            errors[field] = f"The {label} must be 200 characters or fewer"
    if values["email"]:
        try:
            validate_email(values["email"])
        except ValidationError:
            errors["email"] = "Enter an email address like name@example.gov.uk"
    if values["phone"] and not PHONE.match(values["phone"]):
        errors["phone"] = ("Enter a phone number of digits, spaces and brackets, like "
                           "07700 900123")
    if errors:
        raise ValidationError(errors)
    return values


def _check_username(username: str, errors: dict[str, str]) -> None:
    if not username:
        errors["username"] = "Enter a user name they will sign in with"
        return
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError:
        errors["username"] = ("A user name has only letters, digits and @ . + - _, and no "
                              "spaces")
        return
    if len(username) > 150:
        errors["username"] = "The user name must be 150 characters or fewer"
    elif get_user_model().objects.filter(username__iexact=username).exists():
        errors["username"] = f"There is already an account called {username!r}"


def create_account(actor: Actor, *, username: str, full_name: str, job_title: str = "",
                   email: str = "", phone: str = "",
                   system_administrator: bool = False) -> NewAccount:
    """A staff account with a random temporary password, to be changed at the first sign-in
    (give it in person or by phone). Only the system makes a system administrator."""
    authorise(actor, "user", "create", audited="create_user")
    username = (username or "").strip()
    values = _clean_profile(None, username, full_name, job_title, email, phone)
    if system_administrator and actor is not None:
        _refuse_administrator(actor, None)
    temporary = "-".join(secrets.token_urlsafe(6) for _ in range(3))
    with transaction.atomic():
        user = get_user_model().objects.create_user(username=username, email=values["email"],
                                                    password=temporary)
        StaffProfile.objects.create(user=user, system_administrator=system_administrator,
                                    **{f: values[f] for f in PROFILE_FIELDS})
        AccountSecurity.objects.create(user=user, must_change_password=True)
        audit.record(actor, "create_user", "user", user.pk, username=username,
                     system_administrator=system_administrator,
                     **{f: values[f] for f in (*PROFILE_FIELDS, "email")})
    return NewAccount(user, temporary)


def _refuse_administrator(actor, user) -> None:
    audit.record(actor, "set_system_administrator", "user", user.pk if user else None,
                 outcome=audit.DENIED)
    raise PermissionDenied("Only the command line (deter users) makes or unmakes a system "
                           "administrator")


def edit_account(actor: Actor, user, *, full_name: str, job_title: str = "", email: str = "",
                 phone: str = "", system_administrator: bool | None = None):
    """Change an account's name, job title and contact; from the system only, whether it is
    a system administrator."""
    authorise(actor, "user", "edit", user, audited="edit_user")
    values = _clean_profile(user, None, full_name, job_title, email, phone)
    if system_administrator is not None and actor is not None:
        _refuse_administrator(actor, user)
    with transaction.atomic():
        profile, _ = StaffProfile.objects.select_for_update().get_or_create(user=user)
        before = {f: getattr(profile, f) for f in PROFILE_FIELDS} | {"email": user.email}
        if system_administrator is not None:
            before["system_administrator"] = profile.system_administrator
            values["system_administrator"] = system_administrator
        changed = [f for f in before if before[f] != values[f]]
        for field in changed:
            setattr(user if field == "email" else profile, field, values[field])
        profile.save()
        user.staff_profile = profile  # the caller's instance reads the new values
        if "email" in changed:
            user.save(update_fields=["email"])
        audit.record(actor, "edit_user", "user", user.pk, username=user.get_username(),
                     changed=changed, before={f: before[f] for f in changed})
    return user


def grant_role(actor: Actor, user, *, agency: Agency | None, role: str) -> StaffRole:
    """Give ``user`` ``role`` at ``agency``: in every programme the agency leads or is a
    party to the agreement of. Granting a role already held changes nothing."""
    authorise(actor, "user", "grant_role", user, audited="grant_role")
    _check_role(agency, role)
    with transaction.atomic():
        staff_role, created = StaffRole.objects.get_or_create(user=user, agency=agency,
                                                              role=role)
        if created:
            policy.forget_grants()
            audit.record(actor, "grant_role", "user", user.pk, username=user.get_username(),
                         agency=agency.pk, agency_name=agency.name, role=role)
    return staff_role


def revoke_role(actor: Actor, user, *, agency: Agency | None, role: str) -> None:
    """Take ``role`` at ``agency`` away from ``user``: from this request on, the policy reads
    their grants without it."""
    authorise(actor, "user", "revoke_role", user, audited="revoke_role")
    _check_role(agency, role)
    with transaction.atomic():
        deleted = StaffRole.objects.filter(user=user, agency=agency, role=role).delete()[0]
        if not deleted:
            raise ValidationError({"role": f"{user.get_username()} is not "
                                           f"{StaffRole.Role(role).label.lower()} at "
                                           f"{agency.name}"})
        policy.forget_grants()
        audit.record(actor, "revoke_role", "user", user.pk, username=user.get_username(),
                     agency=agency.pk, agency_name=agency.name, role=role)


def _check_role(agency: Agency | None, role: str) -> None:
    errors = {}
    if agency is None:
        errors["agency"] = "Select the agency the role is held at"
    if role not in StaffRole.Role.values:
        errors["role"] = ("Select the role" if not role else
                          f"Unknown role {role!r}: choose one of "
                          + ", ".join(StaffRole.Role.values))
    if errors:
        raise ValidationError(errors)

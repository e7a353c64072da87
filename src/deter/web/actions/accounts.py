"""Agencies, staff accounts and their roles; sessions, passwords and the second factor.

Only the system itself (``actor=None``: the command line, the demo, a deployment script, the
single sign-on backend acting on the provider's word) provisions accounts here; a system
administrator's agencies, accounts and roles are ``actions.administration``, and their
deactivation of an account is ``deactivate_user`` below.
Each call is idempotent: an agency is found by name, a user by username, a role by the three.
"""

import secrets
from importlib import import_module

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from .. import audit, policy
from ..models import (
    AccountSecurity,
    Agency,
    SingleSignOnIdentity,
    StaffProfile,
    StaffRole,
    UserSession,
)
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
    full_name: str = "", job_title: str = "",
):
    """A staff account with this password and a role in ``agency`` (added if missing); a
    ``full_name`` and ``job_title`` given are set on its profile (what its letters are signed
    with)."""
    _system_only(actor, "provision_user", "user")
    if role not in StaffRole.Role.values:
        raise ValidationError({"role": f"Unknown role: {role!r}"})
    with transaction.atomic():
        user, created = get_user_model().objects.get_or_create(username=username)
        user.set_password(password)
        user.save(update_fields=["password"])
        _, granted = StaffRole.objects.get_or_create(user=user, agency=agency, role=role)
        named = {k: v for k, v in (("full_name", full_name), ("job_title", job_title)) if v}
        if named:
            StaffProfile.objects.update_or_create(user=user, defaults=named)
        policy.forget_grants()
        audit.record(actor, "provision_user", "user", user.pk, username=username,
                     created=created, agency=agency.pk, role=role, role_granted=granted,
                     profile_set=sorted(named))
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
# --- sessions ---------------------------------------------------------------------------------

SECOND_FACTOR = "deter_second_factor"  # in the session: "verify" or "enrol" until it is done
MUST_CHANGE_PASSWORD = "deter_must_change_password"  # noqa: S105 (a session key)
LOCAL_BACKENDS = frozenset({"django.contrib.auth.backends.ModelBackend"})


def signs_in_locally(backend: str | None) -> bool:
    """Whether a sign-in was with a password held here rather than through single sign-on: the
    backends of single sign-on (deter.web.sso) are not in LOCAL_BACKENDS."""
    return backend in LOCAL_BACKENDS


def record_session(sender, request, user, **kwargs) -> None:
    """At sign-in (``user_logged_in``): the session is linked to its user, so that it can be
    ended with all the others, and marks what the user must do before any page: give a second
    factor, enrol one (required in production for local accounts), or change a temporary
    password."""
    from django.conf import settings
    from django_otp import user_has_device

    from ..audit.context import request_ip

    session = request.session
    if session.session_key is None:
        session.save()
    security = AccountSecurity.objects.filter(user=user).first()
    if user_has_device(user):
        session[SECOND_FACTOR] = "verify"
    elif settings.DETER_REQUIRE_TWO_FACTOR and signs_in_locally(getattr(user, "backend", None)):
        session[SECOND_FACTOR] = "enrol"
    if security and security.must_change_password:
        session[MUST_CHANGE_PASSWORD] = True
    UserSession.objects.update_or_create(session_key=session.session_key, defaults={
        "user": user, "signed_in_at": timezone.now(), "ip_address": request_ip(request),
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:200]})


def forget_session(sender, request, user, **kwargs) -> None:
    """At sign-out (``user_logged_out``): the session's link goes with it."""
    session = getattr(request, "session", None)
    if session is not None and session.session_key:
        UserSession.objects.filter(session_key=session.session_key).delete()


def _end_sessions(user, *, keep: str | None = None) -> int:
    """Delete every session of ``user`` from the session store, but ``keep``; returns how
    many were ended. The store's own rows go, so each ends at once, whatever its age."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    keys = list(UserSession.objects.filter(user=user).exclude(session_key=keep or "")
                .values_list("session_key", flat=True))
    for key in keys:
        store(session_key=key).delete()
    UserSession.objects.filter(session_key__in=keys).delete()
    return len(keys)


def sign_out_everywhere(user) -> int:
    """The user ends all their own sessions, this one included (the view signs it out)."""
    with transaction.atomic():
        ended = _end_sessions(user)
        audit.record(user, "sign_out_everywhere", "user", user.pk, sessions_ended=ended)
    return ended


def change_password(user, request, *, new_password: str) -> None:
    """The user's own new password (already validated by Django's ``PasswordChangeForm``):
    every other session of theirs ends, this one stays signed in under a new key."""
    from django.contrib.auth import update_session_auth_hash

    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        AccountSecurity.objects.update_or_create(user=user, defaults={
            "must_change_password": False, "password_changed_at": timezone.now()})
        old_key = request.session.session_key
        ended = _end_sessions(user, keep=old_key)
        update_session_auth_hash(request, user)  # a new session key for this session
        request.session.pop(MUST_CHANGE_PASSWORD, None)
        request.session.save()
        UserSession.objects.filter(session_key=old_key).update(
            session_key=request.session.session_key)
        audit.record(user, "change_password", "user", user.pk, other_sessions_ended=ended)


def _system_user(actor, action: str, username: str):
    _system_only(actor, action, "user")
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise ValidationError({"username": f"No user is called {username!r}"})
    return user


def reset_password(actor: AbstractBaseUser | None, *, username: str) -> str:
    """An administrator's reset (``deter user reset-password``): a random temporary password,
    which must be changed at the next sign-in; the user's sessions end, any lockout of the
    account is lifted. Returns the temporary password, to be given to the user in person."""
    from axes.utils import reset as reset_lockout

    user = _system_user(actor, "reset_password", username)
    temporary = "-".join(secrets.token_urlsafe(6) for _ in range(3))
    with transaction.atomic():
        user.set_password(temporary)
        user.save(update_fields=["password"])
        AccountSecurity.objects.update_or_create(user=user, defaults={
            "must_change_password": True})
        ended = _end_sessions(user)
        lockouts = reset_lockout(username=username)
        audit.record(actor, "reset_password", "user", user.pk, username=username,
                     sessions_ended=ended, lockouts_lifted=lockouts)
    return temporary


def deactivate_user(actor: AbstractBaseUser | None, *, username: str) -> int:
    """``deter user deactivate``, or a system administrator's (``policy.staff``, not their
    own account): the account can no longer sign in, and every session it has ends at once.
    Returns the number of sessions ended."""
    user = get_user_model().objects.filter(username=username).first()
    if actor is not None and (user is None or not policy.staff.can(actor, "deactivate", user)):
        audit.record(actor, "deactivate_user", "user", user.pk if user else None,
                     outcome=audit.DENIED, username=username)
        raise PermissionDenied("Only a system administrator deactivates accounts, and not "
                               "their own, nor one already deactivated")
    user = _system_user(None, "deactivate_user", username)
    with transaction.atomic():
        ended = _end_sessions(user)
        user.is_active = False
        user.save(update_fields=["is_active"])
        audit.record(actor, "deactivate_user", "user", user.pk, username=username,
                     sessions_ended=ended)
    return ended


def reset_two_factor(actor: AbstractBaseUser | None, *, username: str) -> int:
    """``deter user reset-two-factor``: for a user who lost their authenticator (or passkeys) and
    recovery codes, their devices are removed (they enrol again at the next sign-in, where it is
    required) and their sessions end. Returns the number of devices removed."""
    user = _system_user(actor, "reset_two_factor", username)
    with transaction.atomic():
        removed = TOTPDevice.objects.filter(user=user).delete()[0]
        passkeys = WebAuthnCredential.objects.filter(user=user).delete()[1]  # and attestations
        removed += passkeys.get(WebAuthnCredential._meta.label, 0)
        removed += StaticDevice.objects.filter(user=user).delete()[0]
        ended = _end_sessions(user)
        audit.record(actor, "reset_two_factor", "user", user.pk, username=username,
                     devices_removed=removed, sessions_ended=ended)
    return removed


def end_sessions_of_inactive(sender, instance, created: bool, **kwargs) -> None:
    """A user saved as inactive by any other way (a shell, a script: ``post_save``) has their
    sessions ended too; ``deactivate_user`` has ended them already, with its audit row."""
    if not created and not instance.is_active:
        with transaction.atomic():
            if ended := _end_sessions(instance):
                audit.record(None, "end_sessions_of_inactive_user", "user", instance.pk,
                             sessions_ended=ended)


def record_lockout(sender, request, username, ip_address, **kwargs) -> None:
    """django-axes locked an account or an address out (``user_locked_out``), or refused a
    sign-in while it is: audited with the address and agent of the request."""
    from django.contrib.auth.models import AnonymousUser

    audit.record(AnonymousUser(), "sign_in_locked_out", "user", None, outcome=audit.DENIED,
                 username=str(username or "")[:150], locked_address=ip_address)


# --- the second factor ------------------------------------------------------------------------

RECOVERY_CODES = 10
TOTP_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"


def start_totp_enrolment(user) -> TOTPDevice:
    """The user's unconfirmed authenticator, made with a new random key if there is none: its
    key is shown as a QR code until the user proves they hold it with a code."""
    with transaction.atomic():
        device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)
            audit.record(user, "start_two_factor_enrolment", "otp_device", device.pk)
    return device


def confirm_totp_enrolment(user, *, code: str, keep_session: str | None = None) -> list[str]:
    """The code from the user's authenticator confirms the unconfirmed device: it replaces any
    earlier one, a new set of single-use recovery codes replaces any earlier set, and the
    user's other sessions (signed in without it) end. Returns the recovery codes, to be shown
    once. A wrong code raises ``ValidationError``."""
    if not _digits(code):
        raise ValidationError({"code": "Enter the 6-digit code your authenticator app shows"})
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(
            user=user, confirmed=False).first()
        if device is None:
            raise ValidationError({"code": "Start again: open the set-up page to get a new "
                                           "QR code"})
        accepted = device.verify_token(_digits(code))
        if not accepted:  # the refusal and django-otp's throttle count are kept
            audit.record(user, "enrol_two_factor", "otp_device", device.pk,
                         outcome=audit.DENIED)
    if not accepted:
        raise ValidationError({"code": "The code is not right: enter the 6-digit code your "
                                       "authenticator app shows now"})
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _new_recovery_codes(user)
        ended = _end_sessions(user, keep=keep_session)
        audit.record(user, "enrol_two_factor", "otp_device", device.pk,
                     recovery_codes=len(codes), other_sessions_ended=ended)
    return codes


def new_recovery_codes(user) -> list[str]:
    """A new set of recovery codes for a user who has an authenticator or a passkey; the old
    set no longer works."""
    if not (TOTPDevice.objects.filter(user=user, confirmed=True).exists()
            or WebAuthnCredential.objects.filter(user=user, confirmed=True).exists()):
        audit.record(user, "new_recovery_codes", "otp_device", None, outcome=audit.DENIED)
        raise ValidationError("Set up an authenticator app or a passkey first")
    with transaction.atomic():
        codes = _new_recovery_codes(user)
        audit.record(user, "new_recovery_codes", "otp_device", None, recovery_codes=len(codes))
    return codes


def _new_recovery_codes(user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


def _digits(code: str) -> str:
    """A code as typed, without spaces (recovery codes are lower case)."""
    return "".join((code or "").split()).lower()


class SecondFactorRefused(ValidationError):
    pass


def verify_second_factor(user, *, code: str):
    """The code from the user's authenticator, or one of their recovery codes (then used up).
    Returns the device that accepted it; a wrong code or too many tries raises
    ``ValidationError`` and is audited. django-otp slows guessing down: each wrong code
    doubles the wait before the next is tried."""
    code = _digits(code)
    if not code:
        raise ValidationError({"code": "Enter the code from your authenticator app, or a "
                                       "recovery code"})
    with transaction.atomic():
        devices = list(TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True))
        devices += list(StaticDevice.objects.select_for_update().filter(user=user,
                                                                        confirmed=True))
        waits = []
        for device in devices:
            allowed, why = device.verify_is_allowed()
            if not allowed:
                waits.append(why.get("locked_until") if why else None)
                continue
            if device.verify_token(code):
                detail = {"device": "recovery_code" if isinstance(device, StaticDevice)
                          else "totp"}
                if isinstance(device, StaticDevice):
                    detail["recovery_codes_left"] = device.token_set.count()
                audit.record(user, "second_factor", "otp_device", device.pk, **detail)
                return device
        audit.record(user, "second_factor", "otp_device", None, outcome=audit.DENIED,
                     throttled=len(waits) == len(devices) and bool(devices))
    if devices and len(waits) == len(devices):
        until = min((w for w in waits if w), default=None)
        when = f" after {timezone.localtime(until):%H:%M:%S}" if until else " in a minute"
        raise SecondFactorRefused({"code": f"Too many wrong codes: try again{when}"})
    raise SecondFactorRefused({"code": "The code is not right: enter the 6-digit code your "
                                       "authenticator app shows now, or a recovery code"})


# --- passkeys (django-otp-webauthn) -------------------------------------------------------------
#
# The library's helper runs each WebAuthn ceremony (py_webauthn checks the challenge, origin,
# relying party and signature) and writes its own models: the credential, its attestation, the
# user's WebAuthn user handle, the signature counter. Deter's views (views.passkeys) subclass
# the library's and call only these actions, so every such write happens here, in a
# transaction, with its audit row; a refusal raises the library's ``OTPWebAuthnApiError``
# (answered as JSON by the view), audited once here (``audited`` marks it).

PASSKEY_NAME = "Passkey"
REGISTER_STATE = "otp_webauthn_register_state"  # the library's session keys
VERIFY_STATE = "otp_webauthn_authentication_state"


def _passkey_helper(request):
    from django_otp_webauthn.utils import get_credential_model

    return get_credential_model().get_webauthn_helper(request=request)


def _passkey_checks():
    """The library's translation of py_webauthn's errors into its API errors."""
    import logging

    from django_otp_webauthn.utils import rewrite_exceptions

    return rewrite_exceptions(logger=logging.getLogger(settings.OTP_WEBAUTHN_EXCEPTION_LOGGER_NAME))


def _take_state(request, key: str) -> dict:
    """The ceremony's challenge, taken from the session so that it is never used twice, even
    when what follows fails."""
    from django_otp_webauthn.exceptions import InvalidState

    state = request.session.pop(key, None)
    request.session.save()
    if not state:
        raise InvalidState()
    return state


def _passkey_refused(user, action: str, error, device_id=None) -> None:
    audit.record(user, action, "otp_device", device_id, outcome=audit.DENIED, device="passkey",
                 code=str(getattr(error, "code", "error")))
    error.audited = True


def begin_passkey_registration(user, request) -> dict:
    """The options (a new challenge, the relying party, the user's handle and the passkeys they
    have already, which the browser will not make twice) for ``navigator.credentials.create``;
    the challenge is kept in the session."""
    with transaction.atomic():
        options, state = _passkey_helper(request).register_begin(user=user)
        request.session[REGISTER_STATE] = state
        audit.record(user, "start_passkey_enrolment", "otp_device", None, device="passkey",
                     passkeys_held=len(options.get("excludeCredentials", [])))
    return options


def register_passkey(user, request, *, data: dict, keep_session: str | None = None):
    """The browser's new credential, checked against the challenge: kept as the user's passkey,
    a second factor like the authenticator app. As when one is confirmed, the user's other
    sessions (signed in without it) end. Returns the passkey."""
    from django_otp_webauthn.exceptions import OTPWebAuthnApiError

    try:
        state = _take_state(request, REGISTER_STATE)
        with transaction.atomic(), _passkey_checks():
            device = _passkey_helper(request).register_complete(user=user, state=state,
                                                                data=data)
            now = timezone.localtime()
            device.name = f"{PASSKEY_NAME} added {now.day} {now:%B %Y %H:%M}"
            device.save(update_fields=["name"])
            ended = _end_sessions(user, keep=keep_session)
            audit.record(user, "enrol_passkey", "otp_device", device.pk, device="passkey",
                         discoverable=device.discoverable, backup_eligible=device.backup_eligible,
                         aaguid=device.aaguid, transports=device.transports,
                         other_sessions_ended=ended)
    except OTPWebAuthnApiError as error:
        _passkey_refused(user, "enrol_passkey", error)
        raise
    return device


def begin_passkey_verification(user, request) -> dict:
    """The options (a new challenge and the user's passkeys) for
    ``navigator.credentials.get``, after the password; the challenge is kept in the session."""
    with transaction.atomic():
        options, state = _passkey_helper(request).authenticate_begin(
            user=user, require_user_verification=False)  # the password was the first factor
        request.session[VERIFY_STATE] = state
        audit.record(user, "start_passkey_sign_in", "otp_device", None, device="passkey",
                     passkeys_held=len(options.get("allowCredentials", [])))
    return options


def verify_passkey(user, request, *, data: dict):
    """The browser's signature over the challenge by one of the user's own passkeys: the second
    factor given (``second_factor`` with ``device: passkey``, as for a code). py_webauthn
    refuses a signature counter that went backwards (a cloned authenticator). Returns the
    passkey; a refusal raises the library's error, audited as a wrong code is."""
    from django_otp_webauthn.exceptions import (
        CredentialDisabled,
        OTPWebAuthnApiError,
        UserDisabled,
    )

    try:
        state = _take_state(request, VERIFY_STATE)
        with transaction.atomic(), _passkey_checks():
            device = _passkey_helper(request).authenticate_complete(user=user, state=state,
                                                                    data=data)
            if not device.confirmed:
                raise CredentialDisabled()
            if not user.is_active:
                raise UserDisabled()
            audit.record(user, "second_factor", "otp_device", device.pk, device="passkey",
                         sign_count=device.sign_count)
    except OTPWebAuthnApiError as error:
        _passkey_refused(user, "second_factor", error)
        raise
    return device


def remove_passkey(user, *, passkey_id: int) -> bool:
    """The user removes one of their own passkeys. Refused (False) for one that is not theirs,
    and for their last second factor where two-factor sign-in is required: they set up
    another first."""
    with transaction.atomic():
        passkey = WebAuthnCredential.objects.select_for_update().filter(
            user=user, pk=passkey_id).first()
        others = (TOTPDevice.objects.filter(user=user, confirmed=True).exists()
                  or WebAuthnCredential.objects.filter(user=user, confirmed=True)
                  .exclude(pk=passkey_id).exists())
        if passkey is None or (settings.DETER_REQUIRE_TWO_FACTOR and not others):
            audit.record(user, "remove_passkey", "otp_device", passkey_id, outcome=audit.DENIED,
                         device="passkey", reason="not yours" if passkey is None
                         else "last second factor")
            return False
        passkey.delete()
        if not others:  # recovery codes are for a second factor the user no longer has
            StaticDevice.objects.filter(user=user).delete()
        audit.record(user, "remove_passkey", "otp_device", passkey_id, device="passkey")
    return True

"""A user's own account: their sessions and their second factor. Each user sees only their
own; nobody else's account is read here."""

from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from ..models import UserSession


def own_sessions(user) -> list[UserSession]:
    return list(UserSession.objects.filter(user=user).order_by("-signed_in_at")[:50])


def own_authenticator(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def own_unconfirmed_authenticator(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).first()


def own_recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def own_passkeys(user) -> list[WebAuthnCredential]:
    return list(WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("created_at"))


def own_second_factor(user) -> bool:
    """Whether the user has an authenticator app or a passkey."""
    return own_authenticator(user) is not None or bool(own_passkeys(user))

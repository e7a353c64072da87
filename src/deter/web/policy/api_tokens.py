"""Which API token a call presents, and whether it still acts (``deter.web.api.auth``).

A token acts only while it is neither revoked nor expired, its service user is active, and
every role that user holds is in the token's agency: a role granted elsewhere later would
widen what the token sees beyond the agency it was issued for, so the token then refuses
until it is issued afresh.
"""

from django.db.models import QuerySet
from django.utils import timezone

from ..models import ApiToken, StaffRole


def presented(digest: str) -> ApiToken | None:
    """The token whose SHA-256 digest this is, with its user and agency."""
    return ApiToken.objects.select_related("user", "agency").filter(digest=digest).first()


def refusal(token: ApiToken) -> str | None:
    """Why the token may not act now, or None when it may."""
    if token.revoked_at is not None:
        return "This API token was revoked"
    if token.expires_at <= timezone.now():
        return "This API token has expired"
    if not token.user.is_active:
        return "This API token's service user is deactivated"
    if StaffRole.objects.filter(user_id=token.user_id).exclude(agency_id=token.agency_id) \
            .exists():
        return "This API token's service user holds roles outside its agency"
    return None


def every_token() -> QuerySet[ApiToken]:
    """All tokens, for the system's own list (``deter api-token list``)."""
    return ApiToken.objects.select_related("agency", "user").order_by("name", "created_at")

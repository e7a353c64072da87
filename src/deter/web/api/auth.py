"""``Authorization: Bearer deter_...``: the only way in (no session, so no CSRF)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from ..actions.api_tokens import TOKEN_START, digest
from ..policy import api_tokens

SCHEME = "Bearer"


class TokenAuthentication(authentication.BaseAuthentication):
    """The token's service user, or a 401 naming what is wrong with the header or the token.
    A refused token that exists is kept on the request (``deter_api_token``) so the audit row
    names its integration."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None  # IsAuthenticated answers 401: no credentials
        scheme, _, secret = header.partition(" ")
        secret = secret.strip()
        if scheme.lower() != SCHEME.lower() or not secret:
            raise exceptions.AuthenticationFailed(
                "The Authorization header must be 'Bearer <token>'")
        if not secret.startswith(TOKEN_START):
            raise exceptions.AuthenticationFailed("This is not a Deter API token")
        token = api_tokens.presented(digest(secret))
        if token is None:
            raise exceptions.AuthenticationFailed("This API token is not known")
        request._request.deter_api_token = token
        if (reason := api_tokens.refusal(token)) is not None:
            raise exceptions.AuthenticationFailed(reason)
        request._request.user = token.user  # the middleware and audit see the service user
        return token.user, token

    def authenticate_header(self, request) -> str:
        return f'{SCHEME} realm="deter"'


class TokenScheme(OpenApiAuthenticationExtension):
    """The schema's security scheme: HTTP bearer."""

    target_class = TokenAuthentication
    name = "token"

    def get_security_definition(self, auto_schema) -> dict:
        return {"type": "http", "scheme": "bearer",
                "description": "A token from `deter api-token create` (docs/api.md)"}


def token_of(request):
    """The token a call presented (accepted or refused), or None."""
    return getattr(request._request if hasattr(request, "_request") else request,
                   "deter_api_token", None)


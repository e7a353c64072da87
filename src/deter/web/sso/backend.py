"""The authentication backend for single sign-on: mozilla-django-oidc's, with Deter's checks.

Beyond the library (state, nonce, PKCE, the ID token's signature and expiry) it checks the ID
token's issuer and audience (the library leaves ``aud`` unchecked) and that the userinfo
endpoint speaks of the same subject; it reads the groups from the signed ID token (Entra ID puts
them there, not behind its userinfo endpoint), and has ``actions.accounts.sync_sso_user`` give
the account exactly the roles the groups map to. A refusal is kept on the request
(``request.sso_refusal``) for the callback view to show and audit; the claims worth auditing
(``amr``, ``acr``) on ``request.sso_claims``.
"""

from __future__ import annotations

import jwt
import requests
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import SuspiciousOperation
from django.db import IntegrityError
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from ..actions import accounts
from . import config

AUDITED_CLAIMS = ("amr", "acr", "auth_time")


class SingleSignOnBackend(OIDCAuthenticationBackend):
    get_settings = staticmethod(config.setting)

    def __init__(self, *args, **kwargs) -> None:
        # Django makes a backend for every request of a signed-in user (to load the user) and
        # for every local sign-in: the provider is asked for nothing until a sign-in with it
        from django.contrib.auth import get_user_model

        self.UserModel = get_user_model()

    # the library's attributes, read when a sign-in with the provider needs them
    OIDC_OP_TOKEN_ENDPOINT = property(lambda self: config.setting("OIDC_OP_TOKEN_ENDPOINT"))
    OIDC_OP_USER_ENDPOINT = property(lambda self: config.setting("OIDC_OP_USER_ENDPOINT"))
    OIDC_OP_JWKS_ENDPOINT = property(lambda self: config.setting("OIDC_OP_JWKS_ENDPOINT"))
    OIDC_RP_CLIENT_ID = property(lambda self: config.setting("OIDC_RP_CLIENT_ID"))
    OIDC_RP_CLIENT_SECRET = property(lambda self: config.setting("OIDC_RP_CLIENT_SECRET"))
    OIDC_RP_SIGN_ALGO = property(lambda self: config.setting("OIDC_RP_SIGN_ALGO"))
    OIDC_RP_IDP_SIGN_KEY = property(lambda self: config.setting("OIDC_RP_IDP_SIGN_KEY"))

    def authenticate(self, request, **kwargs):
        if request is None or not config.configured() or "nonce" not in kwargs:
            return None  # a local sign-in, or nothing to do with the provider
        try:
            return super().authenticate(request, **kwargs)
        except config.Refused as refusal:
            request.sso_refusal = str(refusal)
        except config.ProviderUnavailable as error:
            request.sso_refusal = f"The sign-in service could not be reached ({error})"
        except requests.RequestException as error:
            # the token endpoint refused the code (used, expired, or a wrong PKCE verifier)
            request.sso_refusal = ("The sign-in service did not accept the sign-in "
                                   f"({_short(error)})")
        except (SuspiciousOperation, jwt.InvalidTokenError) as error:
            request.sso_refusal = f"The sign-in service's answer failed a check ({error})"
        except IntegrityError:
            # the same person's first sign-in in two tabs at once: the other one made the account
            request.sso_refusal = "The sign-in met another at the same moment: sign in again"
        return None

    def get_user(self, user_id):
        # Django's own: a user deactivated in Deter is signed out at their next request (the
        # library's would keep loading them)
        return ModelBackend.get_user(self, user_id)

    def verify_token(self, token, **kwargs):
        payload = super().verify_token(token, **kwargs)
        issuer = config.discovery()["issuer"]
        if payload.get("iss") != issuer:
            raise SuspiciousOperation(f"the ID token's issuer is {payload.get('iss')!r}, "
                                      f"not {issuer!r}")
        audience = payload.get("aud")
        audiences = [audience] if isinstance(audience, str) else list(audience or [])
        client = self.OIDC_RP_CLIENT_ID
        if client not in audiences or (len(audiences) > 1 and payload.get("azp") != client):
            raise SuspiciousOperation(f"the ID token is for {audience!r}, not this client")
        if not payload.get("sub"):
            raise SuspiciousOperation("the ID token names no subject")
        return payload

    def get_userinfo(self, access_token, id_token, payload):
        """The ID token's claims, with what the userinfo endpoint adds (the ID token's win)."""
        claims = {}
        if self.OIDC_OP_USER_ENDPOINT:
            claims = super().get_userinfo(access_token, id_token, payload)
            if claims.get("sub") != payload["sub"]:
                raise config.Refused("The sign-in service's answer failed a check (its userinfo "
                                     "endpoint spoke of another subject)")
        return {**claims, **payload}

    def get_or_create_user(self, access_token, id_token, payload):
        claims = self.get_userinfo(access_token, id_token, payload)
        self.request.sso_claims = {k: claims[k] for k in AUDITED_CLAIMS if k in claims}
        grants, groups = config.grants_for(claims)
        return accounts.sync_sso_user(
            None, issuer=claims["iss"], subject=claims["sub"],
            username=str(claims.get(self.username_claim()) or claims.get("email") or ""),
            email=str(claims.get("email") or ""),
            first_name=str(claims.get("given_name") or ""),
            last_name=str(claims.get("family_name") or ""),
            grants=grants, groups=groups)

    @staticmethod
    def username_claim() -> str:
        from django.conf import settings

        return settings.DETER_OIDC_USERNAME_CLAIM


def _short(error: Exception) -> str:
    response = getattr(error, "response", None)
    if response is not None:
        try:
            body = response.json()
        except ValueError:
            body = {}
        detail = body.get("error_description") or body.get("error") if isinstance(body, dict) \
            else None
        return f"{response.status_code}{': ' + str(detail) if detail else ''}"
    return type(error).__name__

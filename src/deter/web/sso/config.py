"""Deter's single sign-on settings: the provider, its discovery document, and the map from the
provider's groups (or app roles) to agencies and roles.

mozilla-django-oidc reads its ``OIDC_*`` settings through ``get_settings``; Deter's views and
backend pass it ``setting``, which answers from the DETER_OIDC_* variables and the provider's
``/.well-known/openid-configuration`` (fetched at the first sign-in of the process, not at start:
a provider that is down must not stop Deter, or its local accounts, from starting).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from mozilla_django_oidc.utils import import_from_settings

from ..models import StaffRole


class ProviderUnavailable(Exception):
    """The provider's discovery document could not be read, or does not describe it."""


class Refused(Exception):
    """A sign-in the provider completed that Deter refuses; the message says why, to the user
    and in the audit trail."""


@dataclass(frozen=True, order=True)
class Grant:
    agency: str
    role: str


def configured() -> bool:
    return bool(settings.DETER_OIDC_ISSUER)


def provider_name() -> str:
    return settings.DETER_OIDC_PROVIDER_NAME


def group_map(raw: object = None) -> dict[str, frozenset[Grant]]:
    """The group map, checked: each group id names an agency and a list of Deter's roles.
    ``ImproperlyConfigured`` names the group and what is wrong with it."""
    raw = settings.DETER_OIDC_GROUP_MAP if raw is None else raw
    where = "DETER_OIDC_GROUP_MAP"
    if not isinstance(raw, Mapping) or not raw:
        raise ImproperlyConfigured(
            f'{where} must be a JSON object of group ids, e.g. {{"<group id>": {{"agency": '
            f'"Northshire Police", "roles": ["analyst"]}}}}')
    roles = StaffRole.Role.values
    mapped: dict[str, frozenset[Grant]] = {}
    for group, entries in raw.items():
        grants: set[Grant] = set()
        for entry in entries if isinstance(entries, list) else [entries]:
            if not isinstance(entry, Mapping) or set(entry) != {"agency", "roles"}:
                raise ImproperlyConfigured(
                    f"{where}: group {group!r} must map to an object with exactly \"agency\" and "
                    f"\"roles\" (or a list of such objects), not {entry!r}")
            agency, names = entry["agency"], entry["roles"]
            if not isinstance(agency, str) or not agency.strip():
                raise ImproperlyConfigured(f"{where}: group {group!r} names no agency")
            if not isinstance(names, list) or not names:
                raise ImproperlyConfigured(
                    f"{where}: group {group!r}: roles must be a list of at least one of "
                    f"{', '.join(roles)}")
            unknown = [name for name in names if name not in roles]
            if unknown:
                raise ImproperlyConfigured(
                    f"{where}: group {group!r}: unknown role {unknown[0]!r} (use "
                    f"{', '.join(roles)})")
            grants.update(Grant(agency.strip(), name) for name in names)
        mapped[str(group)] = frozenset(grants)
    return mapped


def grants_for(claims: Mapping) -> tuple[frozenset[Grant], list[str]]:
    """The grants the claims' groups map to, and those of the groups that are mapped."""
    name = settings.DETER_OIDC_GROUPS_CLAIM
    value = claims.get(name)
    if value is None and name in (claims.get("_claim_names") or {}):
        # Entra ID's "groups overage": more groups than fit in a token are left out of it
        raise Refused(
            f"Your account is in too many groups for the sign-in to list them: your "
            f"administrator should send only the groups assigned to Deter (the \"{name}\" claim)")
    groups = [value] if isinstance(value, str) else [str(g) for g in value or []]
    mapping = group_map()
    matched = sorted(group for group in set(groups) if group in mapping)
    return frozenset().union(*(mapping[group] for group in matched)), matched


ENDPOINTS = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}
REQUIRED = ("authorization_endpoint", "token_endpoint", "jwks_uri")
_discovered: dict[str, dict] = {}
_lock = threading.Lock()


def discovery() -> dict:
    """The provider's discovery document, read once a process; ``ProviderUnavailable`` if it
    cannot be read or names another issuer (OpenID Connect Discovery 1.0, section 4.3)."""
    issuer = settings.DETER_OIDC_ISSUER
    with _lock:
        if issuer in _discovered:
            return _discovered[issuer]
        url = f"{issuer}/.well-known/openid-configuration"
        try:
            response = requests.get(url, timeout=settings.DETER_OIDC_TIMEOUT_SECONDS)
            response.raise_for_status()
            document = response.json()
        except (requests.RequestException, ValueError) as error:
            raise ProviderUnavailable(f"{url} could not be read: {error}") from None
        if not isinstance(document, dict) or str(document.get("issuer", "")).rstrip("/") != issuer:
            said = document.get("issuer") if isinstance(document, dict) else None
            raise ProviderUnavailable(f"{url} describes the issuer {said!r}, not {issuer!r}")
        missing = [key for key in REQUIRED if not document.get(key)]
        if missing:
            raise ProviderUnavailable(f"{url} names no {', '.join(missing)}")
        methods = document.get("code_challenge_methods_supported")
        if methods is not None and "S256" not in methods:
            raise ProviderUnavailable(f"{url}: the provider does not offer PKCE with S256")
        _discovered[issuer] = document
        return document


def forget_discovery() -> None:
    with _lock:
        _discovered.clear()


def setting(attr: str, *default):
    """mozilla-django-oidc's ``get_settings``: its settings from Deter's."""
    if attr in ENDPOINTS:
        return discovery().get(ENDPOINTS[attr])
    fixed = {
        "OIDC_RP_CLIENT_ID": settings.DETER_OIDC_CLIENT_ID,
        "OIDC_RP_CLIENT_SECRET": settings.DETER_OIDC_CLIENT_SECRET,
        "OIDC_RP_SCOPES": settings.DETER_OIDC_SCOPES,
        "OIDC_RP_SIGN_ALGO": "RS256",
        "OIDC_RP_IDP_SIGN_KEY": None,  # the key comes from the provider's jwks_uri
        "OIDC_USE_NONCE": True,
        "OIDC_USE_PKCE": True,
        "OIDC_PKCE_CODE_CHALLENGE_METHOD": "S256",
        "OIDC_TOKEN_USE_BASIC_AUTH": False,  # client_secret_post: no encoding of the secret
        "OIDC_TIMEOUT": settings.DETER_OIDC_TIMEOUT_SECONDS,
        "OIDC_VERIFY_SSL": True,
        "OIDC_ALLOW_UNSECURED_JWT": False,
        "OIDC_STORE_ACCESS_TOKEN": False,
        "OIDC_STORE_ID_TOKEN": False,
    }
    if attr in fixed:
        return fixed[attr]
    return import_from_settings(attr, *default)


def end_session_url(post_logout_redirect: str) -> str | None:
    """Where to send the browser to end its session at the provider too (OpenID Connect
    RP-Initiated Logout 1.0: ``client_id`` and a registered ``post_logout_redirect_uri``, no
    ID token kept), or None if that is turned off, the provider names no end-session endpoint,
    or it cannot be reached: signing out of Deter never waits on the provider."""
    if not configured() or not settings.DETER_OIDC_SIGN_OUT_AT_PROVIDER:
        return None
    try:
        endpoint = discovery().get("end_session_endpoint")
    except ProviderUnavailable:
        return None
    if not endpoint:
        return None
    query = urlencode({"client_id": settings.DETER_OIDC_CLIENT_ID,
                       "post_logout_redirect_uri": post_logout_redirect})
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"

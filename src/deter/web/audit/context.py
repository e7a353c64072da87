"""The request an audit row is written in: who called from where, with which session, why.

``AuditContextMiddleware`` puts the request in a context variable for the length of the
request, and ``audit.record`` reads it: the client's address (behind
``DETER_TRUSTED_PROXIES`` proxies, the address the outermost trusted proxy saw), the user
agent cut to a bounded length, a keyed HMAC of the session key (the key itself would let
anyone who reads the trail take over the session) and the purpose the URL declares
(``audit.purposes``). The system acting outside a request records none of these.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.conf import settings
from django.http import HttpRequest

from ..models.audit import USER_AGENT_LENGTH
from .purposes import purpose_of


@dataclass
class RequestContext:
    request: HttpRequest
    ip_address: str | None
    user_agent: str
    rows: int = 0  # audit rows written during the request
    roles: dict[int, list[dict]] = field(default_factory=dict)  # actor pk -> roles, read once

    def fields(self) -> dict[str, object]:
        match = getattr(self.request, "resolver_match", None)
        session = getattr(self.request, "session", None)
        return {
            "ip_address": self.ip_address,
            "user_agent": self.user_agent,
            "session": session_token(session.session_key if session is not None else None),
            "purpose": purpose_of(match.url_name if match else None),
        }


NO_REQUEST = {"ip_address": None, "user_agent": "", "session": "", "purpose": ""}

_current: ContextVar[RequestContext | None] = ContextVar("deter_audit_request", default=None)


def current() -> RequestContext | None:
    return _current.get()


def enter(request: HttpRequest) -> object:
    return _current.set(RequestContext(
        request=request,
        ip_address=client_ip(request, settings.DETER_TRUSTED_PROXIES),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_LENGTH],
    ))


def leave(token) -> None:
    _current.reset(token)


def _address(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest, trusted_proxies: int) -> str | None:
    """The client's address: REMOTE_ADDR, or behind ``trusted_proxies`` reverse proxies the
    address the outermost of them put in X-Forwarded-For (entries further left are the
    client's own word and could say anything). A header with fewer entries than proxies is
    not trusted."""
    remote = _address(request.META.get("REMOTE_ADDR", ""))
    if trusted_proxies <= 0:
        return remote
    forwarded = [part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
                 if part.strip()]
    if len(forwarded) < trusted_proxies:
        return remote
    return _address(forwarded[-trusted_proxies])


def request_ip(request: HttpRequest) -> str | None:
    """The client's address as the audit sees it: django-axes counts failures by it."""
    return client_ip(request, settings.DETER_TRUSTED_PROXIES)


def session_token(session_key: str | None) -> str:
    """A keyed HMAC-SHA256 of the session key: rows of one session share it, and it cannot be
    turned back into the key."""
    if not session_key:
        return ""
    key = hashlib.sha256(b"deter-audit-session:" + settings.SECRET_KEY.encode()).digest()
    return hmac.new(key, session_key.encode(), hashlib.sha256).hexdigest()

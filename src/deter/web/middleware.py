"""Deter's own middleware."""

from collections.abc import Callable

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse

from . import audit, policy
from .audit import context as audit_context

REFUSED_STATUSES = frozenset({400, 401, 403, 404, 405})


class PolicyCacheMiddleware:
    """Each request reads the signed-in user's roles and partnerships once (see
    ``policy.grants``); the next request reads them afresh."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = policy.caching_grants()
        try:
            return self.get_response(request)
        finally:
            policy.stop_caching(token)


class AuditContextMiddleware:
    """Every audit row written during a request carries the request's address, user agent,
    session and purpose (``audit.context``). A request that wrote no row at all (an unknown
    address, a refusal before any view, a view that forgot) gets one naming the URL and its
    status, so no request goes unrecorded; each view still writes its own, which says more
    (``tests/web/test_audit_every_url.py``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = audit_context.enter(request)
        try:
            response = self.get_response(request)
            if audit_context.current().rows == 0:
                match = getattr(request, "resolver_match", None)
                audit.record(
                    getattr(request, "user", None) or AnonymousUser(), "request", "url",
                    match.url_name if match else "",
                    outcome=audit.DENIED if response.status_code in REFUSED_STATUSES
                    else audit.ALLOWED,
                    method=request.method, path=request.path, status=response.status_code)
            return response
        finally:
            audit_context.leave(token)

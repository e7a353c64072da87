"""Deter's own middleware."""

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import urlencode

from . import audit, policy
from .actions import forms as once
from .actions.accounts import MUST_CHANGE_PASSWORD, SECOND_FACTOR
from .audit import context as audit_context

REFUSED_STATUSES = frozenset({400, 401, 403, 404, 405})


API_PREFIX = "/api/"


class TokensOnlyOnApiMiddleware:
    """The API (``deter.web.api``) answers to tokens only: on its paths the session and CSRF
    cookies are dropped before the session is read, so a signed-in browser's cookie never
    authenticates a call (nothing there to forge across sites) and no session middleware acts
    on it. Elsewhere nothing changes."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(API_PREFIX):
            request.COOKIES.pop(settings.SESSION_COOKIE_NAME, None)
            request.COOKIES.pop(settings.CSRF_COOKIE_NAME, None)
        return self.get_response(request)


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


SESSION_STARTED = "deter_signed_in_at"
SESSION_SEEN = "deter_seen_at"
SEEN_RESOLUTION = 60  # seconds: the last-seen time is written at most once a minute


def start_session_clock(sender, request, user, **kwargs) -> None:
    """At sign-in (``user_logged_in``): the session's lifetime and idle time start now, written
    with the new session rather than on the first page after it."""
    now = time.time()
    request.session[SESSION_STARTED] = now
    request.session[SESSION_SEEN] = now


class SessionLifetimeMiddleware:
    """Ends a session after ``DETER_SESSION_IDLE_MINUTES`` without a request, and
    ``DETER_SESSION_MAX_HOURS`` after sign-in however active it is: signed out and audited, the
    request goes on as anonymous, so the page asks to sign in again. The last-seen time is
    saved at most once a minute, so a page's images and charts, fetched at once, do not each
    write the session."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            self._check(request, time.time())
        return self.get_response(request)

    def _check(self, request: HttpRequest, now: float) -> None:
        session = request.session
        # set at sign-in (``start_session_clock``); a session from before then starts now
        started = session.setdefault(SESSION_STARTED, now)
        seen = session.get(SESSION_SEEN, started)
        idle, lifetime = now - seen, now - started
        if idle > settings.DETER_SESSION_IDLE_MINUTES * 60 \
                or lifetime > settings.DETER_SESSION_MAX_HOURS * 3600:
            audit.record(request.user, "session_expired", "user", request.user.pk,
                         outcome=audit.DENIED, idle_minutes=round(idle / 60),
                         hours=round(lifetime / 3600, 1))
            logout(request)
        elif now - seen > SEEN_RESOLUTION:
            session[SESSION_SEEN] = now


class SignedInHeadersMiddleware:
    """No browser or proxy keeps a signed-in page (``Cache-Control: no-store``: a shared PC's
    back button shows nothing), and no page may use the browser features in
    ``PERMISSIONS_POLICY``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.user.is_authenticated:
            add_never_cache_headers(response)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


# the pages a user may reach before the step they owe: (step, its page) -> the pages allowed
GATES = {
    "verify": ("two_factor_verify", frozenset({"two_factor_verify", "passkey_verify_begin",
                                               "passkey_verify_complete", "logout"})),
    "enrol": ("two_factor_setup", frozenset({"two_factor_setup", "passkey_register_begin",
                                             "passkey_register_complete", "logout"})),
    "password": ("password_change", frozenset({"password_change", "logout"})),
}


class AccountGateMiddleware:
    """After the password, the steps a sign-in still owes before any other page: the second
    factor (``verify``), enrolling one where it is required (``enrol``), then a new password
    after an administrator's reset. ``actions.accounts.record_session`` marks the session at
    sign-in, so a page costs no query here; single sign-on (its own backend) owes no second
    factor here, its provider asks for one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        if not request.user.is_authenticated:
            return None
        step = owed_step(request)
        if step is None:
            return None
        page, allowed = GATES[step]
        match = request.resolver_match
        if match is None or match.url_name in allowed:
            return None
        if step == "verify" and request.method == "GET":  # on to the page asked for after
            return redirect(f"{reverse(page)}?{urlencode({'next': request.get_full_path()})}")
        return redirect(page)


def owed_step(request: HttpRequest) -> str | None:
    session = request.session
    second = session.get(SECOND_FACTOR)
    if second and not request.user.is_verified():
        return second
    if session.get(MUST_CHANGE_PASSWORD):
        return "password"
    return None


class OnceOnlyFormsMiddleware:
    """A form sent twice saves once (``actions.forms``): the token a form carries is claimed
    before the view runs; a second send is redirected to where the first went, with a note,
    and a send the view refused gives the token back."""

    WAIT_FOR_FIRST = 5.0  # seconds a second send waits for the first to finish saving

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        claimed = getattr(request, "_deter_once", None)
        if claimed is not None:
            if response.status_code in (301, 302, 303) and response.has_header("Location"):
                once.saved(claimed, response["Location"])
            else:
                once.give_back(claimed)
        return response

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        # Only a signed-in send: an expired session's send is redirected to sign in, which
        # saved nothing, and must not be taken for a first send that did.
        if (request.method != "POST" or request.path.startswith(API_PREFIX)
                or not request.user.is_authenticated):
            return None
        token = request.POST.get(once.FIELD, "")
        if not token:
            return None
        claimed = once.claim(request.user, token, request.path)
        if claimed is not None:
            request._deter_once = claimed
            return None
        return self._second_send(request, token)

    def _second_send(self, request: HttpRequest, token: str) -> HttpResponse:
        deadline = time.monotonic() + self.WAIT_FOR_FIRST
        first = once.first_send(token)
        while first is not None and not first.location and time.monotonic() < deadline:
            time.sleep(0.2)
            first = once.first_send(token)
        if first is not None and first.location:
            messages.info(request, "That form had already been sent: it was saved once, "
                                   "not again")
            return redirect(first.location)
        return render(request, "deter/form_sent_twice.html", status=409)

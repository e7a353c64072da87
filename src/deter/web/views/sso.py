"""Sign in with the single sign-on provider: mozilla-django-oidc's two views, audited.

``SignInWithProviderView`` sends the browser to the provider with a new state, nonce and PKCE
challenge kept in the session; ``SignInCallbackView`` takes the provider's answer, checks the
state against the session (the library), and signs the user in through ``sso.backend``. Every
outcome writes a ``sign_in`` audit row (``method="sso"``), a refusal with its reason, shown to
the user on the sign-in page. Both answer 404 while single sign-on is not configured.
"""

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.generic import View
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from .. import audit
from ..forms.base import LoginForm
from ..sso import config

SESSION_KEY = "deter_sso"  # the provider's amr and acr for this session's sign-in


def _not_configured(request: HttpRequest, action: str):
    audit.record(request.user, action, "user", None, outcome=audit.DENIED, method="sso",
                 reason="single sign-on is not configured")
    raise Http404("Single sign-on is not configured")


def refuse(request: HttpRequest, reason: str, status: int = 403, **detail) -> HttpResponse:
    """The sign-in page with the reason in its error summary; audited."""
    audit.record(request.user, "sign_in", "user", None, outcome=audit.DENIED, method="sso",
                 provider=config.provider_name(), reason=reason, **detail)
    context = {"form": LoginForm(request), "sso_name": config.provider_name(),
               "sso_problem": reason}
    return render(request, "registration/login.html", context, status=status)


class SignInWithProviderView(OIDCAuthenticationRequestView):
    get_settings = staticmethod(config.setting)

    def __init__(self, **kwargs) -> None:
        View.__init__(self, **kwargs)  # the library's reads the provider's endpoints here

    def get(self, request: HttpRequest) -> HttpResponse:
        if not config.configured():
            _not_configured(request, "start_sso_sign_in")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = config.setting("OIDC_OP_AUTHORIZATION_ENDPOINT")
        except config.ProviderUnavailable as error:
            return refuse(request, f"{config.provider_name()} cannot be reached to sign you "
                          f"in: try again later, or sign in with a Deter account ({error})",
                          status=503)
        self.OIDC_RP_CLIENT_ID = settings.DETER_OIDC_CLIENT_ID
        response = super().get(request)
        audit.record(request.user, "start_sso_sign_in", "user", None, method="sso",
                     provider=config.provider_name())
        return response


class SignInCallbackView(OIDCAuthenticationCallbackView):
    get_settings = staticmethod(config.setting)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not config.configured():
            _not_configured(request, "sign_in")
        if error := request.GET.get("error"):
            # the provider's own refusal (the user cancelled, or is not assigned to the app):
            # the library forgets the state, signs any user out and calls login_failure
            description = request.GET.get("error_description", "")[:200]
            request.sso_refusal = (f"{config.provider_name()} did not sign you in: "
                                   f"{description or error}")
            return super().get(request)
        state = request.GET.get("state")
        if "code" not in request.GET or not state:
            return refuse(request, "The answer from the sign-in service is incomplete (no code "
                          "or state): start again from the sign-in page", status=400)
        if state not in request.session.get("oidc_states", {}):
            return refuse(request, "This sign-in was not started in this browser, or was "
                          "already used (its state is unknown): start again from the sign-in "
                          "page", status=400)
        try:
            return super().get(request)
        except SuspiciousOperation as error:
            return refuse(request, f"The sign-in failed a check ({error}): start again",
                          status=400)

    def login_success(self) -> HttpResponse:
        response = super().login_success()  # auth.login: a new session key
        claims = getattr(self.request, "sso_claims", {})
        self.request.session[SESSION_KEY] = claims
        audit.record(self.user, "sign_in", "user", self.user.pk, method="sso",
                     provider=config.provider_name(), **claims)
        return response

    def login_failure(self) -> HttpResponse:
        reason = getattr(self.request, "sso_refusal", None) or (
            "Deter could not complete the sign-in: start again from the sign-in page")
        return refuse(self.request, reason)

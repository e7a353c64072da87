"""Passkeys (WebAuthn, django-otp-webauthn) as a second factor: the four JSON endpoints the
library's JavaScript calls, and removing one's own passkey.

Each endpoint is the library's view (its JSON parsing, its checks that the user is signed in
and, holding a second factor already, has given it before adding another), with the ceremony
itself handed to ``actions.accounts``, which writes the library's models and the audit row.
A refusal is answered by the library as JSON (``{"detail", "code"}``) and audited: here for
those raised before the action (not signed in, no challenge), there for the rest.
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp_webauthn import exceptions as webauthn_errors
from django_otp_webauthn import views as webauthn_views

from .. import audit
from ..actions import accounts as account_actions
from . import AuthenticatedHttpRequest


def passkey_config(request) -> dict:
    """What the library's scripts read from the page (a JSON ``<script>`` element, which is
    data, not script, under the CSP): Deter's URLs for the ceremonies and the CSRF token."""
    return {
        "autocompleteLoginFieldSelector": None,  # no passkey without the password
        "nextFieldSelector": "input[name='next']",
        "csrfToken": get_token(request),
        "beginRegistrationUrl": reverse("passkey_register_begin"),
        "completeRegistrationUrl": reverse("passkey_register_complete"),
        "beginAuthenticationUrl": reverse("passkey_verify_begin"),
        "completeAuthenticationUrl": reverse("passkey_verify_complete"),
    }


class _Audited:
    refused_action = ""

    def handle_exception(self, exc):
        if isinstance(exc, webauthn_errors.OTPWebAuthnApiError) \
                and not getattr(exc, "audited", False):
            audit.record(self.request.user, self.refused_action, "otp_device", None,
                         outcome=audit.DENIED, device="passkey", code=exc.code)
        return super().handle_exception(exc)


class RegisterBegin(_Audited, webauthn_views.BeginCredentialRegistrationView):
    refused_action = "start_passkey_enrolment"

    def post(self, request, *args, **kwargs) -> HttpResponse:
        return JsonResponse(account_actions.begin_passkey_registration(request.user, request))


class RegisterComplete(_Audited, webauthn_views.CompleteCredentialRegistrationView):
    refused_action = "enrol_passkey"

    def post(self, request, *args, **kwargs) -> HttpResponse:
        device = account_actions.register_passkey(
            request.user, request, data=request.data, keep_session=request.session.session_key)
        if not request.user.is_verified():
            # as for the authenticator app: holding the passkey just made is the second factor
            otp_login(request, device)
        request.session.pop(account_actions.SECOND_FACTOR, None)
        return JsonResponse({"id": device.pk})


class VerifyBegin(_Audited, webauthn_views.BeginCredentialAuthenticationView):
    refused_action = "start_passkey_sign_in"

    def post(self, request, *args, **kwargs) -> HttpResponse:
        return JsonResponse(account_actions.begin_passkey_verification(request.user, request))


class VerifyComplete(_Audited, webauthn_views.CompleteCredentialAuthenticationView):
    refused_action = "second_factor"

    def post(self, request, *args, **kwargs) -> HttpResponse:
        device = account_actions.verify_passkey(request.user, request, data=request.data)
        otp_login(request, device)
        request.session.pop(account_actions.SECOND_FACTOR, None)
        return JsonResponse({"id": device.pk, "redirect_url": self.get_success_url()})


@login_required
@require_POST
def remove_passkey(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    if not account_actions.remove_passkey(request.user, passkey_id=pk):
        raise Http404("No passkey of yours can be removed here")
    return redirect("account")

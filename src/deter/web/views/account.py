"""A user's own account: the page listing their sessions and second factor, changing their
password, signing out everywhere, and the second factor (enrolling one, giving one after the
password). Writes go through ``actions.accounts``; every request is audited."""

import segno
from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_otp import login as otp_login

from .. import audit
from ..actions import accounts as account_actions
from ..forms.accounts import EnrolForm, GovukPasswordChangeForm, SecondFactorForm
from ..policy import accounts as own
from . import AuthenticatedHttpRequest
from .passkeys import passkey_config


@login_required
@require_safe
def account(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    sessions = own.own_sessions(user)
    authenticator = own.own_authenticator(user)
    passkeys = own.own_passkeys(user)
    audit.record(user, "view_account", "user", user.pk, sessions=len(sessions),
                 passkeys=len(passkeys))
    return render(request, "deter/account/account.html", {
        "sessions": sessions, "authenticator": authenticator, "passkeys": passkeys,
        "passkey_config": passkey_config(request),
        "recovery_codes_left": own.own_recovery_codes_left(user)
        if authenticator or passkeys else 0,
        "current_session": request.session.session_key,
        "required": settings.DETER_REQUIRE_TWO_FACTOR,
    })


@method_decorator(require_http_methods(["GET", "HEAD", "POST"]), name="dispatch")
class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's view and form; the form's checks only, the write through the action."""

    template_name = "deter/account/password_change.html"
    form_class = GovukPasswordChangeForm

    def get(self, request, *args, **kwargs) -> HttpResponse:
        audit.record(request.user, "view_password_change", "user", request.user.pk)
        return super().get(request, *args, **kwargs)

    def form_valid(self, form) -> HttpResponse:
        account_actions.change_password(self.request.user, self.request,
                                        new_password=form.cleaned_data["new_password1"])
        return render(self.request, "deter/account/password_changed.html")

    def form_invalid(self, form) -> HttpResponse:
        audit.record(self.request.user, "change_password", "user", self.request.user.pk,
                     outcome=audit.DENIED, fields=sorted(form.errors))
        response = super().form_invalid(form)
        response.status_code = 400
        return response


@login_required
@require_POST
def sign_out_everywhere(request: AuthenticatedHttpRequest) -> HttpResponse:
    account_actions.sign_out_everywhere(request.user)
    logout(request)
    return redirect("login")


def _next_page(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return target
    return settings.LOGIN_REDIRECT_URL


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def two_factor_verify(request: AuthenticatedHttpRequest) -> HttpResponse:
    """After the password, for a user with an authenticator or a passkey: its code, the
    passkey (``views.passkeys`` answers its script), or a recovery code."""
    user = request.user
    if not own.own_second_factor(user):
        audit.record(user, "view_two_factor_verify", "user", user.pk, enrolled=False)
        return redirect("two_factor_setup")
    if request.method == "POST":
        form = SecondFactorForm(request.POST)
        if form.is_valid():
            try:
                device = account_actions.verify_second_factor(
                    user, code=form.cleaned_data["code"])
            except ValidationError as error:
                form.add_error("code", error.error_dict["code"])
            else:
                otp_login(request, device)
                request.session.pop(account_actions.SECOND_FACTOR, None)
                return redirect(_next_page(request))
        else:
            audit.record(user, "second_factor", "otp_device", None, outcome=audit.DENIED,
                         fields=sorted(form.errors))
        return render(request, "deter/account/two_factor_verify.html",
                      _verify_context(request, form), status=400)
    audit.record(user, "view_two_factor_verify", "user", user.pk, enrolled=True)
    return render(request, "deter/account/two_factor_verify.html",
                  _verify_context(request, SecondFactorForm()))


def _verify_context(request, form) -> dict:
    user = request.user
    return {"form": form, "next": _next_page(request),
            "passkeys": bool(own.own_passkeys(user)), "passkey_config": passkey_config(request),
            "codes": own.own_authenticator(user) is not None
            or own.own_recovery_codes_left(user) > 0}


def _qr_svg(device) -> str:
    """The device's otpauth:// URL as an inline SVG QR code, drawn here: nothing is fetched."""
    svg = segno.make(device.config_url, error="m").svg_inline(scale=5, border=4,
                                                              omitsize=False)
    return mark_safe(svg)  # noqa: S308 (segno's own markup of a URL it encoded)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def two_factor_setup(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Enrol an authenticator app: scan the QR code (or type the key), give a code it shows;
    the recovery codes are then shown once, on this response only."""
    user = request.user
    if request.session.get(account_actions.SECOND_FACTOR) == "verify" \
            and not user.is_verified():
        return redirect("two_factor_verify")
    form = EnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = account_actions.confirm_totp_enrolment(
                user, code=form.cleaned_data["code"], keep_session=request.session.session_key)
        except ValidationError as error:
            form.add_error("code", error.error_dict["code"])
        else:
            otp_login(request, own.own_authenticator(user))
            request.session.pop(account_actions.SECOND_FACTOR, None)
            return render(request, "deter/account/recovery_codes.html",
                          {"codes": codes, "enrolled": True})
    elif request.method == "POST":
        audit.record(user, "enrol_two_factor", "otp_device", None, outcome=audit.DENIED,
                     fields=sorted(form.errors))
    device = account_actions.start_totp_enrolment(user)
    if request.method != "POST":
        audit.record(user, "view_two_factor_setup", "otp_device", device.pk)
    return render(request, "deter/account/two_factor_setup.html", {
        "form": form, "qr": _qr_svg(device), "key": _spaced_key(device),
        "replacing": own.own_authenticator(user) is not None,
        "required": request.session.get(account_actions.SECOND_FACTOR) == "enrol",
        "passkey_config": passkey_config(request),
    }, status=400 if request.method == "POST" else 200)


def _spaced_key(device) -> str:
    from base64 import b32encode

    key = b32encode(device.bin_key).decode()
    return " ".join(key[i:i + 4] for i in range(0, len(key), 4))


@login_required
@require_POST
def new_recovery_codes(request: AuthenticatedHttpRequest) -> HttpResponse:
    try:
        codes = account_actions.new_recovery_codes(request.user)
    except ValidationError:
        return redirect("two_factor_setup")
    return render(request, "deter/account/recovery_codes.html",
                  {"codes": codes, "enrolled": False})

"""Sign in and sign out: Django's auth views, with every attempt written to the audit."""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from .. import audit
from ..actions import accounts as account_actions
from ..forms.base import LoginForm
from ..sso import config as sso
from .sso import SESSION_KEY as SSO_SESSION


class SignInView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs) -> dict:
        # "Sign in with <provider>" only while single sign-on is configured (views.sso)
        return {**super().get_context_data(**kwargs),
                "sso_name": sso.provider_name() if sso.configured() else None}

    def get(self, request, *args, **kwargs) -> HttpResponse:
        response = super().get(request, *args, **kwargs)
        # a signed-in user is sent on (redirect_authenticated_user), which is audited too
        audit.record(request.user, "view_sign_in", "user", None, status=response.status_code)
        return response

    def form_valid(self, form: LoginForm) -> HttpResponse:
        response = super().form_valid(form)
        second = self.request.session.get(account_actions.SECOND_FACTOR)
        audit.record(form.get_user(), "sign_in", "user", form.get_user().pk,
                     **({"second_factor": second} if second else {}))
        return response

    def form_invalid(self, form: LoginForm) -> HttpResponse:
        detail = {"locked_out": True} if getattr(self.request, "axes_locked_out", False) else {}
        audit.record(self.request.user, "sign_in", "user", None, outcome=audit.DENIED,
                     username=str(form.data.get("username", ""))[:150], **detail)
        # 400, like every other form Deter refuses (Django's LoginView answers 200)
        response = super().form_invalid(form)
        response.status_code = 400
        return response


class SignOutView(auth_views.LogoutView):
    """Sign out; a user who signed in through single sign-on is then sent to the provider to
    end their session there too, and comes back to the sign-in page."""

    def post(self, request, *args, **kwargs) -> HttpResponse:
        at_provider = None
        if request.session.get(SSO_SESSION) is not None:
            at_provider = sso.end_session_url(request.build_absolute_uri(reverse("login")))
        if request.user.is_authenticated:
            audit.record(request.user, "sign_out", "user", request.user.pk,
                         **({"at_provider": sso.provider_name()} if at_provider else {}))
        response = super().post(request, *args, **kwargs)
        return HttpResponseRedirect(at_provider) if at_provider else response


def locked_out(request: HttpRequest, response: HttpResponse | None = None,
               credentials: dict | None = None) -> HttpResponse:
    """django-axes' answer to a sign-in while the account or the address is locked out
    (``AXES_LOCKOUT_CALLABLE``): the sign-in page with a clear message, 429. The refusal was
    audited by the view and the lockout by ``actions.accounts.record_lockout``."""
    form = LoginForm(request, data=request.POST)
    form.is_bound = True
    form._errors, form.cleaned_data = {}, {}
    form.add_error(None, (
        f"Too many wrong passwords: signing in is locked for "
        f"{settings.DETER_LOCKOUT_MINUTES} minutes. Wait and try again, or ask an "
        f"administrator to reset your password."))
    return render(request, "registration/login.html", {"form": form, "locked_out": True},
                  status=429)

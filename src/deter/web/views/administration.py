"""The system administrator's pages: the partnership's agencies (with their letterhead) and
staff accounts (with their name, job title, contact and roles). Anyone else gets the 404 a
missing page gets, audited; the writes are ``actions.administration`` and
``actions.accounts.deactivate_user``."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from .. import audit, policy
from ..actions import accounts as account_actions
from ..actions import administration as admin
from ..forms.administration import AccountForm, AgencyForm, RoleForm
from ..models import profile_of
from . import AuthenticatedHttpRequest
from .access import audit_form, get_visible_or_404

FORM = ["GET", "HEAD", "POST"]


def _refuse_unless_administrator(request: AuthenticatedHttpRequest, action: str,
                                 kind: str) -> None:
    if not policy.agencies.can(request.user, "create"):
        audit.record(request.user, action, kind, None, outcome=audit.DENIED, path=request.path)
        raise Http404("No page found")


# --- agencies ---------------------------------------------------------------------------------


@login_required
@require_safe
def agency_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    _refuse_unless_administrator(request, "view_agencies", "agency")
    agencies = list(policy.agencies.visible(request.user).prefetch_related("staff_roles"))
    for agency in agencies:
        agency.staff_count = len({r.user_id for r in agency.staff_roles.all()})
    audit.record(request.user, "view_agencies", "agency", None, shown=len(agencies))
    return render(request, "deter/administration/agencies.html", {"agencies": agencies})


def _agency_initial(agency) -> dict:
    return {"name": agency.name, "kind": agency.kind, "address": agency.address,
            "phone": agency.phone}


@login_required
@require_http_methods(FORM)
def agency_edit(request: AuthenticatedHttpRequest, pk: int | None = None) -> HttpResponse:
    if pk is None:
        _refuse_unless_administrator(request, "create_agency", "agency")
        agency = None
    else:
        agency = get_visible_or_404(request, "agency", pk, "edit_agency")
    form = AgencyForm(request.POST or None, request.FILES or None,
                      initial=_agency_initial(agency) if agency else None)
    if request.method == "POST" and form.is_valid():
        saved = _save_agency(request, agency, form)
        if saved is not None:
            messages.success(request, f"Agency saved: {saved.name}")
            return redirect("admin_agencies")
    audit_form(request, "edit_agency" if agency else "create_agency", "agency",
               agency.pk if agency else None, form)
    return render(request, "deter/administration/agency_form.html", {
        "form": form, "agency": agency}, status=400 if form.is_bound else 200)


def _save_agency(request, agency, form):
    data = form.cleaned_data
    try:
        saved = admin.save_agency(request.user, agency, name=data["name"], kind=data["kind"],
                                  address=data["address"], phone=data["phone"])
        if data["logo"]:
            name, content = data["logo"]
            admin.set_agency_logo(request.user, saved, content, name)
        elif data["remove_logo"] and saved.logo_id:
            admin.set_agency_logo(request.user, saved, None)
    except ValidationError as error:
        form.add_error(None, error)
        return None
    return saved


@login_required
@require_safe
def agency_logo(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    agency = get_visible_or_404(request, "agency", pk, "view_agency_logo",
                                related=("logo",))
    if agency.logo is None:
        audit.record(request.user, "view_agency_logo", "agency", agency.pk,
                     outcome=audit.DENIED, path=request.path)
        raise Http404("No logo")
    audit.record(request.user, "view_agency_logo", "agency", agency.pk, logo=agency.logo_id)
    response = HttpResponse(bytes(agency.logo.image), content_type="image/png")
    response["Cache-Control"] = "private, no-store"
    return response


# --- accounts ---------------------------------------------------------------------------------


@login_required
@require_safe
def user_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    _refuse_unless_administrator(request, "view_users", "user")
    users = list(policy.staff.visible(request.user).order_by("username")
                 .select_related("staff_profile").prefetch_related("staff_roles__agency"))
    for user in users:
        user.profile = profile_of(user)
    audit.record(request.user, "view_users", "user", None, shown=len(users))
    return render(request, "deter/administration/users.html", {"users": users})


@login_required
@require_http_methods(FORM)
def user_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    _refuse_unless_administrator(request, "create_user", "user")
    form = AccountForm(request.POST or None, creating=True)
    if request.method == "POST" and form.is_valid():
        try:
            made = admin.create_account(request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            # shown once, on this page: never put in a message, a cookie or the audit trail
            response = render(request, "deter/administration/user_created.html", {
                "made": made.user, "temporary_password": made.temporary_password})
            response["Cache-Control"] = "no-store"
            return response
    audit_form(request, "create_user", "user", None, form)
    return render(request, "deter/administration/user_form.html", {"form": form},
                  status=400 if form.is_bound else 200)


def _user_page(request, user, *, account_form=None, role_form=None, status=200):
    profile = profile_of(user)
    audit.record(request.user, "view_user", "user", user.pk)
    return render(request, "deter/administration/user.html", {
        "account": user, "profile": profile,
        "roles": list(user.staff_roles.select_related("agency").order_by("agency__name",
                                                                           "role")),
        "account_form": account_form or AccountForm(creating=False, initial={
            "full_name": profile.full_name if profile else user.get_full_name(),
            "job_title": profile.job_title if profile else "", "email": user.email,
            "phone": profile.phone if profile else ""}),
        "role_form": role_form or RoleForm(user=request.user),
        "can_deactivate": policy.staff.can(request.user, "deactivate", user),
        "error_forms": [f for f in (account_form, role_form) if f is not None and f.errors],
    }, status=status)


@login_required
@require_http_methods(FORM)
def user_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = get_visible_or_404(request, "user", pk, "edit_user")
    if request.method != "POST":
        return _user_page(request, user)
    form = AccountForm(request.POST, creating=False)
    if form.is_valid():
        try:
            admin.edit_account(request.user, user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Account saved: {user.get_username()}")
            return redirect("admin_user", pk=user.pk)
    audit_form(request, "edit_user", "user", user.pk, form)
    return _user_page(request, user, account_form=form, status=400)


@login_required
@require_POST
def user_grant(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = get_visible_or_404(request, "user", pk, "grant_role")
    form = RoleForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            admin.grant_role(request.user, user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Role granted: {form.cleaned_data['role']} at "
                                      f"{form.cleaned_data['agency'].name}")
            return redirect("admin_user", pk=user.pk)
    audit_form(request, "grant_role", "user", user.pk, form)
    return _user_page(request, user, role_form=form, status=400)


@login_required
@require_POST
def user_revoke(request: AuthenticatedHttpRequest, pk: int, role_pk: int) -> HttpResponse:
    user = get_visible_or_404(request, "user", pk, "revoke_role")
    role = user.staff_roles.select_related("agency").filter(pk=role_pk).first() \
        if policy.valid_pk(role_pk) else None
    if role is None:
        audit.record(request.user, "revoke_role", "user", user.pk, outcome=audit.DENIED,
                     path=request.path, role=role_pk)
        raise Http404("No role found")
    admin.revoke_role(request.user, user, agency=role.agency, role=role.role)
    messages.success(request, f"Role taken away: {role.get_role_display()} at "
                              f"{role.agency.name}")
    return redirect("admin_user", pk=user.pk)


@login_required
@require_POST
def user_deactivate(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = get_visible_or_404(request, "user", pk, "deactivate_user")
    # one's own account or one already deactivated: the action audits it, PermissionDenied (403)
    ended = account_actions.deactivate_user(request.user, username=user.get_username())
    messages.success(request, f"{user.get_username()} deactivated: they can no longer sign "
                              f"in, and {ended} session(s) were ended")
    return redirect("admin_user", pk=user.pk)

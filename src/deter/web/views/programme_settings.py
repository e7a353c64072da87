"""Starting a programme and changing its settings: the coordinator's pages."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_http_methods

from .. import audit, policy
from ..actions import programmes as actions
from ..forms.programmes import ProgrammeForm, PublishScoringForm
from ..models import Programme
from . import AuthenticatedHttpRequest
from .access import audit_form


def _after_save(programme: Programme) -> str:
    try:  # the programme's overview page, where there is one
        return reverse("programme", args=[programme.pk])
    except NoReverseMatch:
        return reverse("programme_edit", args=[programme.pk])


def _save(request: AuthenticatedHttpRequest, form: ProgrammeForm,
          programme: Programme | None) -> Programme | None:
    if not form.is_valid():
        return None
    data = form.cleaned_data
    agencies = data.pop("agencies")
    try:
        if programme is None:
            return actions.create_programme(request.user, agencies=agencies, **data)
        return actions.update_programme(request.user, programme, agencies=agencies, **data)
    except ValidationError as error:
        form.add_error(None, error)
        return None


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def programme_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not policy.programmes.can(request.user, "start"):
        audit.record(request.user, "create_programme", "programme", None, outcome=audit.DENIED)
        raise PermissionDenied
    form = ProgrammeForm(request.POST or None)
    if request.method == "POST" and (programme := _save(request, form, None)):
        messages.success(request, f"Programme started: {programme.name}")
        return redirect(_after_save(programme))
    audit_form(request, "create_programme", "programme", None, form)
    return render(request, "deter/programme/settings.html", {"form": form, "programme": None},
                  status=400 if form.is_bound else 200)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def programme_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    programme = policy.programmes.instances(request.user, "decide").filter(pk=pk).first()
    if programme is None:
        audit.record(request.user, "update_programme", "programme", pk, outcome=audit.DENIED)
        raise Http404("No programme found")
    form = ProgrammeForm(request.POST or None, instance=programme)
    if request.method == "POST" and _save(request, form, programme):
        messages.success(request, "Programme settings saved")
        return redirect(_after_save(programme))
    audit_form(request, "update_programme", "programme", programme.pk, form)
    publish_form = PublishScoringForm(
        initial={"publish_scoring": "yes" if programme.publish_scoring else "no"})
    return render(request, "deter/programme/settings.html",
                  {"form": form, "programme": programme, "publish_form": publish_form},
                  status=400 if form.is_bound else 200)

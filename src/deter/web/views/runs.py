"""A programme's analysis runs: which one it works from, chosen by its analyst or coordinator
(``actions.programmes.set_current_run``)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from .. import audit, policy
from ..actions import programmes as actions
from ..forms.programmes import CurrentRunForm
from . import AuthenticatedHttpRequest
from .access import audit_form, get_visible_or_404

SHOWN = 20


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def programme_runs(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    programme = get_visible_or_404(request, "programme", pk, "set_current_run",
                                   permission="set_current_run")
    runs = list(policy.runs.visible(request.user).order_by("-started_at", "-pk")[:SHOWN])
    current = policy.runs.current(programme)
    form = CurrentRunForm(request.POST if request.method == "POST" else None, runs=runs,
                          initial={"run": str(current.pk) if current else None})
    if request.method == "POST" and form.is_valid():
        try:
            actions.set_current_run(request.user, programme, form.cleaned_data["run"])
        except ValidationError as error:
            form.add_error("run", error.message_dict.get("run", error.messages))
        else:
            messages.success(request, f"The programme now works from analysis run "
                                      f"{programme.current_run_id}")
            return redirect("programme_runs", pk=programme.pk)
    audit_form(request, "set_current_run", "programme", programme.pk, form)
    if not form.is_bound:
        audit.record(request.user, "view_runs", "programme", programme.pk,
                     runs=[run.pk for run in runs])
    return render(request, "deter/programme/runs.html", {
        "programme": programme, "form": form, "runs": runs, "current": current,
        "marked": programme.current_run_id is not None,
    }, status=400 if form.is_bound else 200)

"""Imports and analysis runs in the app: the analyst uploads an extract, follows its validation,
import and analysis on the jobs page, and retries a job that failed."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from .. import audit, policy
from ..actions import jobs as job_actions
from ..forms.jobs import UploadForm
from . import AuthenticatedHttpRequest
from .access import audit_form, get_visible_or_404

SHOWN = 50
REFRESH_SECONDS = 2


def _refuse_unless_analyst(request: AuthenticatedHttpRequest, action: str) -> None:
    if not policy.jobs.can(request.user, "start"):
        audit.record(request.user, action, "job", None, outcome=audit.DENIED, path=request.path)
        raise Http404("No page found")


@login_required
def job_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    _refuse_unless_analyst(request, "view_jobs")
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["upload"]
        try:
            job = job_actions.start_import(request.user, upload.name, upload.read(),
                                           form.cleaned_data["kind"])
        except ValidationError as error:
            form.add_error("upload", error)
        else:
            return redirect("job", pk=job.pk)
    audit_form(request, "start_import", "job", None, form)
    jobs = list(policy.jobs.visible(request.user)[:SHOWN])
    audit.record(request.user, "view_jobs", "job", None, jobs=[j.pk for j in jobs])
    return render(request, "deter/jobs/list.html", {
        "form": form, "jobs": jobs,
        "refresh": REFRESH_SECONDS if any(j.active for j in jobs) else None,
    }, status=400 if form.errors else 200)


@login_required
@require_POST
def job_analyse(request: AuthenticatedHttpRequest) -> HttpResponse:
    _refuse_unless_analyst(request, "start_analysis_job")
    job = job_actions.start_analysis(request.user)
    return redirect("job", pk=job.pk)


@login_required
@require_safe
def job_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    job = get_visible_or_404(request, "job", pk, "view_job")
    audit.record(request.user, "view_job", "job", job.pk, status=job.status)
    return render(request, "deter/jobs/detail.html", {
        "job": job, "refresh": REFRESH_SECONDS if job.active else None,
        "can_retry": policy.jobs.can(request.user, "retry", job),
    })


@login_required
@require_POST
def job_retry(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    job = get_visible_or_404(request, "job", pk, "retry_job")
    if not policy.jobs.can(request.user, "retry", job):
        audit.record(request.user, "retry_job", "job", job.pk, outcome=audit.DENIED,
                     status=job.status)
        messages.error(request, "Only a failed import or analysis can be tried again.")
        return redirect("job", pk=job.pk)
    try:
        again = job_actions.retry(request.user, job)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("job", pk=job.pk)
    return redirect("job", pk=again.pk)

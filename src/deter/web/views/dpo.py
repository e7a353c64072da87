"""The data protection officer's console: who viewed a person and why, what a member of
staff did over a period, access outside a caseload and unusual volume flagged, the
agreements and their approvals, retention, and the log as CSV. Only for the DPO of a
programme's lead agency or of a party to its agreement (``see_audit``); every page and the
export are audited themselves."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from .. import audit, policy
from ..forms.sharing import PeriodForm, PersonViewsForm, UserActivityForm
from ..models import Challenge, Programme, SubjectAccessRequest
from ..queries import agreements, audit_log
from . import AuthenticatedHttpRequest
from .access import audit_form


def _overseen(request: AuthenticatedHttpRequest, action: str) -> list[Programme]:
    programmes = list(policy.programmes.instances(request.user, "see_audit"))
    if not programmes:
        audit.record(request.user, action, "audit_log", None, outcome=audit.DENIED,
                     path=request.path)
        raise Http404("No programme found")
    return programmes


def _period(form: PeriodForm) -> audit_log.Period:
    return form.period(timezone.localdate())


@login_required
@require_safe
def console(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    programmes = _overseen(request, "view_dpo_console")
    scope = audit_log.scope_of(programmes)
    period = audit_log.Period.last_days(PeriodForm.DEFAULT_DAYS)
    summary = audit_log.summary(scope, period)
    versions = list(agreements.overseen(user, programmes))
    awaiting = list(agreements.awaiting_approval(user))
    challenges = list(policy.challenges.visible(user).filter(outcome=Challenge.Outcome.OPEN)
                      .select_related("entry__person", "entry__programme")
                      .order_by("due_on", "pk")[:audit_log.MAX_SHOWN])
    requests = list(policy.subject_access_requests.visible(user)
                    .exclude(status=SubjectAccessRequest.Status.ANSWERED)
                    .select_related("person", "programme")[:audit_log.MAX_SHOWN])
    audit.record(user, "view_dpo_console", "audit_log", None,
                 programmes=[p.pk for p in programmes], agreements=[a.pk for a in versions],
                 challenges=[c.pk for c in challenges],
                 subject_access_requests=[r.pk for r in requests])
    return render(request, "deter/dpo/console.html", {
        "programmes": programmes, "summary": summary, "agreements": versions,
        "awaiting": awaiting, "challenges": challenges, "requests": requests,
        "today": timezone.localdate(),
        "sees_retention": policy.programmes.instances(user, "see_retention").exists(),
    })


def _look_up(request: AuthenticatedHttpRequest, *, action: str, obj_type: str, form,
             field: str, find, not_found: str, rows_of, template: str, found_as: str
             ) -> HttpResponse:
    """A console page that finds one person or member of staff in the DPO's scope and lists
    the audit rows about them over a period; audited, refused lookups included."""
    programmes = _overseen(request, action)
    rows, found, period, status = None, None, None, 200
    if form.is_bound:
        status = 400
        if form.is_valid():
            found = find(audit_log.scope_of(programmes), form.cleaned_data[field])
            if found is None:
                form.add_error(field, not_found)
            else:
                period, status = _period(form), 200
                rows = rows_of(found, period)
    audit.record(request.user, action, obj_type, found.pk if found else None,
                 outcome=audit.ALLOWED if status == 200 else audit.DENIED,
                 **({"start": period.start, "end": period.end} if period else {}))
    return render(request, template, {
        "form": form, found_as: found, "rows": rows, "period": period,
        "max_shown": audit_log.MAX_SHOWN,
    }, status=status)


@login_required
@require_safe
def person_views(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Who viewed a person, what they did about them and why, over a period."""
    return _look_up(
        request, action="view_audit_person", obj_type="person",
        form=PersonViewsForm(request.GET or None), field="person_id",
        find=audit_log.find_person, not_found="Nobody with that id is in a programme you "
                                              "oversee",
        rows_of=audit_log.views_of_person, template="deter/dpo/person_views.html",
        found_as="person")


@login_required
@require_safe
def user_activity(request: AuthenticatedHttpRequest) -> HttpResponse:
    """What a member of staff viewed and did over a period."""
    return _look_up(
        request, action="view_audit_user", obj_type="user",
        form=UserActivityForm(request.GET or None), field="username",
        find=audit_log.find_staff, not_found="Nobody with that username works for an agency "
                                             "in a programme you oversee",
        rows_of=audit_log.activity_of_user, template="deter/dpo/user_activity.html",
        found_as="staff")


@login_required
@require_safe
def flags(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Person views outside the viewer's caseload, and days of unusual volume."""
    programmes = _overseen(request, "view_access_flags")
    form = PeriodForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        audit.record(request.user, "view_access_flags", "audit_log", None,
                     outcome=audit.DENIED, path=request.path)
        return render(request, "deter/dpo/flags.html", {"form": form}, status=400)
    period = _period(form)
    scope = audit_log.scope_of(programmes)
    outside = audit_log.outside_caseload(scope, period)
    volume = audit_log.unusual_volume(scope, period)
    audit.record(request.user, "view_access_flags", "audit_log", None,
                 start=period.start, end=period.end, outside=len(outside),
                 unusual_days=len(volume))
    return render(request, "deter/dpo/flags.html", {
        "form": form, "period": period, "outside": outside, "volume": volume,
        "min_daily": audit_log.MIN_DAILY_VIEWS, "factor": audit_log.VOLUME_FACTOR,
        "baseline_days": audit_log.BASELINE_DAYS, "max_shown": audit_log.MAX_SHOWN,
    })


@login_required
@require_safe
def export(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The form asking for the period to export."""
    _overseen(request, "export_audit_log")
    form = PeriodForm()
    audit_form(request, "export_audit_log", "audit_log", None, form)
    return render(request, "deter/dpo/export.html", {"form": form})


@login_required
@require_safe
def export_csv(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The log for a period as CSV, streamed a chunk of rows at a time."""
    programmes = _overseen(request, "export_audit_log")
    form = PeriodForm(request.GET)
    if not form.is_valid():
        audit.record(request.user, "export_audit_log", "audit_log", None,
                     outcome=audit.DENIED, path=request.path)
        return render(request, "deter/dpo/export.html", {"form": form}, status=400)
    period = _period(form)
    events = audit_log.export_events(audit_log.scope_of(programmes), period)
    # recorded before the first row is read, so the export appears in its own period
    audit.record(request.user, "export_audit_log", "audit_log", None,
                 start=period.start, end=period.end, programmes=[p.pk for p in programmes])
    response = StreamingHttpResponse(audit_log.csv_lines(events),
                                     content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="deter-audit-{period.start:%Y%m%d}-{period.end:%Y%m%d}.csv"')
    return response

"""What interventions achieved (issue 13): the forms for an operation's results, premises, a
recurring schedule and its occurrences, and a sighting; and the programme report with its
PDF."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from .. import audit, policy
from ..actions import outcomes as outcome_actions
from ..domain import report_pdf
from ..forms.outcomes import (
    OccurrenceForm,
    OperationOutcomeForm,
    PremisesForm,
    PremisesLinkForm,
    ScheduleForm,
    SightingForm,
)
from ..queries import programme_report
from . import AuthenticatedHttpRequest
from .access import audit_form, get_visible_or_404
from .interventions import _intervention_or_404, _render_intervention

OUTCOME_KINDS = outcome_actions.OUTCOME_KINDS


def _errors_to(form, error: ValidationError) -> None:
    for field, messages_ in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages_)


def _posted(request, intervention, action: str, verb: str, form, write) -> HttpResponse:
    """Validate ``form``, call ``write(cleaned_data)``; the intervention page again with the
    errors (400) when anything is wrong."""
    if not policy.interventions.can(request.user, verb, intervention):
        audit.record(request.user, action, "intervention", intervention.pk,
                     outcome=audit.DENIED)
        raise PermissionDenied
    if form.is_valid():
        try:
            write(form.cleaned_data)
        except ValidationError as error:
            _errors_to(form, error)
        else:
            messages.success(request, "Saved")
            return redirect("intervention", pk=intervention.pk)
    return _render_intervention(request, intervention, status=400, extra_form=form)


@login_required
@require_POST
def operation_outcome(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    intervention = _intervention_or_404(request, pk, "record_operation_outcome")
    form = OperationOutcomeForm(request.POST)
    return _posted(request, intervention, "record_operation_outcome", "record_outcome", form,
                   lambda data: outcome_actions.record_operation_outcome(
                       request.user, intervention, outcome_actions.Counts(**data)))


@login_required
@require_POST
def intervention_premises(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    intervention = _intervention_or_404(request, pk, "link_premises")
    form = PremisesLinkForm(request.POST, premises=intervention.programme.premises.all())
    return _posted(request, intervention, "link_premises", "link_premises", form,
                   lambda data: outcome_actions.link_premises(
                       request.user, intervention, data["premises"]))


@login_required
@require_POST
def intervention_schedule(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    intervention = _intervention_or_404(request, pk, "schedule_intervention")
    form = ScheduleForm(request.POST)
    return _posted(request, intervention, "schedule_intervention", "schedule", form,
                   lambda data: outcome_actions.schedule_intervention(
                       request.user, intervention, **data))


@login_required
@require_POST
def occurrence_outcome(request: AuthenticatedHttpRequest, pk: int, occurrence_pk: int,
                       ) -> HttpResponse:
    intervention = _intervention_or_404(request, pk, "record_occurrence")
    schedule = getattr(intervention, "schedule", None)
    occurrence = schedule.occurrences.filter(pk=occurrence_pk).first() if schedule else None
    if occurrence is None:
        audit.record(request.user, "record_occurrence", "intervention", pk,
                     outcome=audit.DENIED, occurrence=occurrence_pk)
        return _render_intervention(request, intervention, status=404)
    form = OccurrenceForm(request.POST, prefix=f"occurrence-{occurrence.pk}")
    return _posted(request, intervention, "record_occurrence", "record_outcome", form,
                   lambda data: outcome_actions.record_occurrence(
                       request.user, occurrence, **data))


# --- premises ----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def programme_premises(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    programme = get_visible_or_404(request, "programme", pk, "view_premises")
    may_add = policy.programmes.can(request.user, "manage_premises", programme)
    form = PremisesForm(request.POST or None) if may_add else None
    if request.method == "POST":
        if not may_add:
            audit.record(request.user, "add_premises", "programme", pk, outcome=audit.DENIED)
            raise PermissionDenied
        if form.is_valid():
            try:
                premises = outcome_actions.add_premises(request.user, programme,
                                                        **form.cleaned_data)
            except ValidationError as error:
                _errors_to(form, error)
            else:
                messages.success(request, f"{premises.name} added")
                return redirect("programme_premises", pk=programme.pk)
        audit_form(request, "add_premises", "programme", programme.pk, form)
    premises = list(programme.premises.select_related("location").order_by("name"))
    audit.record(request.user, "view_premises", "programme", programme.pk,
                 premises=[p.pk for p in premises])
    return render(request, "deter/outcomes/premises.html",
                  {"programme": programme, "premises": premises, "form": form},
                  status=400 if form is not None and form.errors else 200)


# --- movement ----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def person_movement(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    person = get_visible_or_404(request, "person", pk, "record_sighting",
                                permission="record_movement")
    form = SightingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k not in ("on", "at_time")}
        try:
            outcome_actions.record_sighting(request.user, person, **data)
        except ValidationError as error:
            _errors_to(form, error)
        else:
            messages.success(request, "Movement recorded")
            return redirect("person", pk=person.pk)
    audit_form(request, "record_sighting", "person", person.pk, form)
    return render(request, "deter/outcomes/movement.html", {"person": person, "form": form},
                  status=400 if form.errors else 200)


# --- the programme report ----------------------------------------------------------------------


def _report_or_404(request: AuthenticatedHttpRequest, pk: int, action: str):
    programme = get_visible_or_404(request, "programme", pk, action,
                                   permission="see_report_aggregates")
    named = policy.programmes.can(request.user, "see_report", programme)
    return programme_report.build(programme, named=named)


def _included(report) -> dict:
    """What the audit row says the report showed."""
    return {"named": report.named,
            "people": [r.pk for r in report.people],
            "groups": [r.pk for r in report.groups]}


@login_required
@require_safe
def programme_report_page(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    report = _report_or_404(request, pk, "view_programme_report")
    context = {"report": report, "programme": report.programme,
               "report_lines": programme_report.summary_lines(report),
               "tables": programme_report.tables(report),
               "charts": programme_report.chart_images(report)}
    audit.record(request.user, "view_programme_report", "programme", report.programme.pk,
                 **_included(report))
    return render(request, "deter/outcomes/report.html", context)


@login_required
@require_safe
def programme_report_pdf(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    report = _report_or_404(request, pk, "download_programme_report")
    pngs = programme_report.charts(report, as_png=True)
    captions = {"cohort": "The cohort by month", "asb": "ASB before and after acceptance",
                "harm": "Harm before and after acceptance"}
    body = report_pdf.to_pdf(
        f"{report.programme.name}: programme report",
        programme_report.summary_lines(report),
        programme_report.tables(report),
        [(png, captions[name]) for name, png in pngs.items()])
    audit.record(request.user, "download_programme_report", "programme", report.programme.pk,
                 format="pdf", **_included(report))
    response = HttpResponse(body, content_type="application/pdf")
    name = slugify(report.programme.name) or "programme"
    response["Content-Disposition"] = f'attachment; filename="{name}-report.pdf"'
    return response

"""The evaluator's pages: the evaluation agreements in force under which the user may take a
programme's pseudonymised export, and the download itself (a zip of the export's files); and a
programme's evaluation page (issue 15), with its HTML and PDF report."""

import io
import zipfile
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.text import slugify
from django.views.decorators.http import require_safe

from .. import audit, policy
from ..actions import evaluation as evaluation_actions
from ..domain import report_pdf
from ..forms.evaluation import EvaluationDesignForm
from ..queries import programme_evaluation, programme_report
from . import AuthenticatedHttpRequest
from .access import get_visible_or_404


@login_required
@require_safe
def evaluation_exports(request: AuthenticatedHttpRequest) -> HttpResponse:
    agreements = list(policy.evaluations.visible(request.user))
    audit.record(request.user, "view_evaluation_exports", "evaluation_agreement", None,
                 agreements=[a.pk for a in agreements])
    return render(request, "deter/evaluation/exports.html", {
        "agreements": agreements, "k": settings.DETER_K_ANONYMITY,
        "suppress_below": settings.DETER_SUPPRESS_BELOW,
    })


@login_required
@require_safe
def evaluation_export_download(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    agreement = get_visible_or_404(request, "evaluation_agreement", pk, "export_evaluation",
                                   related=("programme",))
    export = evaluation_actions.export_evaluation(request.user, agreement, via="web")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in sorted(export.files.items()):
            archive.writestr(name, content)
    filename = f"evaluation-{slugify(agreement.programme.name)[:40] or 'deter'}-{agreement.pk}.zip"
    response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


# --- a programme's evaluation page (issue 15) ------------------------------------------------


def _evaluation(request: AuthenticatedHttpRequest, pk: int, action: str):
    """The programme's evaluation as the GET form chose it; 404 for anyone but its
    coordinator and an evaluator under its evaluation agreement (ADR 4)."""
    programme = get_visible_or_404(
        request, "programme", pk, action,
        among=policy.programmes.instances(request.user, "see_evaluation"))
    form = EvaluationDesignForm(request.GET or None)
    design, model = form.choice()
    result = programme_evaluation.build(request.user, programme, design=design, model=model)
    return result, form


def _shown(result) -> dict:
    """What the audit row says the evaluation showed: aggregates, never a person."""
    return {"design": result.design, "model": result.model, "accepted": result.accepted,
            "warnings": [w.key for w in result.warnings]}


def _report_context(result) -> dict:
    return {"result": result, "programme": result.programme,
            "headline": programme_evaluation.headline(result),
            "comparison": programme_evaluation.comparison_lines(result),
            "tables": programme_evaluation.tables(result),
            "charts": programme_evaluation.chart_images(result),
            "methods": programme_evaluation.METHODS,
            "design_label": programme_evaluation.DESIGNS[result.design]}


def _filename(result, suffix: str) -> str:
    name = slugify(result.programme.name)[:40] or "programme"
    return f"{name}-evaluation-{result.design}.{suffix}"


@login_required
@require_safe
def programme_evaluation_page(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    result, form = _evaluation(request, pk, "view_programme_evaluation")
    audit.record(request.user, "view_programme_evaluation", "programme", result.programme.pk,
                 **_shown(result))
    query = urlencode({"design": result.design, "model": result.model})
    return render(request, "deter/evaluation/programme.html",
                  {**_report_context(result), "form": form, "query": query},
                  status=400 if form.errors else 200)


@login_required
@require_safe
def programme_evaluation_html(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The same report as one self-contained HTML file: its styles inline, its charts as
    data URIs, nothing fetched."""
    result, _ = _evaluation(request, pk, "download_programme_evaluation")
    body = render_to_string("deter/evaluation/programme_report.html", _report_context(result))
    audit.record(request.user, "download_programme_evaluation", "programme",
                 result.programme.pk, format="html", **_shown(result))
    response = HttpResponse(body, content_type="text/html; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(result, "html")}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_safe
def programme_evaluation_pdf(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    result, _ = _evaluation(request, pk, "download_programme_evaluation")
    pngs = programme_evaluation.charts(result, as_png=True)
    methods = programme_report.Table("methods", "Methods", ["Method"],
                                     [[line] for line in programme_evaluation.METHODS])
    warnings = programme_report.Table("warnings", "Warnings", ["Warning", "What it means"],
                                      [[w.title, w.text] for w in result.warnings])
    body = report_pdf.to_pdf(
        f"{result.programme.name}: evaluation",
        [*programme_evaluation.headline(result), *programme_evaluation.comparison_lines(result)],
        [*programme_evaluation.tables(result), warnings, methods],
        [(png, programme_evaluation.CAPTIONS[name]) for name, png in pngs.items()])
    audit.record(request.user, "download_programme_evaluation", "programme",
                 result.programme.pk, format="pdf", **_shown(result))
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_filename(result, "pdf")}"'
    response["Cache-Control"] = "no-store"
    return response

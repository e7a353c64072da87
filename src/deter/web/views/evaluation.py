"""The evaluator's page: the evaluation agreements in force under which the user may take a
programme's pseudonymised export, and the download itself (a zip of the export's files)."""

import io
import zipfile

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.text import slugify
from django.views.decorators.http import require_safe

from .. import audit, policy
from ..actions import evaluation as evaluation_actions
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

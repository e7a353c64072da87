"""The scoring page: how people are scored and proposed, for every partner's staff, for a
programme, and (when its coordinator publishes it) for the public without sign-in.

Its content comes from ``queries.scoring``: settings and weights, never a person or a count of
people. The public page of a programme that has not published it is a 404 like any missing
page, audited with the anonymous actor.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from .. import audit, policy
from ..actions import programmes as actions
from ..forms.programmes import ProgrammeForm, PublishScoringForm
from ..queries import scoring as queries
from . import AuthenticatedHttpRequest
from .access import audit_form, get_visible_or_404


def _newest(request) -> list:
    return list(policy.runs.visible(request.user).order_by("-started_at", "-pk")[:2])


@login_required
@require_safe
def scoring(request: AuthenticatedHttpRequest) -> HttpResponse:
    """For staff of any agency that partners in a programme, in any role."""
    if not policy.programmes.visible(request.user).exists():
        audit.record(request.user, "view_scoring", "scoring", None, outcome=audit.DENIED,
                     path=request.path)
        raise Http404("No scoring page")
    result = queries.scoring(_newest(request))
    audit.record(request.user, "view_scoring", "scoring", None,
                 run=result.run.pk if result.run else None)
    return render(request, "deter/scoring.html", {"scoring": result, "programme": None})


@login_required
@require_safe
def programme_scoring(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    programme = get_visible_or_404(request, "programme", pk, "view_scoring")
    result = queries.scoring(_newest(request))
    audit.record(request.user, "view_scoring", "programme", programme.pk,
                 run=result.run.pk if result.run else None)
    return render(request, "deter/scoring.html", {
        "scoring": result, "programme": programme,
        "can_decide": policy.programmes.can(request.user, "decide", programme),
    })


@require_POST
@login_required
def publish_scoring(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """From the programme settings page: the coordinator publishes (or withdraws) the
    programme's public scoring page."""
    programme = get_visible_or_404(request, "programme", pk, "publish_scoring",
                                   permission="decide")
    form = PublishScoringForm(request.POST)
    if form.is_valid():
        try:
            actions.set_publish_scoring(request.user, programme,
                                        form.cleaned_data["publish_scoring"])
        except ValidationError as error:
            form.add_error(None, error)
    if form.errors:
        audit_form(request, "publish_scoring", "programme", programme.pk, form)
        return render(request, "deter/programme/settings.html", {
            "form": ProgrammeForm(instance=programme), "programme": programme,
            "publish_form": form,
        }, status=400)
    messages.success(request, "The scoring page is now public" if programme.publish_scoring
                     else "The scoring page is no longer public")
    return redirect("programme_edit", pk=programme.pk)


@require_safe
def public_scoring(request, pk: int) -> HttpResponse:
    """No sign-in: only for a programme that publishes it."""
    programme = policy.programmes.published().filter(pk=pk).first()
    if programme is None:
        audit.record(request.user, "view_public_scoring", "programme", pk,
                     outcome=audit.DENIED, path=request.path)
        raise Http404("No scoring page")
    result = queries.scoring(_newest(request))
    audit.record(request.user, "view_public_scoring", "programme", programme.pk,
                 run=result.run.pk if result.run else None)
    return render(request, "deter/scoring.html",
                  {"scoring": result, "programme": programme, "public": True})

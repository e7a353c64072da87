"""A programme's fairness page: its proposals and cohort by sex, age band and ethnicity against
everyone recorded and the offenders and victims of serious violence.

Aggregates only, with counts under ``DETER_SUPPRESS_BELOW`` suppressed; shown to whoever
``policy.programmes.can(user, "see_fairness", programme)`` allows (analysts, coordinators,
caseworkers and the data protection officer of the programme). Anyone else, and a run that is
not visible, gets the same 404 as a page that does not exist.
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from .. import audit, policy
from ..queries import disproportionality
from . import AuthenticatedHttpRequest
from .access import get_visible_or_404

RECENT_RUNS = 10


@login_required
@require_safe
def programme_fairness(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    programme = get_visible_or_404(request, "programme", pk, "view_fairness",
                                   permission="see_fairness")
    runs = policy.runs.visible(request.user).order_by("-started_at", "-pk")
    asked = request.GET.get("run")
    if asked is None:
        run = policy.runs.current(programme)
    else:
        key = int(asked) if asked.isdigit() else None
        run = runs.filter(pk=key).first() if policy.valid_pk(key) else None
        if run is None:
            audit.record(request.user, "view_fairness", "programme", programme.pk,
                         outcome=audit.DENIED, run=asked, path=request.path)
            raise Http404("No analysis run found")
    result = disproportionality.for_programme(programme, run) if run else None
    audit.record(request.user, "view_fairness", "programme", programme.pk,
                 run=run.pk if run else None)
    return render(request, "deter/programme/fairness.html", {
        "programme": programme,
        "run": run,
        "runs": list(runs[:RECENT_RUNS]),
        "result": result,
        "baseline_labels": [label for _, label in disproportionality.BASELINES],
    })

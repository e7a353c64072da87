"""The problem profile of the latest complete run: groups and their conflicts, places, time,
disproportionality; a group's page; and the profile's charts as SVG.

Everything here is police-held analysis, shown to the roles that
``policy.runs.can(user, "view_profile")``
allows; anyone else gets the same 404 as for a page that does not exist.  People are named only
through ``policy.scores.in_run``.
"""

from __future__ import annotations

from csp.decorators import csp_update
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from deter.analysis.report import STABLE

from .. import audit, policy
from ..models import AnalysisRun, PlaceScore, RelationScore
from ..queries import disproportionality, profile_charts
from . import AuthenticatedHttpRequest

TOP_GROUPS = 40
TOP_PLACES = 20
TOP_RELATIONS = 100



def _run_or_404(request: AuthenticatedHttpRequest, action: str) -> AnalysisRun:
    run = policy.runs.current_for(request.user)
    if run is None or not policy.runs.can(request.user, "view_profile"):
        audit.record(request.user, action, "analysis_run", run.pk if run else None,
                     outcome=audit.DENIED, path=request.path)
        raise Http404("No problem profile")
    return run


@login_required
@require_safe
def problem_profile(request: AuthenticatedHttpRequest) -> HttpResponse:
    run = _run_or_404(request, "view_profile")
    # rivalries first ("-relation": "rivalry" sorts after "alliance")
    relations = run.relations.order_by("-relation", "-weight", "group_a", "group_b")
    kinds = dict(relations.order_by().values_list("relation").annotate(n=Count("pk")))
    places = run.places.all()
    context = {
        "run": run,
        "summary": run.summary,
        "profile": run.profile,
        "groups": list(run.groups.all()[:TOP_GROUPS]),
        "groups_total": run.groups.count(),
        "relations": list(relations[:TOP_RELATIONS]),
        "rivalries": kinds.get(RelationScore.Kind.RIVALRY, 0),
        "alliances": kinds.get(RelationScore.Kind.ALLIANCE, 0),
        "stable_threshold": STABLE,
        "grid": list(places.filter(kind=PlaceScore.Kind.GRID)[:TOP_PLACES]),
        "lsoa": list(places.filter(kind=PlaceScore.Kind.LSOA)[:TOP_PLACES]),
        "proposed": run.people.filter(proposed=True).count(),
        "at_risk": run.people.filter(at_risk=True).count(),
        "fairness_programmes": list(policy.programmes.instances(request.user, "see_fairness")),
    }
    context["disproportionality"], context["disproportionality_warnings"] = (
        disproportionality.profile_table(run.profile.get("disproportionality", [])))
    context["fairness"] = disproportionality.fairness_settings()
    audit.record(request.user, "view_profile", "analysis_run", run.pk)
    return render(request, "deter/profile.html", context)


@login_required
@require_safe
def group_detail(request: AuthenticatedHttpRequest, label: str) -> HttpResponse:
    run = _run_or_404(request, "view_group")
    group = policy.found_groups.visible(request.user).filter(run=run, group_label=label).first()
    if group is None:
        audit.record(request.user, "view_group", "group", label, outcome=audit.DENIED)
        raise Http404("No such group")
    members = list(
        policy.scores.in_run(request.user, run)
        .filter(group_label=label, case_detail=True)
        .select_related("person")
    )
    visible = {score.person.person_id: score for score in members}
    relations = run.relations.filter(Q(group_a=label) | Q(group_b=label)).order_by(
        "-relation", "-weight"
    )
    context = {
        "run": run,
        "group": group,
        "members": members,
        "hidden_members": group.size - len(members),
        "reach_visible": [visible[p] for p in group.reach_set if p in visible],
        "reach_hidden": sum(p not in visible for p in group.reach_set),
        "relations": [
            {"other": r.group_b if r.group_a == label else r.group_a, "relation": r}
            for r in relations
        ],
    }
    audit.record(request.user, "view_group", "group", label, run=run.pk,
                 people=[score.person_id for score in members])
    return render(request, "deter/group.html", context)


@login_required
@require_safe
@csp_update({"style-src": "'unsafe-inline'"})  # matplotlib's SVG styles its own elements inline
def chart(request: AuthenticatedHttpRequest, name: str) -> HttpResponse:
    run = _run_or_404(request, "view_chart")
    if name not in profile_charts.CHARTS:
        audit.record(request.user, "view_chart", "analysis_run", run.pk, outcome=audit.DENIED,
                     chart=name[:40])
        raise Http404("No such chart")
    audit.record(request.user, "view_chart", "analysis_run", run.pk, chart=name)
    response = HttpResponse(profile_charts.chart_svg(run.pk, name), content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=3600"
    return response


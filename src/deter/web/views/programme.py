"""The user's programmes and each programme's overview: the problem, the partnership, the
cohort by status, its groups and the reviews that are overdue."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from .. import actions, audit, policy
from ..actions.cohort import UNDER_REVIEW
from ..models import CohortStatus, Programme
from . import AuthenticatedHttpRequest

MAX_OVERDUE = 200


def programme_or_404(request: AuthenticatedHttpRequest, pk: int, action: str,
                     programmes=None) -> Programme:
    """One of the user's programmes; a refused (or nonexistent) one is audited and a 404."""
    programmes = policy.programmes_for(request.user) if programmes is None else programmes
    programme = programmes.filter(pk=pk).first() if 0 < pk < policy.MAX_PK else None
    if programme is None:
        audit.record(request.user, action, "programme", pk, outcome=audit.DENIED,
                     path=request.path)
        raise Http404("No programme found")
    return programme


def overdue_reviews(user, programme: Programme):
    """Visible entries still under review whose review date has passed, most overdue first."""
    return (
        policy.cohort_entries_visible_to(user)
        .filter(programme=programme, status__in=UNDER_REVIEW,
                review_date__lt=timezone.localdate())
        .select_related("person", "lead_professional")
        .order_by("review_date", "person__person_id")
    )


@login_required
@require_safe
def programme_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    programmes = list(policy.programmes_for(request.user))
    active = dict(
        policy.cohort_entries_visible_to(request.user)
        .filter(status=CohortStatus.ACTIVE, programme__in=[p.pk for p in programmes])
        .order_by().values_list("programme").annotate(n=Count("pk"))
    )
    for programme in programmes:
        programme.active_count = active.get(programme.pk, 0)
    return render(request, "deter/programme/list.html", {
        "programmes": programmes,
        "can_start": policy.roles_of(request.user).filter(role=policy.Role.COORDINATOR).exists(),
    })


@login_required
@require_safe
def programme_overview(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    programme = programme_or_404(request, pk, "view_programme")
    user = request.user
    counts = dict(
        policy.cohort_entries_visible_to(user).filter(programme=programme)
        .order_by().values_list("status").annotate(n=Count("pk"))
    )
    groups = list(
        policy.cohort_groups_visible_to(user).filter(programme=programme)
        .select_related("lead_professional").order_by("status", "label")
    )
    members = dict(
        policy.cohort_entries_visible_to(user).filter(group__in=[g.pk for g in groups])
        .order_by().values_list("group").annotate(n=Count("pk"))
    )
    for group in groups:
        group.visible_members = members.get(group.pk, 0)
    overdue = list(overdue_reviews(user, programme)[:MAX_OVERDUE])
    can_decide = policy.can_decide(user, programme)
    run = policy.latest_complete_run() if can_decide else None
    audit.record(user, "view_programme", "programme", programme.pk,
                 overdue_people=[entry.person_id for entry in overdue])
    return render(request, "deter/programme/overview.html", {
        "programme": programme,
        "agencies": list(programme.agencies.order_by("name")),
        "status_counts": [(status, counts.get(status.value, 0)) for status in CohortStatus],
        "groups": groups,
        "overdue": overdue,
        "today": timezone.localdate(),
        "can_decide": can_decide,
        "can_see_panel": policy.programmes_with_panel(user).filter(pk=programme.pk).exists(),
        "run": run,
    })


@login_required
@require_POST
def bring_proposals(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The coordinator brings the latest analysis's proposals to the panel."""
    programme = programme_or_404(request, pk, "propose_from_run")
    run = policy.latest_complete_run()
    try:
        added = actions.propose_from_run(request.user, programme, run)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("programme", pk=programme.pk)
    if added:
        messages.success(request, f"{added} {'person' if added == 1 else 'people'} brought to "
                                  f"the panel from analysis run {run.pk}")
    else:
        messages.info(request, f"Analysis run {run.pk} proposes nobody who is not already "
                               "before the panel or in the cohort")
    return redirect("panel", pk=programme.pk)


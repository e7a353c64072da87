"""The user's programmes and each programme's overview: the problem, the partnership, the
cohort by status, its groups and the reviews that are overdue."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from .. import actions, audit, policy
from ..models import CohortStatus, Programme
from ..queries import reviews
from . import AuthenticatedHttpRequest
from .access import get_visible_or_404

MAX_OVERDUE = 200


def overdue_reviews(user, programme: Programme):
    """Visible entries still under review whose review date has passed, most overdue first
    (``queries.reviews.overdue``)."""
    return reviews.overdue(user, programme)


@login_required
@require_safe
def programme_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    programmes = list(policy.programmes.visible(request.user))
    active = dict(
        policy.entries.visible(request.user)
        .filter(status=CohortStatus.ACTIVE, programme__in=[p.pk for p in programmes])
        .order_by().values_list("programme").annotate(n=Count("pk"))
    )
    for programme in programmes:
        programme.active_count = active.get(programme.pk, 0)
    audit.record(request.user, "view_programmes", "programme", None,
                 programmes=[p.pk for p in programmes])
    return render(request, "deter/programme/list.html", {
        "programmes": programmes,
        "can_start": policy.programmes.can(request.user, "start"),
    })


@login_required
@require_safe
def programme_overview(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    programme = get_visible_or_404(request, "programme", pk, "view_programme")
    user = request.user
    counts = dict(
        policy.entries.visible(user).filter(programme=programme)
        .order_by().values_list("status").annotate(n=Count("pk"))
    )
    groups = list(
        policy.groups.visible(user).filter(programme=programme)
        .select_related("lead_professional").order_by("status", "label")
    )
    members = dict(
        policy.entries.visible(user).filter(group__in=[g.pk for g in groups])
        .order_by().values_list("group").annotate(n=Count("pk"))
    )
    for group in groups:
        group.visible_members = members.get(group.pk, 0)
    overdue = list(overdue_reviews(user, programme)[:MAX_OVERDUE])
    can_decide = policy.programmes.can(user, "decide", programme)
    run = policy.runs.current(programme) if can_decide else None
    audit.record(user, "view_programme", "programme", programme.pk,
                 overdue_people=[entry.person_id for entry in overdue])
    return render(request, "deter/programme/overview.html", {
        "programme": programme,
        "agencies": list(programme.agencies.order_by("name")),
        "status_counts": [(status, counts.get(status.value, 0)) for status in CohortStatus],
        "groups": groups,
        "overdue": overdue,
        "today": timezone.localdate(),
        "grace_days": policy.reviews.grace_days(),
        "can_decide": can_decide,
        "can_see_panel": policy.programmes.can(user, "run_panel", programme),
        "can_see_adder": policy.programmes.can(user, "see_adder", programme),
        "can_see_fairness": policy.programmes.can(user, "see_fairness", programme),
        "can_see_report": policy.programmes.can(user, "see_report_aggregates", programme),
        "can_see_evaluation": policy.programmes.can(user, "see_evaluation", programme),
        "can_see_rights": policy.programmes.can(user, "see_rights", programme),
        "answers_subject_access": policy.subject_access_requests.can(
            user, "log", programme=programme),
        "run": run,
    })


@login_required
@require_POST
def bring_proposals(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The coordinator brings the latest analysis's proposals to the panel."""
    programme = get_visible_or_404(request, "programme", pk, "propose_from_run")
    run = policy.runs.current(programme)
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


"""The cohort: the latest complete run's ranked people and groups that the user may see."""

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from .. import audit, policy
from ..models import CohortEntry, PersonScore
from ..queries import explanation
from . import AuthenticatedHttpRequest

PAGE_SIZE = 25
TOP_EVENTS = 3
MAX_UNRANKED = 100
MAX_GROUPS = 20  # the highest-ranked; the problem profile lists every group


@dataclass(frozen=True)
class CohortRow:
    score: PersonScore
    age: int | None
    entries: list[CohortEntry]
    top_events: list[explanation.ExplanationRow]


@login_required
@require_safe
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    audit.record(request.user, "view_home", "page", None, redirect="cohort")
    return redirect("cohort")


@login_required
@require_safe
def cohort(request: AuthenticatedHttpRequest) -> HttpResponse:
    run = policy.runs.current_for(request.user)
    scores = policy.scores.in_run(request.user, run)
    # a list in rank order would tell a user without police-held detail each person's rank
    ranked = policy.programmes.instances(request.user, "see_case_detail").exists()
    if not ranked:
        scores = scores.order_by("person__person_id", "pk")
    page = Paginator(
        scores.defer("explanation").select_related("person").prefetch_related(
            policy.entries.prefetch(request.user, "person__cohort_entries")
        ),
        PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    today = timezone.localdate()
    rows = [
        CohortRow(
            score=score,
            age=score.person.age_on(today),
            entries=score.person.visible_entries,
            top_events=explanation.rows(score.top_events, explanation.OFFENDER, TOP_EVENTS)
            if score.case_detail
            else [],
        )
        for score in page
    ]
    visible_members = dict(
        scores.filter(case_detail=True)
        .exclude(group_label="")
        .order_by()
        .values_list("group_label")
        .annotate(n=Count("pk"))
    )
    groups = (list(run.groups.filter(group_label__in=list(visible_members))
                   .order_by("rank")[:MAX_GROUPS]) if run else [])
    for group in groups:
        group.visible_members = visible_members[group.group_label]
    unranked = list(policy.entries.outside_run(request.user, run)[:MAX_UNRANKED])
    audit.record(
        request.user, "view_cohort", "analysis_run", run.pk if run else None,
        page=page.number, people=[row.score.person_id for row in rows],
        unranked_people=[entry.person_id for entry in unranked],
    )
    return render(request, "deter/cohort.html", {
        "run": run,
        "ranked": ranked,
        "page": page,
        "rows": rows,
        "groups": groups,
        "groups_total": len(visible_members),
        "unranked": unranked,
        "page_numbers": page.paginator.get_elided_page_range(page.number, on_each_side=2,
                                                              on_ends=1),
    })

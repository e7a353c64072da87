"""The panel: proposed and deferred people and groups with the explanation behind each, and
the coordinator's decision forms. With ``?meeting=<pk>`` decisions are recorded against that
panel meeting."""

from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from .. import actions, audit, policy
from ..forms.cohort import (
    DECISION_LABELS,
    BulkDecisionForm,
    DecisionForm,
    PanelFilterForm,
    decision_label,
)
from ..models import (
    CohortEntry,
    CohortGroup,
    FoundGroup,
    Meeting,
    PersonScore,
    Programme,
)
from ..queries import explanation
from ..queries import panel as panel_query
from . import AuthenticatedHttpRequest
from .access import get_visible_or_404

BEFORE_PANEL = panel_query.BEFORE_PANEL
TOP_EVENTS = 3


@dataclass
class PanelPerson:
    entry: CohortEntry
    age: int | None
    score: PersonScore | None
    top_events: list[explanation.ExplanationRow]
    form: DecisionForm | None
    overdue: bool
    evidence: list = field(default_factory=list)


@dataclass
class PanelGroup:
    group: CohortGroup
    score: FoundGroup | None
    form: DecisionForm | None
    overdue: bool


def _panel_programme(request: AuthenticatedHttpRequest, pk: int, action: str) -> Programme:
    return get_visible_or_404(request, "programme", pk, action, permission="run_panel")


def _meeting(request: AuthenticatedHttpRequest, programme: Programme,
             raw: str | None) -> Meeting | None:
    """The panel meeting named in the request, if any; one the user may not see is a 404."""
    if not raw:
        return None
    try:
        pk = int(raw)
    except ValueError:
        raise Http404("No meeting found") from None
    meeting = policy.meetings.get(request.user, pk, related=("programme", "chair"))
    if meeting.programme_id != programme.pk or meeting.kind != Meeting.Kind.PANEL:
        raise Http404("No meeting found")
    return meeting


def _may_decide(request: AuthenticatedHttpRequest, programme: Programme, action: str,
                kind: str, pk: int) -> None:
    """Refuse before reading the form: an analyst sees the panel but does not decide."""
    if not policy.programmes.can(request.user, "decide", programme):
        audit.record(request.user, action, kind, pk, outcome=audit.DENIED)
        raise PermissionDenied("Only the programme's coordinator records panel decisions")


def _panel_url(programme: Programme, meeting: Meeting | None, anchor: str = "") -> str:
    url = reverse("panel", args=[programme.pk])
    return f"{url}{f'?meeting={meeting.pk}' if meeting else ''}{anchor}"


@login_required
@require_safe
def panel(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    programme = _panel_programme(request, pk, "view_panel")
    meeting = _meeting(request, programme, request.GET.get("meeting"))
    return _render_panel(request, programme, meeting)


@login_required
@require_POST
def decide_person(request: AuthenticatedHttpRequest, pk: int, entry_pk: int) -> HttpResponse:
    programme = _panel_programme(request, pk, "decide")
    entry = (
        policy.entries.visible(request.user)
        .filter(programme=programme, pk=entry_pk).select_related("person", "programme").first()
    )
    if entry is None:
        audit.record(request.user, "decide", "cohort_entry", entry_pk, outcome=audit.DENIED)
        raise Http404("No cohort entry found")
    _may_decide(request, programme, "decide", "cohort_entry", entry.pk)
    prefix = f"person-{entry.pk}"
    meeting = _meeting(request, programme, request.POST.get(f"{prefix}-meeting"))
    users = list(policy.programmes.users_with("assign", programme))
    form = DecisionForm(request.POST, subject=entry, users=users, prefix=prefix)
    from_status = entry.status
    if apply_decision(form,
                      lambda data: actions.decide(request.user, entry, meeting=meeting, **data)):
        messages.success(request, f"{entry.person.person_id}: "
                                  f"{decision_label(from_status, entry.status).lower()}")
        return redirect(_panel_url(programme, meeting))
    return _render_panel(request, programme, meeting, bound={("person", entry.pk): form},
                         status=400)


@login_required
@require_POST
def decide_group(request: AuthenticatedHttpRequest, pk: int, group_pk: int) -> HttpResponse:
    programme = _panel_programme(request, pk, "decide_group")
    group = (
        policy.groups.visible(request.user)
        .filter(programme=programme, pk=group_pk).select_related("programme").first()
    )
    if group is None:
        audit.record(request.user, "decide_group", "cohort_group", group_pk,
                     outcome=audit.DENIED)
        raise Http404("No group found")
    _may_decide(request, programme, "decide_group", "cohort_group", group.pk)
    prefix = f"group-{group.pk}"
    meeting = _meeting(request, programme, request.POST.get(f"{prefix}-meeting"))
    users = list(policy.programmes.users_with("assign", programme))
    form = DecisionForm(request.POST, subject=group, users=users, prefix=prefix)
    from_status = group.status
    if apply_decision(form, lambda data: actions.decide_group(request.user, group, meeting=meeting,
                                                      **data)):
        messages.success(request, f"Group {group}: "
                                  f"{decision_label(from_status, group.status).lower()}")
        return redirect(_panel_url(programme, meeting))
    return _render_panel(request, programme, meeting, bound={("group", group.pk): form},
                         status=400)


def proposing_scores(user, groups: list[CohortGroup]) -> list[FoundGroup | None]:
    """Each group's score in the run that proposed it (found-group labels belong to a run)."""
    wanted = Q(pk__in=[])
    for group in groups:
        if group.proposed_by_run_id:
            wanted |= Q(run_id=group.proposed_by_run_id, group_label=group.label)
    found = {(s.run_id, s.group_label): s for s in policy.found_groups.visible(user).filter(wanted)}
    return [found.get((group.proposed_by_run_id, group.label)) for group in groups]


def apply_decision(form: DecisionForm, decide) -> bool:
    """Validate the form and run the decision; the action's errors land on the form."""
    if not form.is_valid():
        return False
    data = {key: form.cleaned_data[key]
            for key in ("to_status", "reason", "review_date", "lead_professional",
                        "decided_on", "backdated_reason")}
    try:
        decide(data)
    except ValidationError as error:
        form.add_error(None, error)
        return False
    return True


PAGE_SIZE = 20  # cards with their decision forms: 20 keep a page well under 200 KB


def _filter_form(request: AuthenticatedHttpRequest, user, programme: Programme,
                 criteria: dict) -> PanelFilterForm:
    groups = list(policy.groups.visible(user).filter(programme=programme,
                                                     members__status__in=BEFORE_PANEL)
                  .distinct().order_by("label"))
    data = request.GET if any(k in request.GET for k in FILTER_KEYS) else None
    return PanelFilterForm(data, groups=groups, criteria=panel_query.criteria_choices(criteria))


FILTER_KEYS = ("q", "age_band", "child", "group", "area", "criterion", "score_band", "status",
               "sort")


def _page_query(request: AuthenticatedHttpRequest) -> str:
    """The query string without the page, for the pagination links (ends with "&")."""
    query = request.GET.copy()
    query.pop("page", None)
    encoded = query.urlencode()
    return f"{encoded}&" if encoded else ""


def _render_panel(
    request: AuthenticatedHttpRequest, programme: Programme, meeting: Meeting | None,
    bound: dict | None = None, status: int = 200, bulk: BulkDecisionForm | None = None,
) -> HttpResponse:
    user = request.user
    bound = bound or {}
    can_decide = policy.programmes.can(user, "decide", programme)
    users = list(policy.programmes.users_with("assign", programme)) if can_decide else []
    initial = {"meeting": meeting.pk if meeting else None}
    run = policy.runs.current(programme)
    today = timezone.localdate()
    waiting = panel_query.before_panel(user, programme, run)
    criteria = panel_query.criteria_of(waiting, run)
    filter_form = _filter_form(request, user, programme, criteria)
    found = panel_query.search(waiting, filter_form.filters(), today, criteria)
    page = Paginator(found.select_related("person", "group", "proposed_by"),
                     PAGE_SIZE).get_page(request.GET.get("page"))
    entries = list(page)
    scores = {
        score.person_id: score
        for score in (run.people.filter(person_id__in=[e.person_id for e in entries])
                      .defer("explanation") if run else [])
    }
    evidence = panel_query.evidence_of(entries)

    def form_for(kind: str, subject) -> DecisionForm | None:
        if not can_decide:
            return None
        return bound.get((kind, subject.pk)) or DecisionForm(
            subject=subject, users=users, prefix=f"{kind}-{subject.pk}", initial=initial)

    people = [
        PanelPerson(
            entry=entry, age=entry.person.age_on(today), score=scores.get(entry.person_id),
            top_events=explanation.rows(scores[entry.person_id].top_events,
                                        explanation.OFFENDER, TOP_EVENTS)
            if entry.person_id in scores else [],
            form=form_for("person", entry), overdue=entry.review_date < today,
            evidence=evidence.get(entry.pk, []),
        )
        for entry in entries
    ]
    groups = list(
        policy.groups.visible(user)
        .filter(programme=programme, status__in=BEFORE_PANEL)
        .select_related("proposed_by")
        .annotate(member_count=Count("members"))
        .order_by("status", "label")
    )
    panel_groups = [
        PanelGroup(group=group, score=score, form=form_for("group", group),
                   overdue=group.review_date is not None and group.review_date < today)
        for group, score in zip(groups, proposing_scores(user, groups), strict=True)
    ]
    if can_decide and bulk is None:
        bulk = BulkDecisionForm(entry_pks=[], prefix="bulk", initial=initial)
    audit.record(user, "view_panel", "programme", programme.pk,
                 meeting=meeting.pk if meeting else None,
                 people=[entry.person_id for entry in entries],
                 groups=[group.pk for group in groups], page=page.number,
                 matching=page.paginator.count,
                 filters={k: v for k, v in request.GET.items() if k in FILTER_KEYS and v})
    error_forms = [form for form in bound.values() if form.errors]
    if bulk is not None and bulk.errors:
        error_forms.append(bulk)
    return render(request, "deter/programme/panel.html", {
        "programme": programme,
        "meeting": meeting,
        "run": run,
        "people": people,
        "page": page,
        "page_numbers": page.paginator.get_elided_page_range(page.number, on_each_side=2,
                                                              on_ends=1),
        "page_query": _page_query(request),
        "waiting": waiting.count(),
        "filter_form": filter_form,
        "filtered": filter_form.is_bound,
        "bulk": bulk,
        "groups": panel_groups,
        "can_decide": can_decide,
        "error_forms": error_forms,
        "today": today,
    }, status=status)


@login_required
@require_POST
def bulk_decide(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Reject or defer every selected proposal with one reason, each through the decision
    action (one decision and one audit row each), all or none."""
    programme = _panel_programme(request, pk, "decide_many")
    _may_decide(request, programme, "decide_many", "programme", programme.pk)
    meeting = _meeting(request, programme, request.POST.get("bulk-meeting"))
    waiting = {entry.pk: entry for entry in policy.entries.visible(request.user)
               .filter(programme=programme, status__in=BEFORE_PANEL)
               .filter(pk__in=_int_list(request.POST.getlist("bulk-entries")))
               .select_related("person", "programme")}
    form = BulkDecisionForm(request.POST, entry_pks=list(waiting), prefix="bulk")
    if form.is_valid():
        data = form.cleaned_data
        try:
            decided = actions.decide_many(
                request.user, programme, [waiting[pk] for pk in data["entries"]],
                data["to_status"], reason=data["reason"], review_date=data["review_date"],
                meeting=meeting)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            label = DECISION_LABELS[data["to_status"]].lower()
            messages.success(request, f"{len(decided)} "
                                      f"{'person' if len(decided) == 1 else 'people'}: {label}")
            return redirect(_panel_url(programme, meeting))
    return _render_panel(request, programme, meeting, bulk=form, status=400)


def _int_list(values: list[str]) -> list[int]:
    return [int(value) for value in values if value.isdigit()]

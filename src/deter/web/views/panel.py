"""The panel: proposed and deferred people and groups with the explanation behind each, paged,
searched and filtered; the coordinator decides about each on its own page (which returns to
the same panel page) or rejects or defers several at once. With ``?meeting=<pk>`` decisions
are recorded against that panel meeting."""

from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from .. import actions, audit, policy
from ..domain.limits import LINE
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
    overdue: bool
    evidence: list = field(default_factory=list)


@dataclass
class PanelGroup:
    group: CohortGroup
    score: FoundGroup | None
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


@login_required
@require_safe
def panel(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    programme = _panel_programme(request, pk, "view_panel")
    meeting = _meeting(request, programme, request.GET.get("meeting"))
    return _render_panel(request, programme, meeting)


def _panel_back(data, meeting: Meeting | None = None) -> str:
    """The panel's own query (filters, sort, pages and the meeting) a decision returns to,
    rebuilt from the keys the panel reads: never an address taken as given."""
    query = QueryDict(data.get("back", ""))
    kept = QueryDict(mutable=True)
    for key in (*FILTER_KEYS, "page", "groups_page"):
        if query.get(key):
            kept[key] = query[key][:LINE]
    if meeting is not None:
        kept["meeting"] = str(meeting.pk)
    return kept.urlencode()


def _back_to_panel(programme: Programme, back: str, anchor: str = "") -> str:
    return f"{reverse('panel', args=[programme.pk])}{f'?{back}' if back else ''}{anchor}"


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def decide_person(request: AuthenticatedHttpRequest, pk: int, entry_pk: int) -> HttpResponse:
    """One person's panel facts and the decision about them, on a page of its own."""
    programme = _panel_programme(request, pk, "decide")
    entry = (
        policy.entries.visible(request.user)
        .filter(programme=programme, pk=entry_pk)
        .select_related("person", "programme", "group", "proposed_by").first()
    )
    if entry is None:
        audit.record(request.user, "decide", "cohort_entry", entry_pk, outcome=audit.DENIED)
        raise Http404("No cohort entry found")
    _may_decide(request, programme, "decide", "cohort_entry", entry.pk)
    prefix = f"person-{entry.pk}"
    posted = request.method == "POST"
    data = request.POST if posted else request.GET
    meeting = _meeting(request, programme, data.get(f"{prefix}-meeting") or data.get("meeting"))
    back = _panel_back(data, meeting)
    users = list(policy.programmes.users_with("assign", programme))
    form = DecisionForm(request.POST if posted else None, subject=entry, users=users,
                        prefix=prefix, initial={"meeting": meeting.pk if meeting else None})
    from_status = entry.status
    if posted and apply_decision(
            form, lambda data: actions.decide(request.user, entry, meeting=meeting, **data)):
        messages.success(request, f"{entry.person.person_id}: "
                                  f"{decision_label(from_status, entry.status).lower()}")
        return redirect(_back_to_panel(programme, back, "#people"))
    run = policy.runs.current(programme)
    row = _person_rows([entry], run, timezone.localdate())[0]
    audit.record(request.user, "view_panel_decision", "cohort_entry", entry.pk,
                 person=entry.person_id, meeting=meeting.pk if meeting else None,
                 refused=posted)
    return render(request, "deter/programme/panel_decision.html", {
        "programme": programme, "meeting": meeting, "run": run, "row": row, "form": form,
        "back": back, "back_url": _back_to_panel(programme, back, f"#person-{entry.pk}"),
        "subject": entry.person.person_id,
        "action": reverse("panel_decide_person", args=[programme.pk, entry.pk]),
    }, status=400 if posted else 200)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def decide_group(request: AuthenticatedHttpRequest, pk: int, group_pk: int) -> HttpResponse:
    """One group's panel facts and the decision about it, on a page of its own."""
    programme = _panel_programme(request, pk, "decide_group")
    group = (
        policy.groups.visible(request.user)
        .filter(programme=programme, pk=group_pk)
        .select_related("programme", "proposed_by").annotate(member_count=Count("members"))
        .first()
    )
    if group is None:
        audit.record(request.user, "decide_group", "cohort_group", group_pk,
                     outcome=audit.DENIED)
        raise Http404("No group found")
    _may_decide(request, programme, "decide_group", "cohort_group", group.pk)
    prefix = f"group-{group.pk}"
    posted = request.method == "POST"
    data = request.POST if posted else request.GET
    meeting = _meeting(request, programme, data.get(f"{prefix}-meeting") or data.get("meeting"))
    back = _panel_back(data, meeting)
    users = list(policy.programmes.users_with("assign", programme))
    form = DecisionForm(request.POST if posted else None, subject=group, users=users,
                        prefix=prefix, initial={"meeting": meeting.pk if meeting else None})
    from_status = group.status
    if posted and apply_decision(form, lambda data: actions.decide_group(
            request.user, group, meeting=meeting, **data)):
        messages.success(request, f"Group {group}: "
                                  f"{decision_label(from_status, group.status).lower()}")
        return redirect(_back_to_panel(programme, back, "#groups"))
    row = _group_rows(request.user, [group], timezone.localdate())[0]
    audit.record(request.user, "view_panel_decision", "cohort_group", group.pk,
                 meeting=meeting.pk if meeting else None, refused=posted)
    return render(request, "deter/programme/panel_decision.html", {
        "programme": programme, "meeting": meeting, "group_row": row, "form": form,
        "back": back, "back_url": _back_to_panel(programme, back, f"#group-{group.pk}"),
        "subject": f"group {group}",
        "action": reverse("panel_decide_group", args=[programme.pk, group.pk]),
    }, status=400 if posted else 200)


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


PAGE_SIZE = 20  # people's cards a page; each decision is on its own page
GROUPS_PAGE_SIZE = 20


def _filter_form(query: QueryDict, user, programme: Programme,
                 criteria: dict) -> PanelFilterForm:
    groups = list(policy.groups.visible(user).filter(programme=programme,
                                                     members__status__in=BEFORE_PANEL)
                  .distinct().order_by("label"))
    data = query if any(k in query for k in FILTER_KEYS) else None
    return PanelFilterForm(data, groups=groups, criteria=panel_query.criteria_choices(criteria))


FILTER_KEYS = ("q", "age_band", "child", "group", "area", "criterion", "score_band", "status",
               "sort")


def _page_query(query: QueryDict, key: str = "page") -> str:
    """The query string without ``key``, for the pagination links (ends with "&")."""
    query = query.copy()
    query.pop(key, None)
    encoded = query.urlencode()
    return f"{encoded}&" if encoded else ""


def _person_rows(entries: list[CohortEntry], run, today) -> list[PanelPerson]:
    """The panel facts of ``entries``: their scores in ``run``, top events and evidence, read
    once for all of them."""
    scores = {
        score.person_id: score
        for score in (run.people.filter(person_id__in=[e.person_id for e in entries])
                      .defer("explanation") if run else [])
    }
    evidence = panel_query.evidence_of(entries)
    return [
        PanelPerson(
            entry=entry, age=entry.person.age_on(today), score=scores.get(entry.person_id),
            top_events=explanation.rows(scores[entry.person_id].top_events,
                                        explanation.OFFENDER, TOP_EVENTS)
            if entry.person_id in scores else [],
            overdue=entry.review_date < today, evidence=evidence.get(entry.pk, []),
        )
        for entry in entries
    ]


def _group_rows(user, groups: list[CohortGroup], today) -> list[PanelGroup]:
    return [
        PanelGroup(group=group, score=score,
                   overdue=group.review_date is not None and group.review_date < today)
        for group, score in zip(groups, proposing_scores(user, groups), strict=True)
    ]


def _render_panel(
    request: AuthenticatedHttpRequest, programme: Programme, meeting: Meeting | None,
    status: int = 200, bulk: BulkDecisionForm | None = None, query: QueryDict | None = None,
) -> HttpResponse:
    """The panel page; ``query`` (by default the request's) holds its filters and pages."""
    user = request.user
    query = request.GET if query is None else query
    can_decide = policy.programmes.can(user, "decide", programme)
    initial = {"meeting": meeting.pk if meeting else None}
    run = policy.runs.current(programme)
    today = timezone.localdate()
    waiting = panel_query.before_panel(user, programme, run)
    criteria = panel_query.criteria_of(waiting, run)
    filter_form = _filter_form(query, user, programme, criteria)
    found = panel_query.search(waiting, filter_form.filters(), today, criteria)
    page = Paginator(found.select_related("person", "group", "proposed_by"),
                     PAGE_SIZE).get_page(query.get("page"))
    entries = list(page)
    people = _person_rows(entries, run, today)
    groups_page = Paginator(
        policy.groups.visible(user)
        .filter(programme=programme, status__in=BEFORE_PANEL)
        .select_related("proposed_by")
        .annotate(member_count=Count("members"))
        .order_by("status", "label"), GROUPS_PAGE_SIZE).get_page(query.get("groups_page"))
    groups = list(groups_page)
    panel_groups = _group_rows(user, groups, today)
    if can_decide and bulk is None:
        bulk = BulkDecisionForm(entry_pks=[], prefix="bulk", initial=initial)
    audit.record(user, "view_panel", "programme", programme.pk,
                 meeting=meeting.pk if meeting else None,
                 people=[entry.person_id for entry in entries],
                 groups=[group.pk for group in groups], page=page.number,
                 matching=page.paginator.count,
                 filters={k: v for k, v in query.items() if k in FILTER_KEYS and v})
    error_forms = [bulk] if bulk is not None and bulk.errors else []
    back = _panel_back({"back": query.urlencode()}, meeting)
    return render(request, "deter/programme/panel.html", {
        "programme": programme,
        "meeting": meeting,
        "run": run,
        "people": people,
        "page": page,
        "page_numbers": page.paginator.get_elided_page_range(page.number, on_each_side=2,
                                                              on_ends=1),
        "page_query": _page_query(query),
        "groups_page": groups_page,
        "groups_page_numbers": groups_page.paginator.get_elided_page_range(
            groups_page.number, on_each_side=2, on_ends=1),
        "groups_page_query": _page_query(query, "groups_page"),
        "back": back,
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
    back = _panel_back(request.POST, meeting)
    if form.is_valid():
        data = form.cleaned_data
        try:
            decided = actions.decide_many(
                request.user, programme, [waiting[pk] for pk in data["entries"]],
                data["to_status"], reason=data["reason"], review_date=data["review_date"],
                meeting=meeting, decided_on=data["decided_on"],
                backdated_reason=data["backdated_reason"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            label = DECISION_LABELS[data["to_status"]].lower()
            messages.success(request, f"{len(decided)} "
                                      f"{'person' if len(decided) == 1 else 'people'}: {label}")
            return redirect(_back_to_panel(programme, back, "#people"))
    return _render_panel(request, programme, meeting, bulk=form, status=400,
                         query=QueryDict(back))


def _int_list(values: list[str]) -> list[int]:
    return [int(value) for value in values if value.isdigit()]

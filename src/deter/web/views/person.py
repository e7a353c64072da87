"""A person's page: details, the safeguarding summary for a child, cohort status, scores with
their explanation and harm over time, recorded groups, a timeline of everything the viewer may
see about them (see ``deter.web.queries.timeline``), and interventions, with the form to
record one."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from .. import actions, audit, policy
from ..forms.casework import PersonInterventionForm as InterventionForm
from ..models import Person
from ..queries import explanation, harm_history, outcomes, safeguarding, timeline
from . import AuthenticatedHttpRequest
from .access import get_visible_or_404, sees

EXPLANATION_ROWS = 25  # per score; ?events=all lists every event


def _person_or_404(request: AuthenticatedHttpRequest, pk: int, action: str) -> Person:
    return get_visible_or_404(request, "person", pk, action)


@login_required
@require_safe
def person_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    person = _person_or_404(request, pk, "view_person")
    return _render_person(request, person, InterventionForm(user=request.user, person=person))


@login_required
@require_POST
def add_intervention(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    person = _person_or_404(request, pk, "add_intervention")
    if not policy.people.can(request.user, "add_intervention", person):
        audit.record(request.user, "add_intervention", "person", pk, outcome=audit.DENIED)
        raise PermissionDenied
    form = InterventionForm(request.POST, user=request.user, person=person)
    if form.is_valid():
        try:
            intervention = actions.add_intervention(request.user, person, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Intervention added: {intervention.title}")
            return redirect(reverse("person", args=[person.pk]) + "#interventions")
    return _render_person(request, person, form, status=400)


def _render_person(
    request: AuthenticatedHttpRequest, person: Person, form: InterventionForm, status: int = 200
) -> HttpResponse:
    user = request.user
    case_detail = policy.people.can(user, "see_case_detail", person)
    run = policy.runs.current_for(user) if case_detail else None
    score = run.people.filter(person=person).first() if run else None
    show, page, show_error = timeline.SHOW_ALL, 1, ""
    try:
        show = timeline.parse_show(request.GET.get("show"))
        page = timeline.parse_page(request.GET.get("page"))
    except timeline.UnknownFilter:
        show_error, status = timeline.UNKNOWN_FILTER_MESSAGE, 400
    except timeline.BadPage:
        show_error, status = timeline.BAD_PAGE_MESSAGE, 400
    harm_points = harm_history.history(person) if case_detail else []
    all_events = request.GET.get("events") == "all"
    entries = list(policy.entries.of_person(user, person).select_related("safeguarding_lead"))
    for entry in entries:
        entry.sees = sees(policy.entries.fields(user, entry))
    letter_entries = [entry for entry in entries if policy.entries.can(user, "write_letter", entry)]
    interventions = list(policy.interventions.of_person(user, person))
    recorded = outcomes.for_interventions([i.pk for i in interventions])
    for intervention in interventions:
        intervention.recorded = recorded[intervention.pk]
    context = {
        "person": person,
        "age": person.age_on(timezone.localdate()),
        "entries": entries,
        "interventions": interventions,
        "case_detail": case_detail,
        "sees": sees(policy.people.fields(user, person)),
        "run": run,
        "score": score,
        "harm_rows": _explained(score, explanation.OFFENDER, all_events),
        "victim_rows": _explained(score, explanation.VICTIM, all_events),
        "all_events": all_events,
        "timeline": timeline.build(user, person, show, case_detail=case_detail, page=page,
                                   entries=entries, interventions=interventions,
                                   letter_entries=letter_entries),
        "letter_entries": letter_entries,
        "show_error": show_error,
        "harm_points": harm_points,
        "harm_chart": harm_history.chart(harm_points),
        "safeguarding": safeguarding.summary(user, person, timezone.localdate(), entries),
        "memberships": list(
            person.memberships.select_related("group").order_by("group__group_id", "start")
        ) if case_detail else [],
        "form": form if policy.people.can(user, "add_intervention", person) else None,
        "movement": outcomes.movement(person) if case_detail else [],
        "may_record_movement": policy.people.can(user, "record_movement", person),
    }
    audit.record(user, "view_person", "person", person.pk, case_detail=case_detail)
    return render(request, "deter/person.html", context, status=status)


def _explained(score, side: str, all_events: bool) -> explanation.Shown:
    """One side of the score's explanation: the largest contributions, or every event."""
    rows = explanation.rows(score.explanation, side) if score else []
    return explanation.Shown.of(rows, None if all_events else EXPLANATION_ROWS)

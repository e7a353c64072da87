"""Proposals by hand: the coordinator puts a person or a group before the panel with a
rationale and the evidence events they chose; the panel shows them as "proposed by" the
coordinator, not by the analysis."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from .. import actions, audit, policy
from ..forms.cohort import ProposeGroupForm, ProposePersonForm, split_ids
from ..models import Person, Programme
from ..queries import panel as panel_query
from . import AuthenticatedHttpRequest
from .access import audit_form
from .panel import _may_decide, _panel_programme

EVIDENCE_CHOICES = 60  # the newest events offered as evidence
NOT_PROPOSABLE = ("No one with the id {id} can be proposed: check the id. Someone already "
                  "in this programme is on its panel or in its cohort already")


def _proposer(request: AuthenticatedHttpRequest, pk: int, action: str) -> Programme:
    programme = _panel_programme(request, pk, action)
    _may_decide(request, programme, action, "programme", programme.pk)
    return programme


def _person(request: AuthenticatedHttpRequest, programme: Programme, raw: str) -> Person | None:
    return policy.people.proposable(request.user, programme).filter(
        person_id=raw.strip()).first() if raw.strip() else None


@login_required
@require_http_methods(["GET", "POST"])
def propose_person(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    programme = _proposer(request, pk, "propose")
    source = request.POST if request.method == "POST" else request.GET
    raw = source.get("person_id", "")
    person = _person(request, programme, raw)
    lookup_error = NOT_PROPOSABLE.format(id=raw.strip()) if raw.strip() and not person else ""
    form = None
    if person is not None:
        events = list(panel_query.events_of([person])[:EVIDENCE_CHOICES])
        form = (ProposePersonForm(request.POST, events=events) if request.method == "POST"
                else ProposePersonForm(initial={"person_id": person.person_id}, events=events))
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            try:
                entry = actions.propose(request.user, programme, person,
                                        rationale=data["rationale"],
                                        review_date=data["review_date"],
                                        evidence=data["evidence"],
                                        proposed_on=data["proposed_on"],
                                        backdated_reason=data["backdated_reason"])
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, f"{person.person_id} proposed to the panel by you")
                return redirect(f"{reverse('panel', args=[programme.pk])}"
                                f"?q={person.person_id}#person-{entry.pk}")
        audit_form(request, "propose", "programme", programme.pk, form, person=person.pk)
    elif request.method == "POST" or lookup_error:
        audit.record(request.user, "form_invalid", "programme", programme.pk,
                     outcome=audit.DENIED, form="propose", fields=["person_id"])
    else:
        audit.record(request.user, "view_form", "programme", programme.pk, form="propose")
    bad = bool(lookup_error or (form is not None and form.errors)
               or (request.method == "POST" and person is None))
    return render(request, "deter/programme/propose_person.html", {
        "programme": programme, "person": person, "form": form, "raw": raw,
        "lookup_error": lookup_error or (
            "Enter the person id" if request.method == "POST" and not raw.strip() else ""),
        "error_forms": [form] if form is not None and form.errors else [],
    }, status=400 if bad else 200)


@login_required
@require_http_methods(["GET", "POST"])
def propose_group(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    programme = _proposer(request, pk, "propose_group")
    form = ProposeGroupForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        group = _propose_group(request, programme, form)
        if group is not None:
            messages.success(request, f"Group {group} proposed to the panel by you")
            return redirect(f"{reverse('panel', args=[programme.pk])}#group-{group.pk}")
    audit_form(request, "propose_group", "programme", programme.pk, form)
    return render(request, "deter/programme/propose_group.html", {
        "programme": programme, "form": form, "error_forms": [form] if form.errors else [],
    }, status=400 if form.errors else 200)


def _propose_group(request: AuthenticatedHttpRequest, programme: Programme,
                   form: ProposeGroupForm):
    """Find the members and events the form names, then call the action; errors land on the
    form, naming the ids not found."""
    data = form.cleaned_data
    wanted = split_ids(data["members"])
    members = {entry.person.person_id: entry for entry in policy.entries.visible(request.user)
               .filter(programme=programme, person__person_id__in=wanted, group__isnull=True)
               .select_related("person")}
    missing = [pid for pid in wanted if pid not in members]
    if missing:
        form.add_error("members", f"Not in this programme's cohort, or already in a group: "
                                  f"{', '.join(missing)}")
    if not wanted:
        form.add_error("members", "Enter the person ids of the group's members")
    event_ids = split_ids(data["evidence"])
    events = {event.event_id: event for event in panel_query.events_of(
        [entry.person for entry in members.values()]).filter(event_id__in=event_ids)}
    stray = [eid for eid in event_ids if eid not in events]
    if stray:
        form.add_error("evidence", f"No event {', '.join(stray)} involving the members")
    if form.errors:
        return None
    try:
        return actions.propose_group(
            request.user, programme, label=data["label"], name=data["name"],
            rationale=data["rationale"], members=list(members.values()),
            review_date=data["review_date"], evidence=[events[e] for e in event_ids],
            proposed_on=data["proposed_on"], backdated_reason=data["backdated_reason"])
    except ValidationError as error:
        form.add_error(None, error)
        return None

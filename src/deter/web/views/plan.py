"""A person's plan in one programme and a group's plan: status, decision history, the lead
professional, the review date, the support offer and the consequence (or the group-wide
response), with the forms to change the status and the plan for those allowed."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from .. import actions, audit, policy
from ..actions.cohort import UNDER_REVIEW
from ..domain import people
from ..forms.cohort import DecisionForm, GroupPlanForm, MembershipForm, PlanForm, decision_label
from ..models import CohortEntry, CohortGroup, CohortStatus
from . import AuthenticatedHttpRequest
from .access import get_visible_or_404, sees
from .panel import apply_decision, proposing_scores

ENGAGED = (CohortStatus.ACTIVE, CohortStatus.STEPPED_DOWN)


# --- a person's plan --------------------------------------------------------------------------


def _entry_or_404(request: AuthenticatedHttpRequest, pk: int, action: str) -> CohortEntry:
    return get_visible_or_404(
        request, "cohort_entry", pk, action,
        related=("programme", "person", "lead_professional", "safeguarding_lead",
                 "decided_by", "group"))


def _is_child(entry: CohortEntry) -> bool:
    return people.is_child(entry.person.age_on(timezone.localdate()))


@login_required
@require_safe
def entry_plan(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    entry = _entry_or_404(request, pk, "view_plan")
    return _render_entry(request, entry)


@login_required
@require_POST
def entry_decision(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    entry = _entry_or_404(request, pk, "decide")
    if not policy.programmes.can(request.user, "decide", entry.programme):
        audit.record(request.user, "decide", "cohort_entry", entry.pk, outcome=audit.DENIED)
        raise PermissionDenied
    users = list(policy.programmes.users_with("assign", entry.programme))
    form = DecisionForm(request.POST, subject=entry, users=users, prefix="status")
    from_status = entry.status
    if apply_decision(form, lambda data: actions.decide(request.user, entry, **data)):
        messages.success(request, f"Decision recorded: "
                                  f"{decision_label(from_status, entry.status).lower()}")
        return redirect("entry_plan", pk=entry.pk)
    return _render_entry(request, entry, decision_form=form, status=400)


@login_required
@require_POST
def entry_plan_update(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    entry = _entry_or_404(request, pk, "update_plan")
    if not policy.entries.can(request.user, "edit_plan", entry):
        audit.record(request.user, "update_plan", "cohort_entry", entry.pk, outcome=audit.DENIED)
        raise PermissionDenied
    users = list(policy.programmes.users_with("assign", entry.programme))
    form = PlanForm(request.POST, entry=entry, users=users, is_child=_is_child(entry),
                    prefix="plan")
    if form.is_valid():
        try:
            actions.update_plan(request.user, entry, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Plan saved")
            return redirect("entry_plan", pk=entry.pk)
    return _render_entry(request, entry, plan_form=form, status=400)


def _render_entry(
    request: AuthenticatedHttpRequest, entry: CohortEntry, *,
    decision_form: DecisionForm | None = None, plan_form: PlanForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    programme = entry.programme
    can_decide = policy.programmes.can(user, "decide", programme)
    can_edit = policy.entries.can(user, "edit_plan", entry)
    users = (list(policy.programmes.users_with("assign", programme))
             if can_decide or can_edit else [])
    if can_decide and decision_form is None:
        decision_form = DecisionForm(subject=entry, users=users, prefix="status")
    if can_edit and plan_form is None:
        plan_form = PlanForm(entry=entry, users=users, is_child=_is_child(entry), prefix="plan")
    today = timezone.localdate()
    group_visible = entry.group_id is not None and policy.groups.visible(user).filter(
        pk=entry.group_id).exists()
    audit.record(user, "view_plan", "cohort_entry", entry.pk, person=entry.person_id,
                 programme=programme.pk)
    return render(request, "deter/programme/entry.html", {
        "entry": entry,
        "sees": sees(policy.entries.fields(user, entry)),
        "programme": programme,
        "age": entry.person.age_on(today),
        "decisions": list(entry.decisions.select_related("decided_by", "lead_professional",
                                                         "meeting")),
        "overdue": entry.status in UNDER_REVIEW and entry.review_date < today,
        "missing_plan": entry.status in ENGAGED and not (
            entry.support_offer and entry.enforcement_consequence),
        "group_visible": group_visible,
        "decision_form": decision_form if decision_form and decision_form.has_decisions
        else None,
        "plan_form": plan_form,
        "error_forms": [f for f in (decision_form, plan_form) if f is not None and f.errors],
    }, status=status)


# --- a group's plan ---------------------------------------------------------------------------


def _group_or_404(request: AuthenticatedHttpRequest, pk: int, group_pk: int,
                  action: str) -> CohortGroup:
    return get_visible_or_404(request, "cohort_group", group_pk, action,
                              where={"programme_id": pk}, related=("programme",))


@login_required
@require_safe
def group_plan(request: AuthenticatedHttpRequest, pk: int, group_pk: int) -> HttpResponse:
    group = _group_or_404(request, pk, group_pk, "view_group_plan")
    return render_group_plan(request, group)


@login_required
@require_POST
def group_decision(request: AuthenticatedHttpRequest, pk: int, group_pk: int) -> HttpResponse:
    group = _group_or_404(request, pk, group_pk, "decide_group")
    if not policy.programmes.can(request.user, "decide", group.programme):
        audit.record(request.user, "decide_group", "cohort_group", group.pk,
                     outcome=audit.DENIED)
        raise PermissionDenied
    users = list(policy.programmes.users_with("assign", group.programme))
    form = DecisionForm(request.POST, subject=group, users=users, prefix="status")
    from_status = group.status
    if apply_decision(form, lambda data: actions.decide_group(request.user, group, **data)):
        messages.success(request, f"Decision recorded: "
                                  f"{decision_label(from_status, group.status).lower()}")
        return redirect("group_plan", pk=group.programme_id, group_pk=group.pk)
    return render_group_plan(request, group, decision_form=form, status=400)


@login_required
@require_POST
def group_plan_update(request: AuthenticatedHttpRequest, pk: int, group_pk: int) -> HttpResponse:
    group = _group_or_404(request, pk, group_pk, "update_group_plan")
    if not policy.groups.can(request.user, "edit_plan", group):
        audit.record(request.user, "update_group_plan", "cohort_group", group.pk,
                     outcome=audit.DENIED)
        raise PermissionDenied
    users = list(policy.programmes.users_with("assign", group.programme))
    form = GroupPlanForm(request.POST, group=group, users=users, prefix="plan")
    if form.is_valid():
        try:
            actions.update_group_plan(request.user, group, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Group plan saved")
            return redirect("group_plan", pk=group.programme_id, group_pk=group.pk)
    return render_group_plan(request, group, plan_form=form, status=400)


@login_required
@require_POST
def group_members(request: AuthenticatedHttpRequest, pk: int, group_pk: int) -> HttpResponse:
    """The coordinator adds a person of the programme's cohort to the group or takes a member
    out, with the reason, kept in the group's membership history."""
    group = _group_or_404(request, pk, group_pk, "change_members")
    if not policy.groups.can(request.user, "edit_members", group):
        audit.record(request.user, "change_members", "cohort_group", group.pk,
                     outcome=audit.DENIED)
        raise PermissionDenied
    form = MembershipForm(request.POST, prefix="members")
    if form.is_valid():
        data = form.cleaned_data
        raw = data["person_id"].strip()
        entry = (policy.entries.visible(request.user)
                 .filter(programme=group.programme, person__person_id=raw)
                 .select_related("person", "group").first()) if raw else None
        if entry is None:
            form.add_error("person_id", f"No one with the id {raw} is in this programme's "
                                        "cohort" if raw else "Enter the person id")
        else:
            try:
                actions.change_membership(request.user, group, entry, data["change"],
                                          reason=data["reason"])
            except ValidationError as error:
                form.add_error(None, error)
            else:
                verb = "added to" if data["change"] == "added" else "taken out of"
                messages.success(request, f"{entry.person.person_id} {verb} group {group}")
                return redirect(reverse("group_plan", args=[group.programme_id, group.pk])
                                + "#membership")
    return render_group_plan(request, group, members_form=form, status=400)


def render_group_plan(
    request: AuthenticatedHttpRequest, group: CohortGroup, *,
    decision_form: DecisionForm | None = None, plan_form: GroupPlanForm | None = None,
    status: int = 200, extra: dict | None = None, members_form: MembershipForm | None = None,
) -> HttpResponse:
    """The group's page; ``extra`` is more context, e.g. a bound form of the casework include
    with its errors."""
    user = request.user
    programme = group.programme
    can_decide = policy.programmes.can(user, "decide", programme)
    can_edit = policy.groups.can(user, "edit_plan", group)
    users = (list(policy.programmes.users_with("assign", programme))
             if can_decide or can_edit else [])
    if can_decide and decision_form is None:
        decision_form = DecisionForm(subject=group, users=users, prefix="status")
    if can_edit and plan_form is None:
        plan_form = GroupPlanForm(group=group, users=users, prefix="plan")
    if members_form is None and policy.groups.can(user, "edit_members", group):
        members_form = MembershipForm(prefix="members")
    members = list(
        policy.entries.visible(user).filter(group=group)
        .select_related("person", "lead_professional").order_by("status", "person__person_id")
    )
    today = timezone.localdate()
    for member in members:
        member.age = member.person.age_on(today)
        member.overdue = member.status in UNDER_REVIEW and member.review_date < today
    audit.record(user, "view_group_plan", "cohort_group", group.pk, programme=programme.pk,
                 people=[member.person_id for member in members])
    return render(request, "deter/programme/group.html", {
        "group": group,
        "sees": sees(policy.groups.fields(user, group)),
        "programme": programme,
        "score": proposing_scores(request.user, [group])[0],
        "members": members,
        "decisions": list(group.decisions.select_related("decided_by", "lead_professional",
                                                         "meeting")),
        "overdue": group.status in UNDER_REVIEW and group.review_date is not None
        and group.review_date < today,
        "decision_form": decision_form if decision_form and decision_form.has_decisions
        else None,
        "plan_form": plan_form,
        "members_form": members_form,
        "membership_changes": list(group.membership_changes.select_related(
            "entry__person", "changed_by")),
        "error_forms": [f for f in (decision_form, plan_form, members_form)
                        if f is not None and f.errors],
        **(extra or {}),
    }, status=status)


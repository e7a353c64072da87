"""Interventions and their life-cycle, orders and breaches, letters, the group response and the
programme's delivery page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from .. import audit, policy
from ..actions import group_response
from ..actions import interventions as intervention_actions
from ..actions import letters as letter_actions
from ..actions.outcomes import OUTCOME_KINDS
from ..domain import intervention_catalogue as catalogue
from ..domain import letters, rights
from ..forms.casework import (
    BreachForm,
    FlagResponseForm,
    GroupInterventionForm,
    LetterForm,
    LetterTemplateForm,
    StatusUpdateForm,
)
from ..models import (
    Intervention,
    Letter,
    LetterTemplate,
)
from ..queries import delivery
from ..queries import outcomes as recorded_outcomes
from . import AuthenticatedHttpRequest
from .access import audit_form, get_visible_or_404

# --- one intervention --------------------------------------------------------------------------


def outcome_context(user, intervention: Intervention, extra_form=None) -> dict:
    """The structured outcome (issue 13) and, for whoever may record it, its forms."""
    from ..forms.outcomes import (
        OccurrenceForm,
        OperationOutcomeForm,
        PremisesLinkForm,
        ScheduleForm,
    )
    recorded = recorded_outcomes.for_intervention(intervention)
    may = {verb: policy.interventions.can(user, verb, intervention)
           for verb in ("record_outcome", "link_premises", "schedule")}
    outcome = recorded.outcome
    forms = {
        "outcome_form": OperationOutcomeForm(initial={
            f: getattr(outcome, f) for f in OperationOutcomeForm.base_fields} if outcome else None)
        if may["record_outcome"] and intervention.kind in OUTCOME_KINDS else None,
        "premises_form": PremisesLinkForm(premises=intervention.programme.premises.all())
        if may["link_premises"] else None,
        "schedule_form": ScheduleForm() if may["schedule"] and not recorded.schedule else None,
        "occurrence_forms": [(o, OccurrenceForm(prefix=f"occurrence-{o.pk}"))
                             for o in recorded.occurrences] if may["record_outcome"] else [],
    }
    for key, form in forms.items():
        if extra_form is not None and key != "occurrence_forms" and form is not None \
                and type(form) is type(extra_form):
            forms[key] = extra_form
    return {"recorded": recorded, "outcome_kind": intervention.kind in OUTCOME_KINDS, **forms}


def _intervention_or_404(request: AuthenticatedHttpRequest, pk: int, action: str) -> Intervention:
    return get_visible_or_404(request, "intervention", pk, action,
                              related=("programme", "person", "group", "agency", "created_by"))


def _letter_visible(user, intervention: Intervention) -> Letter | None:
    letter = getattr(intervention, "letter", None)  # None when no letter was written
    if letter is None or intervention.person_id is None:
        return None
    return policy.letters.visible(user).filter(pk=letter.pk).first()


def _render_intervention(request: AuthenticatedHttpRequest, intervention: Intervention,
                         update_form=None, breach_form=None, status: int = 200,
                         extra_form=None) -> HttpResponse:
    user = request.user
    can_update = policy.interventions.can(user, "update", intervention)
    is_order = catalogue.is_order(intervention)
    if can_update and update_form is None and catalogue.next_statuses(intervention):
        update_form = StatusUpdateForm(intervention=intervention)
    if can_update and is_order and breach_form is None:
        breach_form = BreachForm(intervention=intervention, user=user)
    context = {
        "intervention": intervention,
        "updates": list(intervention.updates.select_related("recorded_by")),
        "days_to_engagement": intervention_actions.time_to_engagement(intervention),
        "is_order": is_order,
        "is_referral": intervention.kind in catalogue.REFERRAL_KINDS,
        "breaches": list(intervention.breaches.select_related("recorded_by", "event"))
        if is_order else [],
        "update_form": update_form if can_update and catalogue.next_statuses(intervention)
        else None,
        "breach_form": breach_form if can_update and is_order else None,
        "letter": _letter_visible(user, intervention),
        "category_label": catalogue.category_label(intervention.category),
        "ended": not catalogue.next_statuses(intervention),
        "can_see_delivery": policy.programmes.can(user, "see_delivery", intervention.programme),
        "form": update_form if update_form is not None and update_form.errors else breach_form,
        **outcome_context(user, intervention, extra_form),
    }
    if extra_form is not None:
        context["form"] = extra_form
    audit.record(user, "view_intervention", "intervention", intervention.pk,
                 person=intervention.person_id, group=intervention.group_id)
    return render(request, "deter/interventions/detail.html", context, status=status)


@login_required
@require_safe
def intervention_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    intervention = _intervention_or_404(request, pk, "view_intervention")
    return _render_intervention(request, intervention)


@login_required
@require_POST
def intervention_update(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    intervention = _intervention_or_404(request, pk, "update_intervention")
    if not policy.interventions.can(request.user, "update", intervention):
        audit.record(request.user, "update_intervention", "intervention", pk,
                     outcome=audit.DENIED)
        raise PermissionDenied
    form = StatusUpdateForm(request.POST, intervention=intervention)
    if form.is_valid():
        try:
            intervention_actions.update_intervention(
                request.user, intervention, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Status changed to {intervention.get_status_display()}")
            return redirect("intervention", pk=intervention.pk)
    return _render_intervention(request, intervention, update_form=form, status=400)


@login_required
@require_POST
def intervention_breach(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    intervention = _intervention_or_404(request, pk, "record_breach")
    if not policy.interventions.can(request.user, "update", intervention) \
            or not catalogue.is_order(intervention):
        audit.record(request.user, "record_breach", "intervention", pk, outcome=audit.DENIED)
        raise PermissionDenied
    form = BreachForm(request.POST, intervention=intervention, user=request.user)
    if form.is_valid():
        try:
            intervention_actions.record_breach(request.user, intervention, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Breach recorded")
            return redirect(reverse("intervention", args=[intervention.pk]) + "#breaches")
    return _render_intervention(request, intervention, breach_form=form, status=400)


# --- the programme's delivery page ------------------------------------------------------------


@login_required
@require_safe
def programme_delivery(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    programme = get_visible_or_404(request, "programme", pk, "view_delivery",
                                   permission="see_delivery")
    summary = delivery.summarise(request.user, programme)
    context = {
        "programme": programme,
        "summary": summary,
        "flags": list(policy.flags.open_in(request.user, programme)),
        "can_manage_letters": policy.programmes.can(request.user, "decide", programme),
        "expiring_within": delivery.EXPIRING_WITHIN_DAYS,
        "breach_days": delivery.RECENT_BREACH_DAYS,
    }
    audit.record(request.user, "view_delivery", "programme", programme.pk)
    return render(request, "deter/interventions/delivery.html", context)


# --- letter templates ------------------------------------------------------------------------


@login_required
@require_safe
def letter_templates(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    programme = get_visible_or_404(request, "programme", pk, "view_letter_templates",
                                   permission="decide")
    templates = list(programme.letter_templates.select_related("updated_by"))
    audit.record(request.user, "view_letter_templates", "programme", programme.pk,
                 templates=[t.pk for t in templates])
    return render(request, "deter/interventions/letter_templates.html", {
        "programme": programme, "templates": templates,
    })


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def letter_template_edit(request: AuthenticatedHttpRequest, pk: int,
                         template_pk: int | None = None) -> HttpResponse:
    programme = get_visible_or_404(request, "programme", pk, "save_letter_template",
                                   permission="decide")
    template = None
    if template_pk is not None:
        template = programme.letter_templates.filter(pk=template_pk).first() \
            if policy.valid_pk(template_pk) else None
        if template is None:
            audit.record(request.user, "save_letter_template", "letter_template", template_pk,
                         outcome=audit.DENIED, programme=programme.pk, path=request.path)
            raise Http404("No letter template found")
    initial = ({"name": template.name, "kind": template.kind, "body": template.body}
               if template else _new_template(request.GET.get("kind")))
    form = LetterTemplateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = letter_actions.save_letter_template(request.user, programme,
                                                        template=template, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Letter template saved: {saved.name}")
            return redirect("letter_templates", pk=programme.pk)
    audit_form(request, "update_letter_template" if template else "create_letter_template",
               "letter_template", template.pk if template else None, form,
               programme=programme.pk)
    return render(request, "deter/interventions/letter_template_form.html", {
        "programme": programme, "template": template, "form": form,
        "placeholders": letters.PLACEHOLDERS,
    }, status=400 if form.is_bound else 200)


def _new_template(kind: str | None) -> dict[str, str]:
    """A new template starts blank, or from the standard notification letter."""
    if kind == LetterTemplate.Kind.NOTIFICATION:
        return {"kind": kind, "name": rights.NOTIFICATION_NAME, "body": rights.NOTIFICATION_BODY}
    return {"kind": LetterTemplate.Kind.LETTER}


# --- letters ---------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def letter_new(request: AuthenticatedHttpRequest, pk: int, person_pk: int) -> HttpResponse:
    entry = policy.entries.visible(request.user).filter(
        programme_id=pk, person_id=person_pk,
    ).select_related("programme", "person", "lead_professional").first() \
        if policy.valid_pk(pk) and policy.valid_pk(person_pk) else None
    if entry is None or not policy.entries.can(request.user, "write_letter", entry):
        audit.record(request.user, "generate_letter", "person", person_pk, outcome=audit.DENIED,
                     programme=pk)
        raise Http404("No person found")
    templates = entry.programme.letter_templates.all()
    form = LetterForm(request.POST or None, templates=templates)
    if request.method == "POST" and form.is_valid():
        try:
            letter = letter_actions.generate_letter(request.user, entry, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Letter written to {letter.recipient}")
            return redirect("intervention", pk=letter.intervention_id)
    audit_form(request, "generate_letter", "person", entry.person_id, form,
               programme=entry.programme_id)
    return render(request, "deter/interventions/letter_form.html", {
        "entry": entry, "person": entry.person, "programme": entry.programme, "form": form,
        "has_templates": templates.exists(),
        "can_manage_letters": policy.programmes.can(request.user, "decide", entry.programme),
    }, status=400 if form.is_bound else 200)


@login_required
@require_safe
def letter_download(request: AuthenticatedHttpRequest, pk: int, fmt: str) -> HttpResponse:
    letter = get_visible_or_404(request, "letter", pk, "download_letter",
                                related=("intervention", "intervention__programme"), format=fmt)
    intervention = letter.intervention
    title = f"{intervention.title} – {letter.recipient}"
    filename = f"letter-{letter.reference or letter.pk}-" \
               f"{slugify(intervention.title)[:40] or 'deter'}.{fmt}"
    draw = letters.to_docx if fmt == "docx" else letters.to_pdf
    content = draw(letter.recipient, letter.address, letter.body, title,
                   letter_actions.letterhead_of(letter), address_block=letter.address_block)
    if fmt == "docx":
        content_type = ("application/vnd.openxmlformats-officedocument."
                        "wordprocessingml.document")
    else:
        content_type = "application/pdf"
    audit.record(request.user, "download_letter", "letter", letter.pk, format=fmt,
                 person=intervention.person_id)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


# --- the group response ----------------------------------------------------------------------


def group_page_url(group) -> str:
    """The group's page, where its casework (flags and their response) is shown."""
    return reverse("group_plan", args=[group.programme_id, group.pk]) + "#group-response"


@login_required
@require_POST
def flag_respond(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    flag = get_visible_or_404(request, "group_flag", pk, "respond_to_flag",
                              related=("group", "group__programme", "event", "person"))
    form = FlagResponseForm(request.POST, prefix=f"flag-{flag.pk}")
    if form.is_valid():
        try:
            group_response.respond_to_flag(request.user, flag, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Response recorded")
            return redirect(group_page_url(flag.group))
    return _group_page_with_errors(
        request, flag.group, "casework_flag_form", form,
        "deter/interventions/flag_response.html", {"flag": flag})


@login_required
@require_POST
def group_intervention_add(request: AuthenticatedHttpRequest, pk: int,
                           group_pk: int) -> HttpResponse:
    group = policy.groups.get(request.user, group_pk, related=("programme",))
    if group.programme_id != pk or not policy.groups.can(request.user, "add_intervention", group):
        audit.record(request.user, "add_intervention", "cohort_group", group_pk,
                     outcome=audit.DENIED)
        raise PermissionDenied
    form = GroupInterventionForm(request.POST, group=group, prefix="group-intervention")
    if form.is_valid():
        try:
            intervention = intervention_actions.add_intervention(
                request.user, None, group.programme, group=group, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Group intervention added: {intervention.title}")
            return redirect(group_page_url(group))
    return _group_page_with_errors(
        request, group, "casework_group_form", form,
        "deter/interventions/group_intervention_form.html", {})


def _group_page_with_errors(request, group, name: str, form, fallback: str,
                            context: dict) -> HttpResponse:
    """The group's page again with the form's errors in place (status 400), or a page of
    its own where the group page cannot show them."""
    try:
        from .plan import render_group_plan
    except ImportError:
        render_group_plan = None
    if render_group_plan is not None:
        return render_group_plan(request, group, status=400,
                                 extra={name: form, "error_forms": [form]})
    return render(request, fallback, {**context, "group": group, "form": form,
                                      "back": group_page_url(group)}, status=400)

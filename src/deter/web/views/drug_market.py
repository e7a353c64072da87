"""The drug-market pathway (issue 16): a person's treatment page in a programme (referrals,
their steps, harm-reduction records, with the forms the user may use) and the programme's
ADDER dashboard."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from .. import audit, policy
from ..actions import drug_market as actions
from ..forms.drug_market import HarmReductionForm, ReferralForm, StepForm
from ..models import CohortEntry, TreatmentReferral
from ..queries import adder
from . import AuthenticatedHttpRequest
from .access import audit_form, get_visible_or_404

STEPS = tuple(actions.STEPS)


def _errors_to(form, error: ValidationError) -> None:
    """The action's errors on the form's fields (``renames`` maps the action's names)."""
    for name, found in error.message_dict.items():
        name = getattr(form, "renames", {}).get(name, name)
        form.add_error(name if name in form.fields else None, found)


def _entry_or_404(request: AuthenticatedHttpRequest, pk: int, action: str) -> CohortEntry:
    return get_visible_or_404(request, "cohort_entry", pk, action,
                              related=("programme", "person"))


def _open_steps(referral: TreatmentReferral) -> list[str]:
    """The steps the page offers: those after the last one recorded (an assessment may be
    skipped, a person may leave before starting); none once the episode has ended."""
    if referral.exited_on:
        return []
    recorded = [i for i, step in enumerate(STEPS)
                if getattr(referral, actions.STEPS[step][0]) is not None]
    return list(STEPS[max(recorded, default=-1) + 1:])


def _episodes(request, entry: CohortEntry, bound: dict | None = None) -> list[dict]:
    """Each visible referral with what the user may see and the step forms they may use."""
    user, bound = request.user, bound or {}
    found = []
    for referral in policy.treatment_referrals.visible(user).filter(
            programme=entry.programme, person=entry.person).select_related("provider"):
        clinical = policy.treatment_referrals.can(user, "see_clinical", referral)
        forms = []
        if policy.treatment_referrals.can(user, "record", referral):
            forms = [bound.get((referral.pk, step)) or StepForm(
                step=step, prefix=f"r{referral.pk}-{step}") for step in _open_steps(referral)]
        found.append({"referral": referral, "clinical": clinical, "forms": forms})
    return found


def _render(request, entry: CohortEntry, *, refer_form=None, harm_form=None, bound=None,
            status: int = 200) -> HttpResponse:
    user = request.user
    may_refer = policy.entries.can(user, "refer_to_treatment", entry)
    may_record = policy.entries.can(user, "record_harm_reduction", entry)
    episodes = _episodes(request, entry, bound)
    harm = list(policy.harm_reduction.visible(user).filter(
        programme=entry.programme, person=entry.person))
    audit.record(user, "view_treatment", "cohort_entry", entry.pk,
                 referrals=[e["referral"].pk for e in episodes],
                 clinical=[e["referral"].pk for e in episodes if e["clinical"]],
                 harm_reduction=[h.pk for h in harm])
    errors = [f for f in (refer_form, harm_form, *(bound or {}).values()) if f and f.errors]
    return render(request, "deter/drug_market/treatment.html", {
        "entry": entry, "programme": entry.programme, "person": entry.person,
        "episodes": episodes, "harm": harm,
        "refer_form": (refer_form or ReferralForm(prefix="refer")) if may_refer else None,
        "harm_form": (harm_form or HarmReductionForm(prefix="harm")) if may_record else None,
        "form": errors[0] if errors else None,
    }, status=status)


def _post(request, entry: CohortEntry, *, action: str, kind: str, pk: int, form, write,
          done: str, again: dict) -> HttpResponse:
    """Validate ``form`` and call ``write(cleaned_data)``; back to the treatment page with a
    message, or the page again with the errors (400), the refusal audited under ``action``."""
    if form.is_valid():
        try:
            write(form.cleaned_data)
        except ValidationError as error:
            _errors_to(form, error)
        else:
            messages.success(request, done)
            return redirect("entry_treatment", pk=entry.pk)
    audit_form(request, action, kind, pk, form)
    return _render(request, entry, status=400, **again)


def _refuse_unless(request, allowed: bool, action: str, kind: str, pk: int) -> None:
    if not allowed:
        audit.record(request.user, action, kind, pk, outcome=audit.DENIED)
        raise PermissionDenied


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def entry_treatment(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The person's treatment page; a POST refers them into treatment."""
    entry = _entry_or_404(request, pk, "view_treatment")
    if request.method != "POST":
        return _render(request, entry)
    _refuse_unless(request, policy.entries.can(request.user, "refer_to_treatment", entry),
                   "refer_to_treatment", "cohort_entry", pk)
    form = ReferralForm(request.POST, prefix="refer")
    return _post(request, entry, action="refer_to_treatment", kind="cohort_entry", pk=pk,
                 form=form, again={"refer_form": form},
                 write=lambda data: actions.refer(request.user, entry, **data),
                 done="Referral into treatment recorded")


@login_required
@require_POST
def treatment_step(request: AuthenticatedHttpRequest, pk: int, step: str) -> HttpResponse:
    """Record a step of the episode (triage, assessment, start, exit)."""
    action = f"record_treatment_{step}" if step in STEPS else "record_treatment_step"
    referral = get_visible_or_404(request, "treatment_referral", pk, action,
                                  related=("programme", "person"))
    entry = policy.entries.visible(request.user).select_related("programme", "person").get(
        programme=referral.programme, person=referral.person)
    _refuse_unless(request, step in STEPS and policy.treatment_referrals.can(
        request.user, "record", referral), action, "treatment_referral", pk)
    form = StepForm(request.POST, step=step, prefix=f"r{referral.pk}-{step}")
    return _post(request, entry, action=action, kind="treatment_referral", pk=pk, form=form,
                 again={"bound": {(referral.pk, step): form}},
                 write=lambda data: actions.record_step(
                     request.user, referral, step, data["on"],
                     modality=data.get("modality", ""), exit_reason=data.get("exit_reason", "")),
                 done=f"{actions.STEPS[step][1].capitalize()} recorded")


@login_required
@require_POST
def entry_harm_reduction(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    entry = _entry_or_404(request, pk, "record_harm_reduction")
    _refuse_unless(request, policy.entries.can(request.user, "record_harm_reduction", entry),
                   "record_harm_reduction", "cohort_entry", pk)
    form = HarmReductionForm(request.POST, prefix="harm")
    return _post(request, entry, action="record_harm_reduction", kind="cohort_entry", pk=pk,
                 form=form, again={"harm_form": form},
                 write=lambda data: actions.record_harm_reduction(request.user, entry, **data),
                 done="Recorded")


@login_required
@require_safe
def programme_adder(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The ADDER dashboard for one month (``?month=2026-11``; this month by default)."""
    programme = get_visible_or_404(request, "programme", pk, "view_adder_dashboard",
                                   permission="see_adder")
    month = adder.parse_month(request.GET.get("month"))
    error = None
    if month is None:
        error, month = "Enter the month as a year and month, like 2026-11", \
            adder.parse_month(None)
    dashboard = adder.build(programme, month)
    audit.record(request.user, "view_adder_dashboard", "programme", programme.pk,
                 month=f"{month:%Y-%m}",
                 measures={k: m.value for k, m in dashboard.measures.items()})
    return render(request, "deter/drug_market/dashboard.html",
                  {"programme": programme, "dashboard": dashboard, "month_error": error},
                  status=400 if error else 200)

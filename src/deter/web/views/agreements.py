"""Data-sharing agreement pages: a programme's versions, one agreement's terms with its ICO
checklist and approvals, and the coordinator's and DPOs' forms (draft, submit, approve,
revoke). Every write is an action in ``actions.sharing``; a refusal is the same 404 as a
missing agreement."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from .. import audit, policy
from ..actions import sharing
from ..forms.sharing import AgreementForm, RevokeForm
from ..models import DataSharingAgreement, Programme
from ..queries import agreements as read
from . import AuthenticatedHttpRequest
from .access import audit_form, get_visible_or_404


def _programme(request: AuthenticatedHttpRequest, pk: int, action: str) -> Programme:
    """A programme the user partners in, or one whose agreements the user oversees as DPO."""
    user = request.user
    among = policy.programmes.visible(user) | policy.programmes.instances(user, "see_audit")
    return get_visible_or_404(request, "programme", pk, action, among=among.distinct())


@login_required
@require_safe
def agreement_list(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    programme = _programme(request, pk, "view_agreements")
    versions = list(read.of_programme(request.user, programme))
    audit.record(request.user, "view_agreements", "programme", programme.pk,
                 agreements=[a.pk for a in versions])
    return render(request, "deter/sharing/agreements.html", {
        "programme": programme, "agreements": versions,
        "can_draft": policy.programmes.can(request.user, "decide", programme),
    })


def _render_agreement(request: AuthenticatedHttpRequest, agreement: DataSharingAgreement, *,
                      revoke_form: RevokeForm | None = None, submit_errors: list[str] = (),
                      status: int = 200) -> HttpResponse:
    user = request.user
    page = read.page(user, agreement)
    audit.record(user, "view_agreement", "agreement", agreement.pk,
                 programme=agreement.programme_id,
                 affected_people=[p.pk for a in page.affected or () for p in a.linked])
    return render(request, "deter/sharing/agreement.html", {
        "page": page, "agreement": agreement, "programme": agreement.programme,
        "can_submit": policy.agreements.can(user, "edit", agreement),
        "can_approve": policy.agreements.can(user, "approve", agreement),
        "can_revoke": policy.agreements.can(user, "revoke", agreement),
        "approving_for": policy.agreements.party_for_dpo(user, agreement),
        "revoke_form": revoke_form or RevokeForm(),
        "submit_errors": list(submit_errors),
    }, status=status)


def _agreement(request: AuthenticatedHttpRequest, pk: int, action: str,
               permission: str | None = None) -> DataSharingAgreement:
    return get_visible_or_404(request, "agreement", pk, action, permission=permission,
                              related=("programme", "created_by"))


@login_required
@require_safe
def agreement_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _render_agreement(request, _agreement(request, pk, "view_agreement"))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def agreement_new(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The coordinator drafts the next version, starting from the newest one's terms."""
    programme = policy.programmes.instances(request.user, "decide").filter(pk=pk).first()
    if programme is None:
        audit.record(request.user, "draft_agreement", "programme", pk, outcome=audit.DENIED,
                     path=request.path)
        raise Http404("No programme found")
    form = AgreementForm(request.POST if request.method == "POST" else None,
                         programme=programme)
    if request.method == "POST" and form.is_valid():
        try:
            agreement = sharing.draft_agreement(request.user, programme, **form.terms())
        except ValidationError as error:
            _add_action_errors(form, error)
        else:
            messages.success(request, f"Draft saved: {agreement}")
            return redirect("agreement", pk=agreement.pk)
    audit_form(request, "draft_agreement", "programme", programme.pk, form)
    return render(request, "deter/sharing/agreement_form.html",
                  {"form": form, "programme": programme},
                  status=400 if form.is_bound else 200)


def _add_action_errors(form: AgreementForm, error: ValidationError) -> None:
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for key, errors in error.message_dict.items():
        for message in errors:
            form.add_error(form.field_for_action_error(key), message)


@login_required
@require_POST
def agreement_submit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    agreement = _agreement(request, pk, "submit_agreement", permission="edit")
    missing = agreement.missing()
    if missing:  # the action refuses too; here the page lists each item
        return _render_agreement(request, agreement, submit_errors=missing, status=400)
    try:
        sharing.submit_agreement(request.user, agreement)
    except ValidationError as error:
        return _render_agreement(request, agreement, submit_errors=error.messages, status=400)
    messages.success(request, "Sent to the data protection officers for approval")
    return redirect("agreement", pk=agreement.pk)


@login_required
@require_POST
def agreement_approve(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    agreement = _agreement(request, pk, "approve_agreement", permission="approve")
    sharing.approve_agreement(request.user, agreement)
    if agreement.status == DataSharingAgreement.Status.ACTIVE:
        messages.success(request, "Approved: every supplier has approved, so the agreement "
                                  "is active")
    else:
        messages.success(request, "Approved: the agreement still awaits other approvals")
    return redirect("agreement", pk=agreement.pk)


@login_required
@require_POST
def agreement_revoke(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    agreement = _agreement(request, pk, "revoke_agreement", permission="revoke")
    form = RevokeForm(request.POST)
    if form.is_valid():
        try:
            sharing.revoke_agreement(request.user, agreement, form.cleaned_data["reason"])
        except ValidationError as error:
            form.add_error("reason", error.messages[0])
        else:
            messages.success(request, "Revoked: the parties' access has ended")
            return redirect("agreement", pk=agreement.pk)
    return _render_agreement(request, agreement, revoke_form=form, status=400)

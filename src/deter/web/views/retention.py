"""Retention pages: the DPO's overview of what falls due and of partners' outstanding
deletion confirmations, and each agency's own confirmations to make."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from .. import audit, policy
from ..actions import retention as retention_actions
from ..queries import retention, reviews
from . import AuthenticatedHttpRequest
from .access import get_visible_or_404

MAX_SHOWN = 200


@login_required
@require_safe
def retention_overview(request: AuthenticatedHttpRequest) -> HttpResponse:
    """For the DPO of one or more programmes: what the next retention run will delete, the
    overdue reviews in numbers, and every agency's outstanding confirmations with their age."""
    user = request.user
    programmes = list(policy.programmes.instances(user, "see_retention"))
    if not programmes:
        audit.record(user, "view_retention", "programme", None, outcome=audit.DENIED,
                     path=request.path)
        raise Http404("No programme found")
    today = timezone.localdate()
    report = retention.due(today, programmes)
    outstanding = list(policy.deletion_confirmations.outstanding_in(
        user, [p.pk for p in programmes])[:MAX_SHOWN])
    for confirmation in outstanding:
        confirmation.age_days = (today - timezone.localdate(confirmation.created_at)).days
    review_counts = reviews.counts([p.pk for p in programmes], today)
    rows = [{
        "programme": programme,
        "due": [item for item in report.items if item.programme == programme],
        "reviews": review_counts.get(programme.pk, {"overdue": 0, "suspended": 0}),
    } for programme in programmes]
    audit.record(user, "view_retention", "programme", None,
                 programmes=[p.pk for p in programmes], counts=report.counts(),
                 confirmations=[c.pk for c in outstanding])
    return render(request, "deter/retention/overview.html", {
        "rows": rows, "report": report, "audit_item": report.of_kind("audit"),
        "outstanding": outstanding, "today": today,
        "grace_days": policy.reviews.grace_days(),
        "runs": retention.recent_runs(),
    })


@login_required
@require_safe
def confirmation_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The outstanding deletion confirmations of the user's agencies."""
    user = request.user
    outstanding = list(policy.deletion_confirmations.instances(user, "confirm")[:MAX_SHOWN])
    today = timezone.localdate()
    for confirmation in outstanding:
        confirmation.age_days = (today - timezone.localdate(confirmation.created_at)).days
    audit.record(user, "view_deletion_confirmations", "deletion_confirmation", None,
                 confirmations=[c.pk for c in outstanding])
    return render(request, "deter/retention/confirmations.html", {"outstanding": outstanding})


@login_required
@require_POST
def confirm(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Confirm that the user's agency has deleted its own copies; another agency's, a
    missing one and (for a DPO) one the DPO only oversees are all 404."""
    confirmation = get_visible_or_404(request, "deletion_confirmation", pk, "confirm_deletion",
                                      permission="confirm", related=("agency",))
    try:
        retention_actions.confirm_deletion(request.user, confirmation)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Confirmed: {confirmation.agency} has deleted its own copies")
    return redirect("deletion_confirmations")

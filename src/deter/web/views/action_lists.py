"""Action lists: "my actions" (open ones I own, overdue first, then the ones I finished
recently) and, for coordinators, every overdue action of their programmes; and the status
buttons that mark an action done, cancel it or reopen it."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from .. import audit, policy
from ..actions import meetings as actions
from ..models import MeetingAction
from . import AuthenticatedHttpRequest
from .access import get_visible_or_404

RECENTLY_DONE_DAYS = 30
RECENTLY_DONE_LIMIT = 20
OVERDUE_LIMIT = 500
STATUS_MESSAGES = {
    MeetingAction.Status.DONE: "Action marked as done",
    MeetingAction.Status.CANCELLED: "Action cancelled",
    MeetingAction.Status.OPEN: "Action reopened",
}


def _with_links(user, actions_: QuerySet[MeetingAction]) -> QuerySet[MeetingAction]:
    """Annotate whether the user may open the action's meeting, person and group (no query
    per row)."""
    return actions_.select_related("programme", "meeting", "entry__person", "group", "owner") \
        .annotate(
            meeting_visible=Exists(policy.meetings.visible(user).filter(pk=OuterRef("meeting_id"))),
            person_visible=Exists(
                policy.people.visible(user).filter(pk=OuterRef("entry__person_id"))),
            group_visible=Exists(
                policy.groups.visible(user).filter(pk=OuterRef("group_id"))),
        )


@login_required
@require_safe
def my_actions(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    today = timezone.localdate()
    mine = policy.meeting_actions.visible(user).filter(owner_id=user.pk)
    open_actions = list(_with_links(user, mine.filter(status=MeetingAction.Status.OPEN))
                        .order_by("due", "pk"))
    done = list(
        _with_links(user, mine.filter(
            status=MeetingAction.Status.DONE,
            completed_at__gte=timezone.now() - timedelta(days=RECENTLY_DONE_DAYS)))
        .order_by("-completed_at", "-pk")[:RECENTLY_DONE_LIMIT]
    )
    overdue = [a for a in open_actions if a.due < today]
    upcoming = [a for a in open_actions if a.due >= today]
    audit.record(user, "view_my_actions", "action", None,
                 actions=[a.pk for a in open_actions + done])
    return render(request, "deter/meetings/my_actions.html", {
        "overdue": overdue, "upcoming": upcoming, "done": done, "today": today,
        "coordinates": policy.programmes.instances(user, "decide").exists(),
        "tab": "mine", "done_caption": f"Done in the last {RECENTLY_DONE_DAYS} days",
    })


@login_required
@require_safe
def overdue_actions(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    programmes = policy.programmes.instances(user, "decide")
    if not programmes.exists():
        audit.record(user, "view_overdue_actions", "action", None, outcome=audit.DENIED)
        raise PermissionDenied
    today = timezone.localdate()
    overdue = list(
        _with_links(user, policy.meeting_actions.visible(user).filter(
            programme__in=programmes.values("pk"), status=MeetingAction.Status.OPEN, due__lt=today))
        .order_by("due", "pk")[:OVERDUE_LIMIT]
    )
    audit.record(user, "view_overdue_actions", "action", None, actions=[a.pk for a in overdue])
    return render(request, "deter/meetings/overdue_actions.html", {
        "overdue": overdue, "today": today, "coordinates": True, "tab": "overdue",
        "limit": OVERDUE_LIMIT,
    })


@login_required
@require_POST
def action_status(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    action = get_visible_or_404(request, "action", pk, "set_action_status",
                                related=("programme",))
    status = request.POST.get("status", "")
    try:
        actions.set_action_status(request.user, action, status)
    except ValidationError:
        audit.record(request.user, "form_invalid", "action", action.pk, outcome=audit.DENIED,
                     form="set_action_status", fields=["status"])
        return render(request, "400.html", status=400)
    messages.success(request, f"{STATUS_MESSAGES[status]}: {action.description[:80]}")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = reverse("my_actions")
    return redirect(target)

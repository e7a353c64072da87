"""Template context every page needs: which navigation items the user may follow."""

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from . import policy

# URL names under "Programmes" in the navigation
PROGRAMME_PAGES = ("programmes", "programme", "panel", "entry_plan", "group_plan",
                   "programme_fairness", "programme_scoring", "programme_rights",
                   "notification_new", "challenge_new", "challenge")


def navigation(request: HttpRequest) -> dict:
    # lazy: pages that never render the navigation (sign-in, SVG) pay no query
    return {"can_see_profile": SimpleLazyObject(
        lambda: policy.runs.can(request.user, "view_profile")
    ), "my_overdue_actions": SimpleLazyObject(lambda: _my_overdue_actions(request.user)),
        "has_programmes": SimpleLazyObject(
            lambda: policy.programmes.visible(request.user).exists()
        ), "programme_pages": PROGRAMME_PAGES}


def _my_overdue_actions(user) -> int:
    """Open actions the user owns that are past their due date: one query."""
    from django.utils import timezone

    from .models import MeetingAction

    if not user.is_authenticated:
        return 0
    return policy.meeting_actions.visible(user).filter(
        owner_id=user.pk, status=MeetingAction.Status.OPEN, due__lt=timezone.localdate()).count()

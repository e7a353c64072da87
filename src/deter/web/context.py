"""Template context every page needs: which navigation items the user may follow."""

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from . import policy
from .models import StaffRole

Role = StaffRole.Role

# URL names under "Programmes" in the navigation
PROGRAMME_PAGES = ("programmes", "programme", "panel", "entry_plan", "group_plan",
                   "programme_fairness", "programme_scoring", "agreements", "agreement",
                   "agreement_new", "programme_links", "programme_rights", "notification_new",
                   "challenge_new", "challenge")
# URL names under "Imports"
JOB_PAGES = ("jobs", "job")
JOB_RUNNER = "job_runner"
CASEWORK = "casework"  # holds a role other than evaluator: the cohort, meetings and actions
POLICE_OR_VRU = policy.POLICE_OR_VRU
# URL names under "Administration"
ADMIN_PAGES = ("admin_agencies", "admin_agency_new", "admin_agency", "admin_users",
               "admin_user_new", "admin_user")
# URL names under "Data protection"
DPO_PAGES = ("dpo", "dpo_person_views", "dpo_user_activity", "dpo_flags", "dpo_export",
             "retention")


def navigation(request: HttpRequest) -> dict:
    # lazy: pages that never render the navigation (sign-in, SVG) pay no query
    return {"can_see_profile": SimpleLazyObject(
        lambda: policy.runs.can(request.user, "view_profile")
    ), "my_overdue_actions": SimpleLazyObject(lambda: _my_overdue_actions(request.user)),
        "has_programmes": SimpleLazyObject(
            lambda: policy.programmes.visible(request.user).exists()
        ), "programme_pages": PROGRAMME_PAGES,
        "can_see_audit": SimpleLazyObject(
            lambda: Role.DPO in _oversight_roles(request)
            and policy.programmes.instances(request.user, "see_audit").exists()
        ), "dpo_pages": DPO_PAGES,
        "can_export_evaluation": SimpleLazyObject(
            lambda: Role.EVALUATOR in _oversight_roles(request)
            and policy.evaluations.visible(request.user).exists()
        ), "can_run_jobs": SimpleLazyObject(
            lambda: JOB_RUNNER in _oversight_roles(request)
        ), "job_pages": JOB_PAGES,
        "is_system_administrator": SimpleLazyObject(
            lambda: policy.is_system_administrator(request.user)
        ), "admin_pages": ADMIN_PAGES,
        "works_cases": SimpleLazyObject(lambda: CASEWORK in _oversight_roles(request))}


def _oversight_roles(request: HttpRequest) -> frozenset[str]:
    """The DPO and evaluator roles the user holds, ``JOB_RUNNER`` for an analyst of the
    police or a VRU (``policy.jobs``), and ``CASEWORK`` for any role but evaluator (an
    evaluator alone has no cohort, meetings or actions to follow), read in one query a page."""
    if not hasattr(request, "_deter_oversight_roles"):
        rows = list(policy.roles_of(request.user).values_list("role", "agency__kind")
                    if request.user.is_authenticated else [])
        found = {JOB_RUNNER if role == Role.ANALYST else role for role, kind in rows
                 if role in (Role.DPO, Role.EVALUATOR)
                 or (role == Role.ANALYST and kind in POLICE_OR_VRU)}
        if any(role != Role.EVALUATOR for role, _ in rows):
            found.add(CASEWORK)
        request._deter_oversight_roles = frozenset(found)
    return request._deter_oversight_roles


def _my_overdue_actions(user) -> int:
    """Open actions the user owns that are past their due date: one query."""
    from django.utils import timezone

    from .models import MeetingAction

    if not user.is_authenticated:
        return 0
    return policy.meeting_actions.visible(user).filter(
        owner_id=user.pk, status=MeetingAction.Status.OPEN, due__lt=timezone.localdate()).count()

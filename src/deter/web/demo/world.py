"""The demo world: agencies, staff, one programme and a cohort drawn from an analysis run.

For trying Deter with the synthetic county (``deter demo``); it refuses to run in production.
Every demo user has one documented password, returned in ``DemoLogin``. Calling it again adds
nothing that is already there.
"""

import calendar
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from .. import audit
from ..domain.offences import VIOLENT_CATEGORIES
from ..models import Agency, AnalysisRun, CohortEntry, PersonScore, Programme, StaffRole
from . import casework as demo_casework
from . import cohort as demo_cohort
from . import meetings as demo_meetings

AREA = "Demoshire"
PROGRAMME_NAME = "Knife crime between groups"
ACTIVE_COUNT = 15
ACTIVE_REVIEW_MONTHS = 3
PROPOSED_REVIEW_MONTHS = 1

POLICE = f"{AREA} Police"
VRU = f"{AREA} Violence Reduction Unit"
SOCIAL_CARE = f"{AREA} Children's Social Care"
SCHOOL = "Riverside Academy"
HOUSING = "Harbourside Housing Association"

# name, kind, partner in the programme
AGENCIES = (
    (POLICE, Agency.Kind.POLICE, True),
    (VRU, Agency.Kind.VRU, True),
    (SOCIAL_CARE, Agency.Kind.CHILDRENS_SERVICES, True),
    (SCHOOL, Agency.Kind.SCHOOL, True),
    (HOUSING, Agency.Kind.HOUSING, False),
)


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    agency: str
    role: str
    description: str


DEMO_LOGINS = (
    DemoLogin("analyst", "deter-demo-analyst", POLICE, StaffRole.Role.ANALYST.value,
              "Police analyst: sees every cohort status and the analysis behind it"),
    DemoLogin("coordinator", "deter-demo-coordinator", VRU, StaffRole.Role.COORDINATOR.value,
              "VRU programme coordinator: sees every cohort status, runs the panel"),
    DemoLogin("caseworker", "deter-demo-caseworker", SOCIAL_CARE, StaffRole.Role.CASEWORKER.value,
              "Social worker: sees active and stepped-down people, records interventions"),
    DemoLogin("school", "deter-demo-school", SCHOOL, StaffRole.Role.PARTNER.value,
              "School safeguarding lead (partner): sees active and stepped-down people, "
              "records the school's own interventions"),
    DemoLogin("housing", "deter-demo-housing", HOUSING, StaffRole.Role.PARTNER.value,
              "Housing officer at an agency outside the programme: sees nobody"),
)


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def violent_offences(explanation: object) -> list[dict]:
    """Offender-side explanation items whose offence is violent, most recent first."""
    items = explanation if isinstance(explanation, list) else []
    return sorted(
        (
            i for i in items
            if isinstance(i, dict)
            and i.get("side") == "offender"
            and str(i.get("offence_category", "")).lower() in VIOLENT_CATEGORIES
        ),
        key=lambda i: str(i.get("occurred_at", "")),
        reverse=True,
    )


def create_demo_world(run: AnalysisRun | None, cohort_size: int = 40) -> list[DemoLogin]:
    """Create the demo agencies, users and programme, and a cohort from ``run`` if given.

    The ``cohort_size`` highest-ranked people with at least one violent offence as offender
    are proposed; the top ``ACTIVE_COUNT`` of them are active, with a rationale and a review
    date three months ahead.
    """
    if settings.PRODUCTION:
        raise ImproperlyConfigured("the demo world is refused in production (DETER_ENV=production)")
    with transaction.atomic():
        agencies = {
            name: Agency.objects.get_or_create(name=name, defaults={"kind": kind})[0]
            for name, kind, _ in AGENCIES
        }
        users = {login.username: _demo_user(login, agencies[login.agency]) for login in DEMO_LOGINS}
        programme, _ = Programme.objects.get_or_create(
            name=PROGRAMME_NAME,
            defaults={
                "problem": "Knife crime and serious violence between groups of young people",
                "area": AREA,
                "start": timezone.localdate(),
                "emphasis": Programme.Emphasis.BALANCED,
            },
        )
        programme.agencies.add(*(agencies[name] for name, _, partner in AGENCIES if partner))
        created = _cohort_from_run(run, programme, users, cohort_size) if run else 0
        demo_meetings.add_demo_meetings(programme, users)
        demo_casework.add_demo_casework(programme, users)
        audit.record(
            None, "create_demo_world", "programme", programme.pk,
            run=run.pk if run else None, cohort_entries_created=created,
        )
    return list(DEMO_LOGINS)


def _demo_user(login: DemoLogin, agency: Agency):
    user, _ = get_user_model().objects.get_or_create(username=login.username)
    user.set_password(login.password)
    user.save(update_fields=["password"])
    StaffRole.objects.get_or_create(user=user, agency=agency, role=login.role)
    return user


def _cohort_from_run(run: AnalysisRun, programme: Programme, users: dict, size: int) -> int:
    chosen: list[tuple[PersonScore, list[dict]]] = []
    for score in run.people.order_by("rank", "pk").iterator(chunk_size=500):
        if len(chosen) >= size:
            break
        if violent := violent_offences(score.explanation):
            chosen.append((score, violent))
    today, now = timezone.localdate(), timezone.now()
    created = 0
    for position, (score, violent) in enumerate(chosen, start=1):
        active = position <= ACTIVE_COUNT
        review = add_months(today, ACTIVE_REVIEW_MONTHS if active else PROPOSED_REVIEW_MONTHS)
        entry, was_created = CohortEntry.objects.get_or_create(
            programme=programme,
            person_id=score.person_id,
            defaults={
                "status": CohortEntry.Status.ACTIVE if active else CohortEntry.Status.PROPOSED,
                "rationale": _rationale(run, score, violent, position, active, size, review),
                "review_date": review,
                "lead_professional": users["caseworker"] if active else None,
                "decided_by": users["coordinator"] if active else None,
                "decided_at": now if active else None,
                **demo_cohort.plan_defaults(active),
            },
        )
        if was_created:
            demo_cohort.add_decision_history(entry, run, users["coordinator"])
        created += was_created
    demo_cohort.add_demo_group(run, programme, users, add_months(today, ACTIVE_REVIEW_MONTHS))
    return created


def _rationale(run, score, violent, position, active, size, review) -> str:
    latest = violent[0]
    offence = latest.get("offence_category", "violent offence")
    when = str(latest.get("occurred_at", ""))[:10] or "an unknown date"
    facts = (
        f"Ranked {score.rank} by harm in analysis run {run.pk} (harm score "
        f"{score.harm_score:.1f}), with {len(violent)} violent offence"
        f"{'s' if len(violent) != 1 else ''} as offender, the latest {offence} on {when}."
    )
    if active:
        return (
            f"{facts} Criteria met: at least one violent offence (violence and sexual offences, "
            f"robbery or possession of weapons) and among the {ACTIVE_COUNT} highest-harm people "
            f"meeting it ({position} of {ACTIVE_COUNT}). Agreed at the demo panel; review by "
            f"{review:%d %B %Y}."
        )
    return (
        f"{facts} Proposed by the analysis: at least one violent offence and among the {size} "
        f"highest-harm people meeting it ({position} of {size}). Awaiting a panel decision."
    )

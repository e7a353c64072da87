"""The demo world: agencies, staff, one programme and a cohort drawn from an analysis run.

For trying Deter with the synthetic county (``deter demo``); it refuses to run in production.
Every demo user has one documented password, returned in ``DemoLogin``. Calling it again adds
nothing that is already there. Every record is written through the action functions, so the
demo's audit trail reads as real use would: the coordinator proposes the cohort, the panel's
agenda is generated from the proposals, and the coordinator accepts people at the panel.
"""

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from .. import actions, audit
from ..actions import accounts
from ..actions import programmes as programme_actions
from ..domain.offences import violence_of
from ..models import Agency, AnalysisRun, CohortEntry, PersonScore, Programme, StaffRole
from . import casework as demo_casework
from . import cohort as demo_cohort
from . import meetings as demo_meetings
from . import rights as demo_rights
from . import sharing as demo_sharing

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
UNIVERSITY = f"{AREA} University"

# name, kind; the VRU leads the programme, the police, social care and the school join it
# through the data-sharing agreement (demo/sharing.py), the housing association never does
AGENCIES = (
    (POLICE, Agency.Kind.POLICE),
    (VRU, Agency.Kind.VRU),
    (SOCIAL_CARE, Agency.Kind.CHILDRENS_SERVICES),
    (SCHOOL, Agency.Kind.SCHOOL),
    (HOUSING, Agency.Kind.HOUSING),
    (UNIVERSITY, Agency.Kind.COMMUNITY),
)


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    agency: str
    role: str
    description: str
    full_name: str = ""
    job_title: str = ""


DEMO_LOGINS = (
    DemoLogin("analyst", "deter-demo-analyst", POLICE, StaffRole.Role.ANALYST.value,
              "Police analyst: sees every cohort status and the analysis behind it",
              full_name="Sam Okafor", job_title="Intelligence analyst"),
    DemoLogin("coordinator", "deter-demo-coordinator", VRU, StaffRole.Role.COORDINATOR.value,
              "VRU programme coordinator: sees every cohort status, runs the panel",
              full_name="Helen Marsh", job_title="Programme coordinator"),
    DemoLogin("caseworker", "deter-demo-caseworker", SOCIAL_CARE, StaffRole.Role.CASEWORKER.value,
              "Social worker: sees active and stepped-down people, records interventions",
              full_name="Tom Adeyemi", job_title="Social worker"),
    DemoLogin("school", "deter-demo-school", SCHOOL, StaffRole.Role.PARTNER.value,
              "School safeguarding lead (partner): sees only its two pupils in the cohort, "
              "their plan and support; no dates of birth, police analysis, enforcement or "
              "health detail",
              full_name="Ruth Kaur", job_title="Designated safeguarding lead"),
    DemoLogin("housing", "deter-demo-housing", HOUSING, StaffRole.Role.PARTNER.value,
              "Housing officer at an agency with no agreement: sees nobody",
              full_name="Dev Patel", job_title="Housing officer"),
    DemoLogin("dpo", "deter-demo-dpo", POLICE, StaffRole.Role.DPO.value,
              "Police data protection officer: approves agreements, reads the audit trail, "
              "keeps the individuals' rights records (who was told, challenges) and answers "
              "subject access requests; sees no other case records",
              full_name="Claire Dunn", job_title="Data protection officer"),
    DemoLogin("dpo-care", "deter-demo-dpo-care", SOCIAL_CARE, StaffRole.Role.DPO.value,
              "Children's social care data protection officer: approves agreements",
              full_name="Mark Ellis", job_title="Data protection officer"),
    DemoLogin("evaluator", "deter-demo-evaluator", UNIVERSITY, StaffRole.Role.EVALUATOR.value,
              "University evaluator: takes the pseudonymised, k-anonymous evaluation export "
              "under its own agreement; sees no person, record or case page",
              full_name="Dr Anna Leigh", job_title="Research fellow"),
)



def demo_account_with_published_password(user) -> bool:
    """Whether ``user`` is a demo login still using the password this file publishes."""
    published = {login.username: login.password for login in DEMO_LOGINS}
    password = published.get(user.get_username())
    return password is not None and user.check_password(password)

def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def violent_offences(explanation: object, run: AnalysisRun | None = None) -> list[dict]:
    """Offender-side explanation items whose offence is violent (by the run's definition),
    most recent first."""
    items = explanation if isinstance(explanation, list) else []
    violence = violence_of(run)
    return sorted(
        (
            i for i in items
            if isinstance(i, dict)
            and i.get("side") == "offender"
            and violence.counts(i.get("offence_code"), i.get("offence_category"))
        ),
        key=lambda i: str(i.get("occurred_at", "")),
        reverse=True,
    )


def create_demo_world(run: AnalysisRun | None, cohort_size: int = 40,
                      emerging_group: Sequence[str] = (),
                      drug_market: bool = False) -> list[DemoLogin]:
    """Create the demo agencies, users and programme, and a cohort from ``run`` if given.

    The ``cohort_size`` highest-ranked people with at least one violent offence as offender
    are proposed; the top ``ACTIVE_COUNT`` of them are active, with a rationale and a review
    date three months ahead. With ``emerging_group`` (the planted children's person ids,
    ``deter.analysis.synth.emerging``) and a run, a second programme carries that group
    through its year (``demo/emerging_group.py``). With ``drug_market`` and a run, a third
    programme is a drug market run as Project ADDER (``demo/drug_market.py``).
    """
    from . import drug_market as demo_drug_market
    from . import emerging_group as demo_emerging

    if settings.PRODUCTION:
        raise ImproperlyConfigured("the demo world is refused in production (DETER_ENV=production)")
    with transaction.atomic():
        agencies = {
            name: accounts.provision_agency(None, name=name, kind=kind)
            for name, kind in AGENCIES
        }
        users = {
            login.username: accounts.provision_user(
                None, username=login.username, password=login.password,
                agency=agencies[login.agency], role=login.role, full_name=login.full_name,
                job_title=login.job_title)
            for login in DEMO_LOGINS
        }
        programme = _programme(users["coordinator"], [agencies[VRU]])
        demo_sharing.add_demo_agreement(programme, agencies, users, POLICE, SOCIAL_CARE,
                                        SCHOOL)
        created = _cohort_from_run(run, programme, users, cohort_size) if run else 0
        demo_meetings.add_demo_meetings(programme, users)
        demo_casework.add_demo_casework(programme, users)
        demo_sharing.add_demo_links(programme, users, agencies[SCHOOL],
                                    add_months(timezone.localdate(), ACTIVE_REVIEW_MONTHS))
        demo_sharing.add_demo_evaluation_agreement(programme, agencies, users, POLICE,
                                                   SOCIAL_CARE, UNIVERSITY)
        demo_rights.add_demo_rights(programme, users)
        second = demo_emerging.add_emerging_group_programme(
            run, agencies, users, emerging_group, POLICE, VRU) if run and emerging_group else []
        third = demo_drug_market.add_drug_market_programme(
            run, agencies, users, POLICE, VRU) if run and drug_market else []
        audit.record(
            None, "create_demo_world", "programme", programme.pk,
            run=run.pk if run else None, cohort_entries_created=created,
        )
    return [*DEMO_LOGINS, *second, *third]


def _programme(coordinator, partners: list[Agency]) -> Programme:
    programme = Programme.objects.filter(name=PROGRAMME_NAME).first()
    if programme is not None:
        return programme
    return programme_actions.create_programme(
        coordinator, name=PROGRAMME_NAME,
        problem="Knife crime and serious violence between groups of young people",
        area=AREA, start=timezone.localdate(), agencies=partners,
        emphasis=Programme.Emphasis.BALANCED,
    )


def _cohort_from_run(run: AnalysisRun, programme: Programme, users: dict, size: int) -> int:
    chosen: list[tuple[PersonScore, list[dict]]] = []
    for score in run.people.order_by("rank", "pk").iterator(chunk_size=500):
        if len(chosen) >= size:
            break
        if violent := violent_offences(score.explanation, run):
            chosen.append((score, violent))
    today = timezone.localdate()
    coordinator = users["coordinator"]
    already = set(CohortEntry.objects.filter(programme=programme).values_list("person_id",
                                                                              flat=True))
    to_accept, created = [], 0
    for position, (score, violent) in enumerate(chosen, start=1):
        if score.person_id in already:
            continue
        created += 1
        active = position <= ACTIVE_COUNT
        review = add_months(today, ACTIVE_REVIEW_MONTHS if active else PROPOSED_REVIEW_MONTHS)
        entry = actions.propose(
            coordinator, programme, score.person, run=run, review_date=review,
            rationale=_rationale(run, score, violent, position, False, size, review),
            reason=f"Proposed by analysis run {run.pk}", **demo_meetings.before_the_panel(),
        )
        if active:
            to_accept.append((entry, _rationale(run, score, violent, position, True, size,
                                                review)))
    panel = demo_meetings.add_demo_panel(programme, users)
    review = add_months(today, ACTIVE_REVIEW_MONTHS)
    for entry, rationale in to_accept:
        demo_cohort.accept(entry, rationale, review, users, panel)
    demo_cohort.add_demo_group(run, programme, users, review, panel)
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

"""The demo cohort's history and plans: what a panel would have recorded for the demo world.

Each demo entry gets the decisions that put it where it is (proposed by the analysis run, then
accepted by the coordinator at the demo panel); each active person a support offer and a
consequence; and the highest-harm found group with an active member becomes an active cohort
group with its agreed group-wide response. ``demo_world`` calls these; they add nothing twice.
"""

from datetime import date

from django.utils import timezone

from ..models import AnalysisRun, CohortDecision, CohortEntry, CohortGroup, Programme

SUPPORT_OFFER = (
    "Youth worker mentoring with someone with lived experience, weekly; a place on the "
    "college construction course; family support for parents or carers."
)
CONSEQUENCE = (
    "Any further violence brings swift action by the police and the CPS: arrest, a charging "
    "decision within 48 hours and a request for a knife crime prevention order."
)
GROUP_RESPONSE = (
    "Violence by any member brings attention on the whole group: patrols and stop-search at "
    "the group's hotspots, enforcement of every member's orders, and a custom notification "
    "visit to each member within a week."
)


def plan_defaults(active: bool) -> dict[str, str]:
    """The support offer and the consequence agreed for an active demo entry."""
    if not active:
        return {"support_offer": "", "enforcement_consequence": ""}
    return {"support_offer": SUPPORT_OFFER, "enforcement_consequence": CONSEQUENCE}


def add_decision_history(entry: CohortEntry, run: AnalysisRun, coordinator) -> None:
    """The proposal by the run and, for an active entry, the coordinator's acceptance."""
    CohortDecision.objects.create(
        entry=entry, from_status="", to_status=CohortEntry.Status.PROPOSED,
        reason=f"Proposed by analysis run {run.pk}", decided_by=coordinator,
    )
    if entry.status == CohortEntry.Status.ACTIVE:
        CohortDecision.objects.create(
            entry=entry, from_status=CohortEntry.Status.PROPOSED,
            to_status=CohortEntry.Status.ACTIVE, reason=entry.rationale,
            review_date=entry.review_date, lead_professional=entry.lead_professional,
            decided_by=coordinator,
        )


def add_demo_group(run: AnalysisRun, programme: Programme, users: dict,
                   review: date) -> CohortGroup | None:
    """The highest-harm found group with an active member, as an active cohort group."""
    active_people = CohortEntry.objects.filter(
        programme=programme, status=CohortEntry.Status.ACTIVE).values("person_id")
    labels = (
        run.people.filter(person_id__in=active_people).exclude(group_label="")
        .values("group_label")
    )
    score = run.groups.filter(group_label__in=labels).order_by("rank").first()
    if score is None:
        return None
    group, created = CohortGroup.objects.get_or_create(
        programme=programme, label=score.group_label,
        defaults={
            "status": CohortGroup.Status.ACTIVE, "proposed_by_run": run,
            "rationale": (
                f"Found by analysis run {run.pk}: {score.size} members with a combined harm "
                f"score of {score.harm_score:,.1f} (rank {score.rank}). Agreed at the demo "
                "panel as a group-wide focus."
            ),
            "review_date": review, "lead_professional": users["caseworker"],
            "group_response": GROUP_RESPONSE,
            "decided_by": users["coordinator"], "decided_at": timezone.now(),
        },
    )
    if created:
        CohortDecision.objects.create(
            group=group, from_status="", to_status=CohortGroup.Status.ACTIVE,
            reason=group.rationale, review_date=review, lead_professional=users["caseworker"],
            decided_by=users["coordinator"],
        )
    members = run.people.filter(group_label=score.group_label).values("person_id")
    CohortEntry.objects.filter(programme=programme, person_id__in=members,
                               group__isnull=True).update(group=group)
    return group

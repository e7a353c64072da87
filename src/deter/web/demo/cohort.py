"""The demo cohort's history and plans: what a panel would have recorded for the demo world.

Each demo entry gets the decisions that put it where it is (proposed by the analysis run, then
accepted by the coordinator at the demo panel); each active person a support offer and a
consequence; and the highest-harm found group with an active member becomes an active cohort
group with its agreed group-wide response. ``demo_world`` calls these, through the actions;
they add nothing twice.
"""

from datetime import date

from .. import actions
from ..models import AnalysisRun, CohortEntry, CohortGroup, Meeting, Programme
from . import meetings as demo_meetings

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


def accept(entry: CohortEntry, rationale: str, review: date, users: dict,
           panel: Meeting) -> None:
    """The coordinator accepts a proposed person at the demo panel and agrees their plan."""
    coordinator, caseworker = users["coordinator"], users["caseworker"]
    actions.decide(coordinator, entry, CohortEntry.Status.ACTIVE, reason=rationale,
                   review_date=review, lead_professional=caseworker, meeting=panel)
    actions.update_plan(coordinator, entry, lead_professional=caseworker, review_date=review,
                        **plan_defaults(active=True))


def add_demo_group(run: AnalysisRun, programme: Programme, users: dict, review: date,
                   panel: Meeting) -> CohortGroup | None:
    """The highest-harm found group with an active member, proposed with its members and
    accepted at the demo panel as a group-wide focus."""
    active_people = CohortEntry.objects.filter(
        programme=programme, status=CohortEntry.Status.ACTIVE).values("person_id")
    labels = (
        run.people.filter(person_id__in=active_people).exclude(group_label="")
        .values("group_label")
    )
    score = run.groups.filter(group_label__in=labels).order_by("rank").first()
    if score is None or CohortGroup.objects.filter(programme=programme,
                                                   label=score.group_label).exists():
        return None
    coordinator, caseworker = users["coordinator"], users["caseworker"]
    members = CohortEntry.objects.filter(
        programme=programme, group__isnull=True,
        person_id__in=run.people.filter(group_label=score.group_label).values("person_id"))
    rationale = (
        f"Found by analysis run {run.pk}: {score.size} members with a combined harm "
        f"score of {score.harm_score:,.1f} (rank {score.rank}). Agreed at the demo "
        "panel as a group-wide focus."
    )
    group = actions.propose_group(coordinator, programme, label=score.group_label, run=run,
                                  rationale=rationale, members=members,
                                  **demo_meetings.before_the_panel())
    actions.decide_group(coordinator, group, CohortGroup.Status.ACTIVE, reason=rationale,
                         review_date=review, lead_professional=caseworker, meeting=panel)
    actions.update_group_plan(coordinator, group, group_response=GROUP_RESPONSE,
                              lead_professional=caseworker, review_date=review)
    return group

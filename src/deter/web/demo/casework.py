"""Demo casework: a letter template, support referrals at each stage of their life-cycle, an
Acceptable Behaviour Agreement with a breach, and violence by a member of the demo group
flagged for the group-wide response. ``demo_world`` calls this; it adds nothing twice.

Everything goes through the action functions, as the coordinator, so the demo's audit trail
reads as real use would.
"""

from datetime import timedelta

from django.utils import timezone

from ..actions import interventions as actions
from ..actions.letters import save_letter_template
from ..ingest import events
from ..models import (
    Agency,
    CohortEntry,
    CohortGroup,
    Event,
    Intervention,
    Involvement,
    LetterTemplate,
    Programme,
)

LETTER_NAME = "Custom notification: help and consequences"
LETTER_BODY = """Dear $recipient,

The partners of $programme in $area are writing to you because we are worried about the \
violence around you, and because we want you safe, alive and free.

Help is here now: $support_offer. Your lead professional, $lead_professional \
($lead_professional_job_title), will get in touch this week; you can reach them on \
$lead_professional_contact.

We also need you to know: $consequence.

The choice is yours. Call us, and we will help.

Yours sincerely,

$sender
$sender_job_title"""

# (title, category, [(status, days ago), ...]) for the first active people, in rank order
REFERRALS = (
    ("Mentoring with a former member", "mentoring", [("referred", 40), ("accepted", 35),
                                                     ("engaged", 30), ("completed", 2)]),
    ("Boxing club sessions", "sport_diversion", [("referred", 30), ("accepted", 26),
                                                 ("engaged", 21)]),
    ("College construction course", "education", [("referred", 21), ("accepted", 12),
                                                  ("engaged", 7)]),
    ("Substance-misuse assessment", "substance_misuse", [("referred", 14), ("accepted", 9)]),
    ("Family support worker", "family_support", [("referred", 6)]),
    ("Employment coaching", "employment", [("referred", 35), ("declined", 20)]),
)
DEMO_EVENT = "DEMO-GROUP-VIOLENCE-1"


def add_demo_casework(programme: Programme, users: dict) -> None:
    coordinator = users["coordinator"]
    if not LetterTemplate.objects.filter(programme=programme, name=LETTER_NAME).exists():
        save_letter_template(coordinator, programme, name=LETTER_NAME,
                             kind=LetterTemplate.Kind.CUSTOM_NOTIFICATION, body=LETTER_BODY)
    active = list(
        CohortEntry.objects.filter(programme=programme, status=CohortEntry.Status.ACTIVE)
        .select_related("person").order_by("review_date", "person__person_id")
    )
    support = Agency.objects.filter(programmes=programme, kind=Agency.Kind.CHILDRENS_SERVICES
                                    ).first() or programme.agencies.order_by("name").first()
    police = Agency.objects.filter(programmes=programme, kind=Agency.Kind.POLICE).first()
    today = timezone.localdate()
    for entry, (title, category, steps) in zip(active, REFERRALS, strict=False):
        if Intervention.objects.filter(programme=programme, person=entry.person,
                                       title=title).exists():
            continue
        (first_status, first_ago), *rest = steps
        intervention = actions.add_intervention(
            coordinator, entry.person, programme, Intervention.Kind.SUPPORT, title, support,
            status=first_status, start=today - timedelta(days=first_ago), category=category,
        )
        for status, ago in rest:
            actions.update_intervention(coordinator, intervention, status,
                                        today - timedelta(days=ago))
    if police is not None and len(active) > len(REFERRALS):
        _add_demo_order(programme, coordinator, active[len(REFERRALS)], police)
    _flag_demo_group_violence(programme)


def _add_demo_order(programme, coordinator, entry: CohortEntry, police: Agency) -> None:
    title = "Acceptable Behaviour Agreement"
    if Intervention.objects.filter(programme=programme, person=entry.person,
                                   title=title).exists():
        return
    today = timezone.localdate()
    aba = actions.add_intervention(
        coordinator, entry.person, programme, Intervention.Kind.ENFORCEMENT, title, police,
        status=Intervention.Status.ACTIVE, start=today - timedelta(days=45), category="aba",
        conditions="Not to enter the Eastgate estate after 9pm; no contact with named rivals; "
                   "attend every appointment with the youth offending team",
        expires=today + timedelta(days=20),
    )
    actions.record_breach(coordinator, aba, today - timedelta(days=9),
                          "Seen on the Eastgate estate at 11pm with two named rivals")


def _flag_demo_group_violence(programme: Programme) -> None:
    """Record one new violent event involving a member of the active demo group, so the group
    page and the delivery page show a flag awaiting the group-wide response."""
    group = CohortGroup.objects.filter(programme=programme, status=CohortGroup.Status.ACTIVE,
                                       decided_at__isnull=False).order_by("pk").first()
    member = group and CohortEntry.objects.filter(
        group=group, status=CohortEntry.Status.ACTIVE).order_by("person__person_id").first()
    if member and not Event.objects.filter(event_id=DEMO_EVENT).exists():
        events.record_event(
            None, event_id=DEMO_EVENT,
            occurred_at=max(timezone.now(), group.decided_at + timedelta(microseconds=1)),
            offence_code="8N", offence_category="violence and sexual offences", source="demo",
            involvements=[(member.person, Involvement.Role.SUSPECT)],
        )

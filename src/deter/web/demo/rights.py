"""Demo individuals' rights: the standard notification letter as a template, notifications
for some of the active people (a child's parent told at a home visit, an adult by letter...),
one exemption, and one open challenge awaiting the DPO (the coordinator accepted the person,
so cannot decide it). ``demo_world`` calls this; it adds nothing twice and changes nobody's
view: no challenge is decided.
"""

from datetime import timedelta

from django.utils import timezone

from ..actions import rights as actions
from ..actions.letters import save_letter_template
from ..domain import people, rights
from ..models import Challenge, CohortEntry, LetterTemplate, Notification, Programme

TOLD = (("home_visit", "caseworker"), ("letter", "coordinator"), ("call_in", "coordinator"),
        ("in_person", "school"), ("phone", "caseworker"))
TOLD_COUNT = len(TOLD)
EXEMPTION = ("Telling him now would be likely to prejudice an active investigation into the "
             "violence around him (Data Protection Act 2018, Schedule 2, paragraph 2). "
             "Review when the investigation closes.")
GROUNDS = ("His mother says he was wrongly named in the incident in March: he was at his "
           "grandmother's, and he has never been part of any group.")


def add_demo_rights(programme: Programme, users: dict) -> None:
    coordinator = users["coordinator"]
    if not LetterTemplate.objects.filter(programme=programme,
                                         name=rights.NOTIFICATION_NAME).exists():
        save_letter_template(coordinator, programme, name=rights.NOTIFICATION_NAME,
                             kind=LetterTemplate.Kind.NOTIFICATION,
                             body=rights.NOTIFICATION_BODY)
    if Notification.objects.filter(entry__programme=programme).exists():
        return
    active = list(CohortEntry.objects.filter(programme=programme,
                                             status=CohortEntry.Status.ACTIVE)
                  .select_related("person").order_by("person__person_id"))
    today = timezone.localdate()
    for days_ago, (entry, (method, teller)) in enumerate(zip(active, TOLD, strict=False),
                                                         start=2):
        child = people.is_child(entry.person.age_on(today))
        actions.record_notification(
            coordinator, entry, kind=Notification.Kind.TOLD, method=method,
            told_on=today - timedelta(days=days_ago), told_by=users[teller],
            recipient=(Notification.Recipient.PARENT_OR_CARER if child
                       else Notification.Recipient.PERSON))
    if len(active) > TOLD_COUNT:
        actions.record_notification(
            coordinator, active[TOLD_COUNT], kind=Notification.Kind.EXEMPT,
            exemption_reason=EXEMPTION, review_date=today + timedelta(days=60))
    if active and not Challenge.objects.filter(entry__programme=programme).exists():
        actions.log_challenge(coordinator, active[0], received_on=today - timedelta(days=5),
                              grounds=GROUNDS, on_behalf=True, made_by="His mother")

"""The demo's casework: a letter template, referrals at each stage, an ABA with a breach, and a
flagged group violence event; created once, however often the demo runs."""

from django.contrib.auth.models import User

from deter.web.actions.interventions import time_to_engagement
from deter.web.demo.casework import LETTER_NAME
from deter.web.demo.world import create_demo_world
from deter.web.models import (
    GroupViolenceFlag,
    Intervention,
    LetterTemplate,
    OrderBreach,
    Programme,
)
from deter.web.queries import delivery

from .factories import make_event, make_person, make_run


def build_run():
    people = []
    for i in range(20):
        person = make_person(f"C-{i:02}")
        make_event(f"E-C-{i:02}", person, category="robbery", days_ago=10 + i)
        people.append(person)
    return make_run(people, group_of={p.person_id: "G1" for p in people[:6]})


def test_the_demo_has_casework_to_show(db):
    run = build_run()
    create_demo_world(run, cohort_size=18)
    programme = Programme.objects.get()
    assert LetterTemplate.objects.filter(programme=programme, name=LETTER_NAME).exists()
    support = Intervention.objects.filter(programme=programme, kind="support")
    assert set(support.values_list("status", flat=True)) == {
        "completed", "engaged", "accepted", "referred", "declined"}
    engaged = support.get(title="College construction course")
    assert time_to_engagement(engaged) == 14
    aba = Intervention.objects.get(category="aba")
    assert aba.status == "active" and OrderBreach.objects.get().intervention == aba
    flag = GroupViolenceFlag.objects.get()
    assert flag.status == "open" and flag.group.programme == programme
    coordinator = User.objects.get(username="coordinator")
    summary = delivery.summarise(coordinator, programme)
    assert summary.orders_expiring == [aba] and summary.engagement_overall.engaged == 3

    counts = (Intervention.objects.count(), OrderBreach.objects.count(),
              GroupViolenceFlag.objects.count(), LetterTemplate.objects.count())
    create_demo_world(run, cohort_size=18)
    assert (Intervention.objects.count(), OrderBreach.objects.count(),
            GroupViolenceFlag.objects.count(), LetterTemplate.objects.count()) == counts

"""The demo's drug-market programme (issue 16): beside the group-violence programme, its
people referred and started through the actions, so the ADDER dashboard has figures; created
once however often the demo runs."""

from django.utils import timezone

from deter.web.demo import drug_market as demo
from deter.web.demo.world import create_demo_world
from deter.web.models import (
    AuditEvent,
    HarmReductionRecord,
    Intervention,
    Programme,
    TreatmentReferral,
)
from deter.web.queries import adder

from .factories import make_event, make_person, make_run


def build_run():
    people = []
    for i in range(20):
        person = make_person(f"D-{i:02}", age=25 + i)
        make_event(f"E-D-{i:02}", person, category="robbery", days_ago=10 + i)
        if i % 2:
            make_event(f"E-DRUGS-{i:02}", person, category="drugs", days_ago=40 + i)
        people.append(person)
    return make_run(people)


def test_the_demo_has_a_drug_market_with_figures_beside_the_group_violence_programme(db):
    logins = create_demo_world(build_run(), cohort_size=6, drug_market=True)
    assert "drugworker" in {login.username for login in logins}
    programme = Programme.objects.get(name=demo.PROGRAMME_NAME)
    assert programme.delivery_model == "drug_market"
    assert Programme.objects.filter(delivery_model="").count() == 1  # the knife-crime one
    referrals = TreatmentReferral.objects.filter(programme=programme)
    assert referrals.count() == demo.SIZE
    # every one of them through the action, audited as the drug worker's
    assert AuditEvent.objects.filter(action="refer_to_treatment", outcome="allowed",
                                     actor_name="drugworker").count() == demo.SIZE
    assert all(r.person.cohort_entries.get(programme=programme).status == "active"
               for r in referrals)
    # the drug market's people are the ones with drug offences
    assert {r.person.person_id for r in referrals} <= {f"D-{i:02}" for i in range(1, 20, 2)}
    assert referrals.filter(started_on__isnull=False).count() == 6
    assert HarmReductionRecord.objects.filter(programme=programme).count() == 6
    assert Intervention.objects.filter(programme=programme, category="arrest").count() == 1
    # the months the demo covers have figures on the dashboard
    month = timezone.localdate().replace(day=1)
    totals = {"referrals": 0, "starts": 0, "naloxone": 0}
    for _ in range(6):
        built = adder.build(programme, month)
        for key in totals:
            totals[key] += built.measures[key].value
        month = built.previous
    assert totals == {"referrals": demo.SIZE, "starts": 6, "naloxone": 5}


def test_the_drug_market_is_created_once(db):
    run = build_run()
    create_demo_world(run, cohort_size=6, drug_market=True)
    counts = (TreatmentReferral.objects.count(), HarmReductionRecord.objects.count())
    assert create_demo_world(run, cohort_size=6, drug_market=True)
    assert (TreatmentReferral.objects.count(), HarmReductionRecord.objects.count()) == counts
    assert Programme.objects.filter(name=demo.PROGRAMME_NAME).count() == 1

"""The ADDER dashboard (issue 16): each figure equals an independent count from the database,
and the page is for people in a drug-market programme only."""

import statistics
from datetime import datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from deter.web.actions import drug_market as actions
from deter.web.models import (
    AuditEvent,
    Event,
    HarmReductionRecord,
    Intervention,
    Involvement,
    TreatmentReferral,
)
from deter.web.queries import adder as dashboard

from .drug_market_factories import make_adder
from .factories import link, make_entry, make_person

DAY = timedelta(days=1)
TWELVE_WEEKS = timedelta(weeks=12)


def month_ago(months: int):
    first = timezone.localdate().replace(day=1)
    for _ in range(months):
        first = (first - DAY).replace(day=1)
    return first


M = month_ago(4)  # the month the dashboard is read for: well in the past


@pytest.fixture
def market(world):
    return make_adder(world)


def person_in(market, pid: str):
    person = make_person(pid, age=30)
    entry = make_entry(market.programme, person)
    link(market.programme, market.treatment, person, relationship="client")
    return entry


def episode(market, pid, source, referred, started=None, exit_=None, modality="psychosocial"):
    worker = market.drug_worker
    referral = actions.refer(worker, person_in(market, pid), source=source, referred_on=referred)
    if started:
        referral = actions.record_start(worker, referral, started, modality)
    if exit_:
        referral = actions.record_exit(worker, referral, *exit_)
    return referral


def event(eid, person, code, category, on, role="suspect"):
    made = Event.objects.create(
        event_id=eid, offence_code=code, offence_category=category,
        occurred_at=timezone.make_aware(datetime.combine(on, time(14))))
    Involvement.objects.create(event=made, person=person, role=role)


@pytest.fixture
def month_of_data(world, market):
    """One month's referrals, starts, retention points, harm reduction, arrests and offences,
    with records just outside the month that must not count."""
    episode(market, "P-A", "custody", M + 1 * DAY, started=M + 8 * DAY)  # waits 7 days
    episode(market, "P-B", "self", M + 2 * DAY, started=M + 19 * DAY)  # waits 17
    episode(market, "P-C", "court", M + 4 * DAY)  # not started
    episode(market, "P-D", "prison", M - 3 * DAY, started=M + 10 * DAY)  # waits 13
    episode(market, "P-E", "police_diversion", M - 5 * DAY)  # referred last month
    # the 12-week point in the month: one still in treatment, one who dropped out in week 3,
    # one who completed in week 8; and one whose point falls the month after
    start = M - TWELVE_WEEKS
    episode(market, "P-R1", "gp", start - 9 * DAY, started=start + 2 * DAY)
    episode(market, "P-R2", "gp", start - 9 * DAY, started=start + 3 * DAY,
            exit_=(start + 20 * DAY, "dropped_out"))
    episode(market, "P-R3", "gp", start - 9 * DAY, started=start + 4 * DAY,
            exit_=(start + 60 * DAY, "completed_prescribing"))
    episode(market, "P-R4", "gp", start - 9 * DAY, started=start - 2 * DAY)
    harm = market.entry
    for kind, on, recipient in (("naloxone", M + 3 * DAY, "person"),
                                ("naloxone", M + 9 * DAY, "peer"),
                                ("naloxone", M - 1 * DAY, "family"),
                                ("near_fatal_overdose", M + 12 * DAY, "")):
        actions.record_harm_reduction(market.drug_worker, harm, kind=kind, on=on,
                                      recipient=recipient)
    for category, on in (("arrest", M + 2 * DAY), ("arrest", M + 15 * DAY),
                         ("charge", M + 16 * DAY), ("arrest", M - 2 * DAY)):
        Intervention.objects.create(programme=market.programme, person=market.person,
                                    kind="enforcement", category=category, title=category,
                                    agency=world.police, status="completed", start=on,
                                    created_by=world.analyst)
    outsider = make_person("P-NOT-IN-COHORT", age=40)
    event("E-T1", market.person, "92A", "drugs", M + 5 * DAY)
    event("E-T2", market.person, "92A", "drugs", M + 6 * DAY, role="victim")  # not offending
    event("E-T3", outsider, "92A", "drugs", M + 6 * DAY)  # not in the cohort
    event("E-P1", market.person, "92D", "drugs", M + 7 * DAY)  # possession, not trafficking
    event("E-W1", market.person, "10D", "possession of weapons", M + 8 * DAY)
    event("E-W2", market.person, "", "possession of weapons", M + 9 * DAY)  # police.uk
    event("E-W3", market.person, "10D", "possession of weapons", M - 1 * DAY)
    return market


def in_month(day) -> bool:
    return day is not None and M <= day < dashboard.next_month(M)


def independent_counts(programme) -> dict:
    """The figures counted again, in Python over every row, not by the dashboard's queries."""
    referrals = list(TreatmentReferral.objects.filter(programme=programme))
    cjs = {"custody", "court", "prison", "police_diversion"}
    starts = [r for r in referrals if in_month(r.started_on)]
    due = [r for r in referrals if r.started_on and in_month(r.started_on + TWELVE_WEEKS)]
    retained = [r for r in due
                if r.exited_on is None or r.exited_on >= r.started_on + TWELVE_WEEKS
                or r.exit_reason.startswith("completed")]
    harm = list(HarmReductionRecord.objects.filter(programme=programme))
    enforcement = [i for i in Intervention.objects.filter(programme=programme)
                   if i.kind == "enforcement" and in_month(i.start)]
    cohort = set(programme.cohort.values_list("person_id", flat=True))
    offending = [(inv.event.offence_code, inv.event.offence_category, inv.event_id)
                 for inv in Involvement.objects.select_related("event")
                 if inv.person_id in cohort and inv.role in ("suspect", "offender")
                 and in_month(timezone.localtime(inv.event.occurred_at).date())]
    return {
        "arrests": sum(1 for i in enforcement if i.category == "arrest"),
        "charges": sum(1 for i in enforcement if i.category == "charge"),
        "trafficking": len({e for code, _, e in offending if code == "92A"}),
        "weapons": len({e for code, category, e in offending
                        if code.startswith("10") or code in ("81", "90")
                        or (not code and category == "possession of weapons")}),
        "cjs_referrals": sum(1 for r in referrals if in_month(r.referred_on) and r.source in cjs),
        "referrals": sum(1 for r in referrals if in_month(r.referred_on)),
        "starts": len(starts),
        "waiting": statistics.median((r.started_on - r.referred_on).days for r in starts),
        "retention": len(retained),
        "naloxone": sum(1 for h in harm if h.kind == "naloxone" and in_month(h.on)),
        "overdoses": sum(1 for h in harm if h.kind == "near_fatal_overdose" and in_month(h.on)),
        "deaths": sum(1 for h in harm if h.kind == "drug_related_death" and in_month(h.on)),
    }


def test_every_figure_equals_an_independent_count(month_of_data):
    built = dashboard.build(month_of_data.programme, M)
    figures = {key: m.value for key, m in built.measures.items()}
    assert figures == independent_counts(month_of_data.programme)
    # and the counts are the ones planted, so neither side is trivially zero
    assert figures == {"arrests": 2, "charges": 1, "trafficking": 1, "weapons": 2,
                       "cjs_referrals": 2, "referrals": 3, "starts": 3, "waiting": 13,
                       "retention": 2, "naloxone": 2, "overdoses": 1, "deaths": 0}
    assert built.measures["retention"].detail == "2 of 3 (67%)"
    assert built.measures["naloxone"].detail == \
        "Given to the person: 1, a family member: 0, a peer: 1"


def test_every_measure_has_a_definition_on_the_page(client, world, month_of_data):
    client.force_login(world.coordinator)
    response = client.get(reverse("programme_adder", args=[month_of_data.programme.pk]),
                          {"month": f"{M:%Y-%m}"})
    assert response.status_code == 200
    body = response.content.decode()
    built = dashboard.build(month_of_data.programme, M)
    for measure in built.measures.values():
        assert escape(measure.label) in body and escape(measure.definition) in body
    assert 'id="measure-retention"' in body and 'data-value="2"' in body
    row = AuditEvent.objects.filter(action="view_adder_dashboard").get()
    assert row.object_id == str(month_of_data.programme.pk)
    assert "P-A" not in body and "P-USER" not in body  # counts, never a person


def test_anyone_in_the_programme_sees_it_and_nobody_else(client, world, market):
    url = reverse("programme_adder", args=[market.programme.pk])
    for user in (world.coordinator, world.analyst, market.drug_worker):
        client.force_login(user)
        assert client.get(url).status_code == 200
    for user in (world.stranger, world.partner, world.caseworker):
        client.force_login(user)
        assert client.get(url).status_code == 404
    assert AuditEvent.objects.filter(action="view_adder_dashboard",
                                     outcome="denied").count() == 3


def test_a_programme_that_is_not_a_drug_market_has_no_dashboard(client, world):
    client.force_login(world.coordinator)
    assert client.get(reverse("programme_adder", args=[world.programme.pk])).status_code == 404


def test_a_bad_month_is_named_and_this_month_shown(client, world, market):
    client.force_login(world.coordinator)
    response = client.get(reverse("programme_adder", args=[market.programme.pk]),
                          {"month": "November"})
    assert response.status_code == 400
    assert "month: Enter the month as a year and month" in response.content.decode()


def test_the_query_count_does_not_grow_with_the_data(world, market, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        dashboard.build(market.programme, M)
    for n in range(5):
        episode(market, f"P-Q{n}", "custody", M + DAY, started=M + 3 * DAY)
    with django_assert_max_num_queries(12):
        dashboard.build(market.programme, M)

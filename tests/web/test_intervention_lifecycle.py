"""Interventions with life-cycles: adding (category, group, orders), moving them along, the time
from referral to engagement, breaches of orders, and the intervention page."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from deter.web.actions import interventions as actions
from deter.web.models import AuditEvent, Intervention, InterventionUpdate, OrderBreach

from .casework_factories import (
    active_group,
    days_ago,
    move,
    order,
    referral,
    the_audit_row,
    updates_of,
)
from .factories import make_event

Kind = Intervention.Kind
Status = Intervention.Status


# --- adding ----------------------------------------------------------------------------------


def test_a_referral_starts_its_history_on_the_referral_day(world):
    intervention = referral(world, referred_days_ago=12)
    assert intervention.status == Status.REFERRED
    assert intervention.category == "mentoring"
    assert updates_of(intervention) == [("referred", days_ago(12))]
    row = AuditEvent.objects.get(action="add_intervention")
    assert row.detail["category"] == "mentoring" and row.detail["status"] == "referred"


def test_an_intervention_without_a_start_date_starts_its_history_today(world):
    intervention = actions.add_intervention(
        world.caseworker, world.active, world.programme, Kind.SUPPORT, "Housing referral",
        world.social_care)
    assert updates_of(intervention) == [("planned", timezone.localdate())]


def test_a_future_start_puts_the_first_update_today(world):
    intervention = actions.add_intervention(
        world.caseworker, world.active, world.programme, Kind.SUPPORT, "College course",
        world.social_care, start=timezone.localdate() + timedelta(days=30))
    assert updates_of(intervention) == [("planned", timezone.localdate())]


@pytest.mark.parametrize(("kind", "category"), [
    ("support", "aba"), ("enforcement", "mentoring"), ("communication", "housing"),
    ("community", "letter"),
])
def test_it_refuses_a_category_of_another_kind(world, kind, category):
    with pytest.raises(ValidationError) as error:
        actions.add_intervention(world.coordinator, world.active, world.programme, kind,
                                 "Something", world.police, category=category)
    assert "is not a kind of" in str(error.value.message_dict["category"])
    assert not Intervention.objects.exists() and not InterventionUpdate.objects.exists()


@pytest.mark.parametrize(("kind", "status"), [
    ("support", "engaged"), ("support", "active"), ("communication", "referred"),
    ("enforcement", "referred"),
])
def test_it_refuses_a_status_a_new_intervention_cannot_start_with(world, kind, status):
    with pytest.raises(ValidationError) as error:
        actions.add_intervention(world.coordinator, world.active, world.programme, kind,
                                 "Something", world.police, status=status)
    assert "cannot start as" in str(error.value.message_dict["status"])
    assert not Intervention.objects.exists()


def test_an_order_cannot_be_recorded_as_already_completed(world):
    with pytest.raises(ValidationError):
        actions.add_intervention(world.coordinator, world.active, world.programme,
                                 Kind.ENFORCEMENT, "ABA", world.police, status="completed",
                                 category="aba")


def test_conditions_belong_only_to_orders(world):
    with pytest.raises(ValidationError) as error:
        actions.add_intervention(world.coordinator, world.active, world.programme,
                                 Kind.SUPPORT, "Mentoring", world.social_care,
                                 conditions="Curfew", category="mentoring")
    assert "only for an ABA or a CPN" in str(error.value.message_dict["conditions"])


def test_an_order_keeps_its_conditions_and_expiry_and_a_charge_its_cps_decision(world):
    aba = order(world, expires_in=60)
    assert aba.conditions == "Not to enter the Eastgate estate"
    assert aba.expires == timezone.localdate() + timedelta(days=60)
    charge = actions.add_intervention(
        world.analyst, world.active, world.programme, Kind.ENFORCEMENT, "Charge",
        world.police, status="completed", category="charge",
        cps_decision="Charged: possession of a bladed article", cps_decision_date=days_ago(3))
    assert charge.cps_decision_date == days_ago(3)


def test_an_expiry_before_the_start_is_refused(world):
    with pytest.raises(ValidationError) as error:
        actions.add_intervention(world.coordinator, world.active, world.programme,
                                 Kind.ENFORCEMENT, "ABA", world.police, status="active",
                                 category="aba", start=days_ago(5), expires=days_ago(6))
    assert "expires" in error.value.message_dict


def test_a_coordinator_and_the_lead_professional_add_group_interventions(world):
    group = active_group(world, lead=world.caseworker, members=[world.active])
    for user in (world.coordinator, world.caseworker):
        intervention = actions.add_intervention(
            user, None, world.programme, Kind.COMMUNITY, "Group call-in", world.vru,
            group=group, category="conferencing")
        assert intervention.group == group and intervention.person is None
        assert updates_of(intervention) == [("planned", timezone.localdate())]
        stored = Intervention.objects.get(pk=intervention.pk)
        assert (stored.group, stored.person, stored.agency, stored.created_by) == (
            group, None, world.vru, user)
        row = AuditEvent.objects.get(action="add_intervention", object_id=str(intervention.pk))
        assert (row.actor, row.outcome, row.object_type) == (user, "allowed", "intervention")


@pytest.mark.parametrize("who", ["caseworker", "analyst", "partner", "stranger"])
def test_others_may_not_add_group_interventions(world, who):
    group = active_group(world, lead=None, members=[world.active])
    with pytest.raises(PermissionDenied):
        actions.add_intervention(getattr(world, who), None, world.programme, Kind.COMMUNITY,
                                 "Group call-in", world.vru, group=group)
    assert not Intervention.objects.exists()
    row = AuditEvent.objects.get(action="add_intervention")
    assert (row.outcome, row.object_type, row.object_id) == ("denied", "cohort_group",
                                                             str(group.pk))


def test_a_group_intervention_by_an_agency_outside_the_programme_is_refused(world):
    group = active_group(world, members=[world.active])
    with pytest.raises(PermissionDenied):
        actions.add_intervention(world.coordinator, None, world.programme, Kind.COMMUNITY,
                                 "Group call-in", world.housing, group=group)


def test_an_intervention_is_for_a_person_or_a_group(world):
    group = active_group(world, members=[world.active])
    with pytest.raises(ValueError):
        actions.add_intervention(world.coordinator, world.active, world.programme,
                                 Kind.SUPPORT, "Both", world.vru, group=group)


# --- the life-cycle --------------------------------------------------------------------------


def test_the_referral_life_cycle_and_time_to_engagement(world):
    intervention = referral(world, referred_days_ago=30)
    assert actions.time_to_engagement(intervention) is None
    move(world, intervention, ("accepted", 25))
    assert actions.time_to_engagement(intervention) is None
    move(world, intervention, ("engaged", 18))
    assert intervention.start == days_ago(18) and intervention.end is None
    assert actions.time_to_engagement(intervention) == 12
    move(world, intervention, ("completed", 2))
    assert intervention.status == Status.COMPLETED
    assert intervention.end == days_ago(2)
    assert [s for s, _ in updates_of(intervention)] == [
        "referred", "accepted", "engaged", "completed"]
    assert actions.time_to_engagement(intervention) == 12
    rows = AuditEvent.objects.filter(action="update_intervention").order_by("pk")
    assert [(r.detail["from_status"], r.detail["to_status"]) for r in rows] == [
        ("referred", "accepted"), ("accepted", "engaged"), ("engaged", "completed")]


def test_engagement_on_the_day_of_referral_is_zero_days(world):
    intervention = referral(world, referred_days_ago=4)
    move(world, intervention, ("accepted", 4), ("engaged", 4))
    assert actions.time_to_engagement(intervention) == 0


@pytest.mark.parametrize("end", ["declined", "closed"])
@pytest.mark.parametrize("path", [[], [("accepted", 5)], [("accepted", 5), ("engaged", 4)]])
def test_declined_and_closed_are_reachable_from_referred_accepted_and_engaged(world, path, end):
    intervention = move(world, referral(world, referred_days_ago=6), *path, (end, 3))
    assert intervention.status == end and intervention.end == days_ago(3)


@pytest.mark.parametrize(("path", "status", "names"), [
    ([], "completed", ("referred", "completed")),
    ([], "engaged", ("referred", "engaged")),
    ([("accepted", 5)], "referred", ("accepted", "referred")),
    ([("closed", 5)], "referred", ("closed", "referred")),
    ([("accepted", 5), ("engaged", 4), ("completed", 3)], "engaged", ("completed", "engaged")),
    ([], "active", ("referred", "in force")),
])
def test_refused_support_transitions_name_both_statuses(world, path, status, names):
    intervention = move(world, referral(world, referred_days_ago=6), *path)
    before = updates_of(intervention)
    with pytest.raises(ValidationError) as error:
        actions.update_intervention(world.coordinator, intervention, status, days_ago(1))
    message = error.value.message_dict["status"][0]
    assert f"is {names[0]} cannot become {names[1]}" in message
    assert updates_of(intervention) == before
    intervention.refresh_from_db()
    assert intervention.status == (path[-1][0] if path else "referred")


def test_an_order_goes_from_planned_to_in_force_to_completed(world):
    aba = actions.add_intervention(world.coordinator, world.active, world.programme,
                                   Kind.ENFORCEMENT, "ABA", world.police, category="aba",
                                   start=days_ago(40))
    with pytest.raises(ValidationError) as error:
        actions.update_intervention(world.coordinator, aba, "engaged", days_ago(30))
    assert "planned cannot become engaged" in str(error.value)
    with pytest.raises(ValidationError):
        actions.update_intervention(world.coordinator, aba, "completed", days_ago(30))
    move(world, aba, ("active", 30))
    assert aba.status == "active" and aba.start == days_ago(30)
    move(world, aba, ("completed", 1))
    assert aba.status == "completed" and aba.end == days_ago(1)


def test_a_one_off_enforcement_action_can_be_completed_from_planned(world):
    warning = actions.add_intervention(world.coordinator, world.active, world.programme,
                                       Kind.ENFORCEMENT, "Formal warning", world.police,
                                       category="warning")
    move(world, warning, ("completed", 0))
    assert warning.status == "completed"


def test_communication_is_completed_or_declined(world):
    visit = actions.add_intervention(world.coordinator, world.active, world.programme,
                                     Kind.COMMUNICATION, "Home visit", world.police,
                                     category="home_visit")
    with pytest.raises(ValidationError) as error:
        actions.update_intervention(world.coordinator, visit, "referred", days_ago(0))
    assert "planned cannot become referred" in str(error.value)
    move(world, visit, ("declined", 0))
    assert visit.status == "declined"
    with pytest.raises(ValidationError) as error:
        actions.update_intervention(world.coordinator, visit, "completed", days_ago(0))
    assert "it has ended" in str(error.value)


def test_a_date_in_the_future_is_refused(world):
    intervention = referral(world)
    with pytest.raises(ValidationError) as error:
        actions.update_intervention(world.coordinator, intervention, "accepted",
                                    timezone.localdate() + timedelta(days=1))
    assert "today or in the past" in error.value.message_dict["on"][0]
    assert len(updates_of(intervention)) == 1


def test_a_date_before_the_previous_update_is_refused(world):
    intervention = move(world, referral(world, referred_days_ago=30), ("accepted", 10))
    with pytest.raises(ValidationError) as error:
        actions.update_intervention(world.coordinator, intervention, "engaged", days_ago(11))
    assert "on or after" in error.value.message_dict["on"][0]
    assert days_ago(10).strftime("%B %Y") in error.value.message_dict["on"][0]
    assert len(updates_of(intervention)) == 2
    assert not AuditEvent.objects.filter(action="update_intervention", detail__to_status="engaged"
                                         ).exists()


def test_an_unknown_status_is_refused(world):
    with pytest.raises(ValidationError):
        actions.update_intervention(world.coordinator, referral(world), "finished", days_ago(0))


@pytest.mark.parametrize("who", ["coordinator", "analyst", "caseworker"])
def test_staff_who_record_for_any_agency_may_update(world, who):
    intervention = referral(world, agency=world.police)
    move(world, intervention, ("accepted", 1), by=getattr(world, who))
    assert intervention.status == "accepted"
    update = InterventionUpdate.objects.get(intervention=intervention, status="accepted")
    assert (update.on, update.recorded_by) == (days_ago(1), getattr(world, who))
    row = the_audit_row("update_intervention", getattr(world, who), "intervention",
                        intervention.pk)
    assert (row.detail["from_status"], row.detail["to_status"]) == ("referred", "accepted")


def test_a_partner_updates_only_its_own_agencys_interventions(world):
    schools = referral(world, agency=world.school, by=world.partner, category="education",
                       title="School place")
    move(world, schools, ("accepted", 1), by=world.partner)
    assert schools.status == "accepted"
    polices = referral(world, agency=world.police)
    with pytest.raises(PermissionDenied):
        actions.update_intervention(world.partner, polices, "accepted", days_ago(1))
    polices.refresh_from_db()
    assert polices.status == "referred"
    row = AuditEvent.objects.get(action="update_intervention", outcome="denied")
    assert (row.actor, row.object_id) == (world.partner, str(polices.pk))


def test_the_outside_agency_and_a_caseworker_for_a_proposed_person_may_not_update(world):
    intervention = referral(world)
    with pytest.raises(PermissionDenied):
        actions.update_intervention(world.stranger, intervention, "accepted", days_ago(0))
    proposed = referral(world, person=world.proposed)
    with pytest.raises(PermissionDenied):
        actions.update_intervention(world.caseworker, proposed, "accepted", days_ago(0))


def test_group_interventions_are_updated_by_the_coordinator_and_lead_only(world):
    group = active_group(world, lead=world.analyst, members=[world.active])
    call_in = actions.add_intervention(world.coordinator, None, world.programme,
                                       Kind.COMMUNITY, "Group call-in", world.vru, group=group,
                                       status="referred")
    move(world, call_in, ("accepted", 0), by=world.analyst)
    with pytest.raises(PermissionDenied):
        actions.update_intervention(world.caseworker, call_in, "engaged", days_ago(0))


# --- breaches --------------------------------------------------------------------------------


def test_a_breach_of_an_order_is_recorded_and_audited(world):
    aba = order(world, started_days_ago=20)
    event = make_event("E-BREACH", world.active, days_ago=5)
    breach = actions.record_breach(world.coordinator, aba, days_ago(5),
                                   "Seen on the Eastgate estate", event=event)
    assert (breach.intervention, breach.event, breach.occurred_on) == (aba, event, days_ago(5))
    row = AuditEvent.objects.get(action="record_breach")
    assert row.detail["event"] == "E-BREACH" and row.outcome == "allowed"


@pytest.mark.parametrize(("occurred", "description", "field"), [
    (-1, "Seen on the estate", "occurred_on"),
    (25, "Seen on the estate", "occurred_on"),
    (5, "   ", "description"),
])
def test_bad_breaches_are_refused(world, occurred, description, field):
    aba = order(world, started_days_ago=20)
    with pytest.raises(ValidationError) as error:
        actions.record_breach(world.coordinator, aba, days_ago(occurred), description)
    assert field in error.value.message_dict
    assert not OrderBreach.objects.exists()


def test_breaches_are_only_for_abas_and_cpns(world):
    with pytest.raises(ValidationError) as error:
        actions.record_breach(world.coordinator, referral(world), days_ago(1), "Missed it")
    assert "Acceptable Behaviour Agreement" in str(error.value)
    cpn = order(world, category="cpn")
    assert actions.record_breach(world.coordinator, cpn, days_ago(1), "Music at night")


def test_a_breach_event_must_involve_the_person(world):
    aba = order(world)
    other = make_event("E-OTHER", world.stepped_down, days_ago=2)
    with pytest.raises(ValidationError) as error:
        actions.record_breach(world.coordinator, aba, days_ago(2), "Fight", event=other)
    assert "event" in error.value.message_dict


def test_a_partner_may_not_record_a_breach_of_a_police_order(world):
    with pytest.raises(PermissionDenied):
        actions.record_breach(world.partner, order(world), days_ago(1), "Seen")
    assert AuditEvent.objects.filter(action="record_breach", outcome="denied").exists()


# --- the pages -------------------------------------------------------------------------------


def page(client, intervention):
    return client.get(reverse("intervention", args=[intervention.pk]))


def test_the_intervention_page_shows_history_and_time_to_engagement(client, world):
    intervention = move(world, referral(world, referred_days_ago=30), ("accepted", 25),
                        ("engaged", 18))
    client.force_login(world.caseworker)
    response = page(client, intervention)
    assert response.status_code == 200
    text = response.content.decode()
    assert "Boxing club mentoring" in text and "Mentoring by someone with lived experience" in text
    assert 'id="time-to-engagement">12 days<' in text
    assert text.count("recorded_by") == 0 and text.count(">coordinator<") >= 3
    assert "Update the status" in text and 'value="completed"' in text
    assert 'value="referred"' not in text
    row = AuditEvent.objects.get(action="view_intervention")
    assert (row.actor, row.object_id) == (world.caseworker, str(intervention.pk))


@pytest.mark.parametrize("who", ["stranger"])
def test_the_outside_agency_gets_a_404_and_it_is_audited(client, world, who):
    intervention = referral(world)
    client.force_login(getattr(world, who))
    assert page(client, intervention).status_code == 404
    row = AuditEvent.objects.get(action="view_intervention")
    assert row.outcome == "denied"


def test_a_caseworker_cannot_see_interventions_of_a_proposed_person(client, world):
    intervention = referral(world, person=world.proposed)
    client.force_login(world.caseworker)
    assert page(client, intervention).status_code == 404
    client.force_login(world.coordinator)
    assert page(client, intervention).status_code == 200


def test_a_missing_intervention_is_a_404(client, world):
    client.force_login(world.coordinator)
    assert client.get("/interventions/999999/").status_code == 404
    assert client.get(f"/interventions/{2**63}/").status_code == 404


def test_a_partner_sees_but_cannot_update_another_agencys_intervention(client, world):
    intervention = referral(world, agency=world.police)
    client.force_login(world.partner)
    response = page(client, intervention)
    assert response.status_code == 200 and "Update the status" not in response.content.decode()
    response = client.post(reverse("intervention_update", args=[intervention.pk]), {
        "status": "accepted", "on_day": "1", "on_month": "1", "on_year": "2026"})
    assert response.status_code == 403
    intervention.refresh_from_db()
    assert intervention.status == "referred"


def status_post(client, intervention, status, on):
    return client.post(reverse("intervention_update", args=[intervention.pk]), {
        "status": status, "on_day": on.day if on else "", "on_month": on.month if on else "",
        "on_year": on.year if on else "", "note": "Attended the first session"})


def test_the_status_form_moves_the_referral_along(client, world):
    intervention = referral(world, referred_days_ago=10)
    client.force_login(world.caseworker)
    response = status_post(client, intervention, "accepted", days_ago(3))
    assert response.status_code == 302
    intervention.refresh_from_db()
    assert intervention.status == "accepted"
    update = InterventionUpdate.objects.get(intervention=intervention, status="accepted")
    assert (update.on, update.note, update.recorded_by) == (
        days_ago(3), "Attended the first session", world.caseworker)
    row = the_audit_row("update_intervention", world.caseworker, "intervention",
                        intervention.pk)
    assert row.detail == {"from_status": "referred", "to_status": "accepted",
                          "on": days_ago(3).isoformat()}
    assert response["Location"] == reverse("intervention", args=[intervention.pk])
    text = client.get(response["Location"]).content.decode()
    assert "Status changed to Accepted" in text and "Attended the first session" in text


@pytest.mark.parametrize(("status", "on", "message"), [
    ("", 1, "Select the new status"),
    ("completed", 1, "Select one of the statuses offered"),
    ("accepted", None, "Enter the date it happened"),
    ("accepted", -3, "The date it happened must be today or in the past"),
    ("accepted", 20, "The date it happened must be on or after"),
])
def test_the_status_form_rejects_bad_input(client, world, status, on, message):
    intervention = referral(world, referred_days_ago=10)
    client.force_login(world.coordinator)
    response = status_post(client, intervention, status, None if on is None else days_ago(on))
    assert response.status_code == 400
    text = response.content.decode()
    assert "There is a problem" in text and message in text
    assert len(updates_of(intervention)) == 1


def test_the_breach_form_records_a_breach_on_the_order_page(client, world):
    aba = order(world, started_days_ago=20)
    make_event("E-BREACH-FORM", world.active, days_ago=4)
    client.force_login(world.analyst)
    text = page(client, aba).content.decode()
    assert "Record a breach" in text and "E-BREACH-FORM" in text
    when = days_ago(4)
    response = client.post(reverse("intervention_breach", args=[aba.pk]), {
        "occurred_on_day": when.day, "occurred_on_month": when.month,
        "occurred_on_year": when.year, "description": "Seen on the estate at night"})
    assert response.status_code == 302
    breach = OrderBreach.objects.get()
    assert (breach.intervention, breach.occurred_on, breach.description, breach.recorded_by) \
        == (aba, when, "Seen on the estate at night", world.analyst)
    row = the_audit_row("record_breach", world.analyst, "intervention", aba.pk)
    assert row.detail["breach"] == breach.pk and row.detail["occurred_on"] == when.isoformat()
    assert client.get(response["Location"]).status_code == 200
    response = client.post(reverse("intervention_breach", args=[aba.pk]), {
        "occurred_on_day": "", "occurred_on_month": "", "occurred_on_year": "",
        "description": ""})
    assert response.status_code == 400
    text = response.content.decode()
    assert "Enter the date of the breach" in text and "Describe the breach" in text
    assert OrderBreach.objects.count() == 1


def test_no_breach_form_for_a_referral(client, world):
    intervention = referral(world)
    client.force_login(world.coordinator)
    assert "Record a breach" not in page(client, intervention).content.decode()
    response = client.post(reverse("intervention_breach", args=[intervention.pk]), {
        "occurred_on_day": "1", "occurred_on_month": "1", "occurred_on_year": "2026",
        "description": "x"})
    assert response.status_code == 403


def test_a_partner_is_not_offered_police_events_for_a_breach(client, world):
    aba = order(world, agency=world.school)
    make_event("E-POLICE-ONLY-DETAIL", world.active, days_ago=4)
    client.force_login(world.partner)
    text = page(client, aba).content.decode()
    assert "Record a breach" in text and "E-POLICE-ONLY-DETAIL" not in text


# --- the person page's form ------------------------------------------------------------------


def person_post(client, world, **changes):
    data = {"programme": world.programme.pk, "agency": world.police.pk, "kind": "support",
            "category": "mentoring", "title": "Mentoring", "status": "referred",
            "start_day": "", "start_month": "", "start_year": "", "end_day": "",
            "end_month": "", "end_year": "", "outcome": "", "conditions": "",
            "expires_day": "", "expires_month": "", "expires_year": "", "cps_decision": "",
            "cps_decision_date_day": "", "cps_decision_date_month": "",
            "cps_decision_date_year": "", **changes}
    return client.post(reverse("add_intervention", args=[world.active.pk]), data)


def test_the_person_page_form_records_an_order_with_its_conditions(client, world):
    client.force_login(world.coordinator)
    expiry = timezone.localdate() + timedelta(days=180)
    response = person_post(client, world, kind="enforcement", category="aba", status="active",
                           title="ABA", conditions="No contact with G2",
                           expires_day=expiry.day, expires_month=expiry.month,
                           expires_year=expiry.year)
    assert response.status_code == 302
    aba = Intervention.objects.get()
    assert (aba.category, aba.conditions, aba.expires) == ("aba", "No contact with G2", expiry)
    assert (aba.person, aba.programme, aba.agency, aba.kind, aba.status, aba.created_by) == (
        world.active, world.programme, world.police, "enforcement", "active", world.coordinator)
    row = the_audit_row("add_intervention", world.coordinator, "intervention", aba.pk)
    assert row.detail["category"] == "aba" and row.detail["person"] == world.active.pk
    text = client.get(reverse("person", args=[world.active.pk])).content.decode()
    assert reverse("intervention", args=[aba.pk]) in text
    assert "Acceptable Behaviour Agreement" in text


@pytest.mark.parametrize(("changes", "message"), [
    ({"kind": "support", "category": "aba"}, "Acceptable Behaviour Agreement is not a kind of "
                                             "support intervention"),
    ({"status": "engaged"}, "Select the status"),
    ({"kind": "communication", "category": "letter", "status": "referred"},
     "A new communication intervention starts as planned or completed"),
    ({"conditions": "Curfew"}, "Conditions and an expiry date are only for an ABA or a CPN"),
    ({"category": "nonsense"}, "Select a category from the list"),
])
def test_the_person_page_form_rejects_mismatches(client, world, changes, message):
    client.force_login(world.coordinator)
    response = person_post(client, world, **changes)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Intervention.objects.exists()

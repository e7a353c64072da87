"""The programme's delivery page: counts, referral to engagement, orders, breaches, and the
people with no defined intervention."""

import pytest
from django.urls import reverse

from deter.web.actions import interventions as actions
from deter.web.models import AuditEvent, CohortEntry, Intervention
from deter.web.queries import delivery

from .casework_factories import days_ago, entry_of, move, order, referral
from .factories import make_entry, make_person


def test_medians_and_shares_by_category_from_known_dates(world):
    # mentoring: engaged after 4 and 10 days, and one not engaged; housing: after 7 days
    move(world, referral(world, category="mentoring", referred_days_ago=30),
         ("accepted", 28), ("engaged", 26))
    move(world, referral(world, category="mentoring", referred_days_ago=30),
         ("accepted", 25), ("engaged", 20), ("completed", 1))
    move(world, referral(world, category="mentoring", referred_days_ago=30), ("declined", 2))
    move(world, referral(world, category="housing", referred_days_ago=9),
         ("accepted", 5), ("engaged", 2))
    referral(world, category="education", referred_days_ago=3)
    summary = delivery.summarise(world.coordinator, world.programme)
    rows = {row.category: row for row in summary.engagement_rows}
    assert (rows["mentoring"].referred, rows["mentoring"].engaged) == (3, 2)
    assert rows["mentoring"].median_days == 7  # median of 4 and 10
    assert rows["mentoring"].share_engaged == pytest.approx(2 / 3)
    assert rows["housing"].median_days == 7 and rows["housing"].share_engaged == 1
    assert rows["education"].median_days is None and rows["education"].share_engaged == 0
    overall = summary.engagement_overall
    assert (overall.referred, overall.engaged, overall.median_days) == (5, 3, 7)


def test_planned_support_that_was_never_referred_is_not_in_the_engagement_table(world):
    actions.add_intervention(world.coordinator, world.active, world.programme, "support",
                             "Planned only", world.vru, category="training")
    summary = delivery.summarise(world.coordinator, world.programme)
    assert summary.engagement_rows == [] and summary.engagement_overall.referred == 0


def test_counts_by_kind_and_status(world):
    referral(world)
    move(world, referral(world), ("accepted", 0))
    order(world)
    summary = delivery.summarise(world.coordinator, world.programme)
    statuses = [value for value, _ in summary.statuses]
    by_kind = {row["kind"]: row for row in summary.counts}
    support = by_kind["Support"]
    assert support["total"] == 2
    assert support["cells"][statuses.index("referred")] == 1
    assert support["cells"][statuses.index("accepted")] == 1
    assert by_kind["Enforcement"]["cells"][statuses.index("active")] == 1
    assert by_kind["Communication"]["total"] == 0


def test_orders_in_force_expiring_and_recent_breaches(world):
    soon = order(world, expires_in=10)
    later = order(world, category="cpn", expires_in=200)
    ended = move(world, order(world, expires_in=5), ("completed", 0))
    actions.record_breach(world.coordinator, later, days_ago(3), "Music at night")
    actions.record_breach(world.coordinator, soon, days_ago(19), "On the estate")
    old = order(world, started_days_ago=200)
    actions.record_breach(world.coordinator, old, days_ago(120), "Long ago")
    summary = delivery.summarise(world.coordinator, world.programme)
    assert soon in summary.orders_in_force and later in summary.orders_in_force
    assert ended not in summary.orders_in_force
    assert summary.orders_expiring == [soon]
    assert [b.description for b in summary.recent_breaches] == ["Music at night",
                                                                "On the estate"]


def test_active_people_without_support_or_a_consequence_are_listed(world):
    second = make_person("P-SECOND")
    make_entry(world.programme, second)
    CohortEntry.objects.filter(pk=entry_of(world, world.active).pk).update(
        enforcement_consequence="Every lever pulled on the group")
    referral(world, person=world.active)
    move(world, referral(world, person=second), ("declined", 0))  # declined help is no offer
    summary = delivery.summarise(world.coordinator, world.programme)
    assert [e.person for e in summary.without_support] == [second]
    assert [e.person for e in summary.without_consequence] == [second]
    # the stepped-down, proposed and exited are not expected to have a plan in force
    assert world.stepped_down not in [e.person for e in summary.without_consequence]


def test_a_caseworker_sees_only_the_people_they_may_see(world):
    summary = delivery.summarise(world.caseworker, world.programme)
    assert [e.person for e in summary.without_support] == [world.active]


# --- the page --------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["analyst", "coordinator", "caseworker"])
def test_the_delivery_page(client, world, who):
    move(world, referral(world, referred_days_ago=10), ("accepted", 8), ("engaged", 4))
    order(world, expires_in=7)
    client.force_login(getattr(world, who))
    response = client.get(reverse("programme_delivery", args=[world.programme.pk]))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Orders in force (1)" in text and "1 order expires within 28 days" in text
    assert "Mentoring by someone with lived experience" in text
    assert "No consequence of further violence (1)" in text and "P-ACTIVE" in text
    assert ("Manage letter templates" in text) == (who == "coordinator")
    row = AuditEvent.objects.get(action="view_delivery")
    assert (row.actor, row.outcome) == (getattr(world, who), "allowed")


@pytest.mark.parametrize("who", ["partner", "stranger"])
def test_others_get_a_404_and_it_is_audited(client, world, who):
    client.force_login(getattr(world, who))
    response = client.get(reverse("programme_delivery", args=[world.programme.pk]))
    assert response.status_code == 404
    assert AuditEvent.objects.get(action="view_delivery").outcome == "denied"


def test_a_programme_the_user_is_not_in_is_a_404(client, world):
    client.force_login(world.coordinator)
    url = reverse("programme_delivery", args=[world.police_only_programme.pk])
    assert client.get(url).status_code == 404
    assert client.get("/programmes/999999/delivery/").status_code == 404


def test_signed_out_users_are_sent_to_sign_in(client, world):
    response = client.get(reverse("programme_delivery", args=[world.programme.pk]))
    assert response.status_code == 302 and "/sign-in/" in response["Location"]
    assert not Intervention.objects.exists()

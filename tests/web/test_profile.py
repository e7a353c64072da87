"""The problem profile, group pages and their charts: who may see them, what they show."""

from datetime import date

import pytest
from django.urls import reverse

from deter.web.models import AuditEvent, FoundGroup, PlaceScore, RelationScore


@pytest.fixture
def profile(world):
    run = world.run
    run.summary = {
        "as_of": "2026-11-01T00:00:00+00:00", "events_in_window": 6,
        "people_with_offender_harm": 6, "events_unweighted": 0,
        "config": {"window_days": 1095, "seed": 1},
        "harm_table": {"name": "cchi-2026", "unit": "days"},
        "places": {"cell_metres": 250.0}, "timing": {"timezone": "Europe/London",
                                                     "trend_method": "STL"},
    }
    run.profile = {
        "concentration": [{"population": "offenders", "top_percent": 5.0, "units": 1,
                           "units_total": 6, "harm_share": 0.61}],
        "hour_weekday": [{"weekday": 4, "hour": 22, "events": 3, "harm": 730.0}],
        "trend": [{"month": "2026-10-01", "events": 6, "harm": 900.0, "trend": None,
                   "seasonal": None}],
        "disproportionality": [{"characteristic": "sex", "value": "male", "offenders": 6,
                                "proposed": 2, "ratio": 1.0, "small": True}],
    }
    run.save()
    FoundGroup.objects.filter(run=run, group_label="G1").update(
        stability=0.9, reach_set=["P-ACTIVE", "P-UNLISTED"]
    )
    RelationScore.objects.create(
        run=run, group_a="G1", group_b="G2", relation="rivalry", events=2,
        first_event=date(2026, 9, 1), last_event=date(2026, 10, 1), weight=1.5,
        evidence=["E-ACTIVE-VICTIM", "E-P-STEPPED"],
    )
    PlaceScore.objects.create(run=run, kind="grid", place_id="G250-E430250-N433500",
                              latitude=53.8, longitude=-1.55, events=4, harm=800.0,
                              harm_share=0.42, rank=1)
    return run


def denied(world, action):
    return AuditEvent.objects.filter(action=action, outcome="denied").count()


@pytest.mark.parametrize("who", ["analyst", "coordinator", "caseworker"])
def test_it_shows_the_profile_to_case_roles(client, world, profile, who):
    client.force_login(getattr(world, who))
    response = client.get(reverse("profile"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "G250-E430250-N433500" in body and "42.0%" in body
    assert reverse("group", args=["G1"]) in body and "Rivalry" in body
    assert AuditEvent.objects.filter(action="view_profile", outcome="allowed").exists()


@pytest.mark.parametrize("who", ["partner", "stranger", "superuser"])
def test_it_gives_everyone_else_the_same_404_and_audits_it(client, world, profile, who):
    client.force_login(getattr(world, who))
    for name, args in (("profile", []), ("group", ["G1"]), ("chart", ["conflict"])):
        before = AuditEvent.objects.filter(outcome="denied").count()
        assert client.get(reverse(name, args=args)).status_code == 404
        assert AuditEvent.objects.filter(outcome="denied").count() == before + 1


def test_it_links_the_profile_in_the_menu_only_for_those_who_may_see_it(client, world, profile):
    client.force_login(world.analyst)
    assert reverse("profile") in client.get(reverse("cohort")).content.decode()
    client.force_login(world.partner)
    assert reverse("profile") not in client.get(reverse("cohort")).content.decode()


def test_a_group_page_names_only_members_the_viewer_may_see(client, world, profile):
    client.force_login(world.analyst)
    body = client.get(reverse("group", args=["G1"])).content.decode()
    assert "P-ACTIVE" in body and "P-PROPOSED" in body
    assert "E-ACTIVE-VICTIM" in body  # the rivalry's evidence
    assert "1 person not in a cohort you can see" in body  # P-UNLISTED in the reach set
    assert "P-UNLISTED" not in body
    client.force_login(world.caseworker)  # sees engaged people only
    body = client.get(reverse("group", args=["G1"])).content.decode()
    assert "P-ACTIVE" in body and "P-PROPOSED" not in body


def test_an_unknown_group_is_a_404(client, world, profile):
    client.force_login(world.analyst)
    assert client.get(reverse("group", args=["N999"])).status_code == 404


@pytest.mark.parametrize("name", ["conflict", "hotspots", "hour_weekday", "trend",
                                  "concentration"])
def test_charts_are_svg_with_a_csp_relaxed_only_for_their_own_styles(
    client, world, profile, name
):
    client.force_login(world.analyst)
    response = client.get(reverse("chart", args=[name]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response.content.lstrip().startswith(b"<svg")
    assert "style-src 'self' 'unsafe-inline'" in response["Content-Security-Policy"]
    page = client.get(reverse("profile"))
    assert "unsafe-inline" not in page["Content-Security-Policy"]


def test_an_unknown_chart_is_a_404(client, world, profile):
    client.force_login(world.analyst)
    assert client.get(reverse("chart", args=["nonsense"])).status_code == 404

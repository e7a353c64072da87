"""Starting a programme and changing its settings: who may, what is checked, what is audited."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from deter.web.actions import programmes as actions
from deter.web.models import AuditEvent, Programme

from .factories import Role, make_user


def form_data(world, **changes):
    data = {
        "name": "Robbery on the estates", "problem": "Street robbery by two groups",
        "area": "Northside and Eastgate",
        "start_day": "1", "start_month": "4", "start_year": "2026",
        "end_day": "", "end_month": "", "end_year": "",
        "agencies": [world.vru.pk],
        "emphasis": "support_led", "uses_call_ins": "no",
    }
    data.update(changes)
    return data


def test_a_coordinator_starts_a_programme_and_it_is_audited(client, world):
    client.force_login(world.coordinator)
    response = client.post(reverse("programme_new"), form_data(world))
    assert response.status_code == 302
    programme = Programme.objects.get(name="Robbery on the estates")
    assert (programme.area, programme.start, programme.end) == (
        "Northside and Eastgate", date(2026, 4, 1), None)
    assert programme.emphasis == "support_led" and programme.uses_call_ins is False
    assert set(programme.agencies.all()) == {world.vru}
    assert programme.lead_agency == world.vru
    row = AuditEvent.objects.get(action="create_programme")
    assert (row.actor, row.outcome, row.object_id) == (
        world.coordinator, "allowed", str(programme.pk))
    assert row.detail["agencies"] == [world.vru.pk]


def test_a_new_programme_has_no_partners_until_an_agreement_is_in_force(client, world):
    """The tester's probe: a coordinator alone cannot widen sharing, and a new programme's
    proposals are seen by nobody outside the lead agency."""
    client.force_login(world.coordinator)
    response = client.post(reverse("programme_new"),
                           form_data(world, agencies=[world.vru.pk, world.school.pk]))
    assert response.status_code == 400
    assert "Northgate School has no data-sharing agreement in force" in response.content.decode()
    assert not Programme.objects.filter(name="Robbery on the estates").exists()
    # nor by adding a partner to a running programme
    client.post(reverse("programme_new"), form_data(world))
    programme = Programme.objects.get(name="Robbery on the estates")
    with pytest.raises(ValidationError, match="Outside Housing Association has no"):
        actions.update_programme(world.coordinator, programme,
                                 agencies=[world.vru, world.housing])
    assert list(programme.agencies.all()) == [world.vru]


@pytest.mark.parametrize("who", ["analyst", "caseworker", "partner", "stranger"])
def test_only_a_coordinator_may_start_one(client, world, who):
    client.force_login(getattr(world, who))
    assert client.get(reverse("programme_new")).status_code == 403
    assert client.post(reverse("programme_new"), form_data(world)).status_code == 403
    assert not Programme.objects.filter(name="Robbery on the estates").exists()
    assert AuditEvent.objects.filter(action="create_programme", outcome="denied").count() == 2


@pytest.mark.parametrize(("changes", "message"), [
    ({"name": ""}, "Enter the programme name"),
    ({"name": "Knife crime"}, "Programme with this Name already exists"),
    ({"problem": " "}, "Describe the problem the programme addresses"),
    ({"start_day": "", "start_month": "", "start_year": ""}, "Enter the start date"),
    ({"end_day": "1", "end_month": "1", "end_year": "2026"},
     "The end date must be the same as or after the start date"),
    ({"agencies": []}, "Select at least one partner agency"),
    ({"agencies": [99999]}, "Select partner agencies from the list"),
    ({"agencies": [lambda w: w.police.pk]},
     "Include your own agency as a partner, so that you can run the programme"),
    ({"emphasis": "vigilante"}, "Select the model&#x27;s emphasis"),
])
def test_bad_input_is_refused_with_a_clear_error_and_nothing_written(
    client, world, changes, message
):
    changes = {k: [v(world) if callable(v) else v for v in vs] if isinstance(vs, list) else vs
               for k, vs in changes.items()}
    client.force_login(world.coordinator)
    before = Programme.objects.count()
    response = client.post(reverse("programme_new"), form_data(world, **changes))
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page and message in page
    assert Programme.objects.count() == before
    assert not AuditEvent.objects.filter(action="create_programme").exists()


def test_the_coordinator_changes_settings_and_the_audit_row_says_what_changed(client, world):
    client.force_login(world.coordinator)
    url = reverse("programme_edit", args=[world.programme.pk])
    page = client.get(url).content.decode()
    assert 'value="Knife crime"' in page and "Testshire Police" in page
    data = form_data(world, name="Knife crime", problem=world.programme.problem,
                     area="Testshire", start_day="1", start_month="1", start_year="2026",
                     emphasis="enforcement_led", uses_call_ins="yes",
                     agencies=[world.vru.pk, world.police.pk, world.social_care.pk])
    assert client.post(url, data).status_code == 302
    world.programme.refresh_from_db()
    assert world.programme.emphasis == "enforcement_led"
    assert world.school not in world.programme.agencies.all()
    changes = AuditEvent.objects.get(action="update_programme").detail["changes"]
    assert changes["emphasis"] == ["balanced", "enforcement_led"]
    assert world.school.pk in changes["agencies"][0]
    assert world.school.pk not in changes["agencies"][1]
    assert "name" not in changes


@pytest.mark.parametrize("who", ["analyst", "caseworker", "partner", "stranger"])
def test_only_the_programmes_coordinator_may_change_it(client, world, who):
    client.force_login(getattr(world, who))
    url = reverse("programme_edit", args=[world.programme.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, form_data(world)).status_code == 404
    world.programme.refresh_from_db()
    assert world.programme.name == "Knife crime"


def test_a_coordinator_of_another_programme_cannot_change_this_one(world):
    other = make_user("other-coordinator", world.housing, Role.COORDINATOR)
    with pytest.raises(PermissionDenied):
        actions.update_programme(other, world.programme, agencies=[world.housing],
                                 emphasis="enforcement_led")
    world.programme.refresh_from_db()
    assert world.programme.emphasis == "balanced"
    assert AuditEvent.objects.get(action="update_programme").outcome == "denied"


def test_a_refused_update_leaves_the_programme_as_it_was(world):
    with pytest.raises(ValidationError):
        actions.update_programme(world.coordinator, world.programme, agencies=[world.police],
                                 area="Elsewhere")
    world.programme.refresh_from_db()
    assert world.programme.area == "Testshire"
    assert not AuditEvent.objects.filter(action="update_programme").exists()

"""The safeguarding summary on a child's page, and its warning when nothing is recorded."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from deter.web import actions
from deter.web.domain import people
from deter.web.models import CohortEntry

from .factories import make_entry, make_person, make_user

WARNING = "No safeguarding status recorded"


def url(person) -> str:
    return reverse("person", args=[person.pk])


def entry_of(world, person) -> CohortEntry:
    return CohortEntry.objects.get(programme=world.programme, person=person)


def test_a_child_on_an_active_plan_without_a_status_gets_a_warning(client, world):
    client.force_login(world.caseworker)
    response = client.get(url(world.active))  # 16, active, nothing recorded
    page = response.content.decode()
    assert 'id="safeguarding"' in page
    assert "Child</strong>" in page
    assert f"{WARNING} in Knife crime" in page
    assert 'class="govuk-warning-text"' in page
    assert response.context["safeguarding"].unrecorded == [entry_of(world, world.active)]


def test_a_recorded_status_shows_with_its_lead_and_the_lead_professional(client, world):
    lead = make_user("sw-lead", world.social_care, "caseworker")
    entry = entry_of(world, world.active)
    entry.safeguarding = CohortEntry.Safeguarding.CHILD_PROTECTION
    entry.safeguarding_lead = lead
    entry.lead_professional = world.caseworker
    entry.save()
    client.force_login(world.coordinator)
    page = client.get(url(world.active)).content.decode()
    section = page.split('id="safeguarding"')[1].split("</table>")[0]
    assert "Child protection plan" in section
    assert "sw-lead" in section and "caseworker" in section
    assert WARNING not in page


def test_a_stepped_down_child_without_a_status_gets_no_warning(client, world):
    client.force_login(world.coordinator)
    page = client.get(url(world.stepped_down)).content.decode()
    assert 'id="safeguarding"' in page and "None recorded" in page
    assert WARNING not in page


def test_an_adult_has_no_safeguarding_summary(client, world):
    client.force_login(world.analyst)
    response = client.get(url(world.police_only))  # 19
    assert response.context["safeguarding"] is None
    assert 'id="safeguarding"' not in response.content.decode()


def test_an_adult_with_a_recorded_status_still_shows_it_without_a_warning(client, world):
    adult = make_person("P-ADULT", age=18)
    entry = make_entry(world.programme, adult)
    client.force_login(world.coordinator)
    assert 'id="safeguarding"' not in client.get(url(adult)).content.decode()
    entry.safeguarding = CohortEntry.Safeguarding.CONTEXTUAL
    entry.save()
    page = client.get(url(adult)).content.decode()
    assert "Contextual safeguarding plan" in page and WARNING not in page
    assert "Child</strong>" not in page.split('id="safeguarding"')[1].split("</table>")[0]


def test_unknown_age_is_treated_as_a_child(client, world):
    person = make_person("P-NO-DOB", age=None)
    make_entry(world.programme, person, status=CohortEntry.Status.ACTIVE)
    client.force_login(world.coordinator)
    response = client.get(url(person))
    assert response.context["safeguarding"].is_child
    page = response.content.decode()
    assert "age is not recorded, so they are treated as a child" in page
    assert "Treated as a child</strong>" in page and WARNING in page


def test_a_partner_sees_the_safeguarding_summary_of_a_child_they_work_with(client, world):
    client.force_login(world.partner)
    page = client.get(url(world.active)).content.decode()
    assert 'id="safeguarding"' in page and WARNING in page


def test_only_programmes_the_viewer_sees_are_listed(client, world):
    make_entry(world.police_only_programme, world.active)
    client.force_login(world.analyst)  # police: both programmes
    section = client.get(url(world.active)).content.decode().split('id="safeguarding"')[1]
    assert "Drug market" in section.split("</table>")[0]
    client.force_login(world.coordinator)  # VRU: knife crime only
    section = client.get(url(world.active)).content.decode().split('id="safeguarding"')[1]
    assert "Drug market" not in section.split("</table>")[0]
    assert f"{WARNING} in Knife crime" in section


# --- one definition of a child, at each place that asks ------------------------------------


@pytest.mark.parametrize(("age", "child", "label"), [
    (14, True, "Child"), (17, True, "Child"), (18, False, ""), (47, False, ""),
    (None, True, "Treated as a child"),
])
def test_a_child_is_under_18_or_of_unknown_age(age, child, label):
    assert people.is_child(age) is child
    assert people.child_label(age) == label


@pytest.mark.parametrize(("age", "offered"), [(16, True), (None, True), (18, False)])
def test_the_plan_form_offers_safeguarding_to_children_only(client, world, age, offered):
    entry = make_entry(world.programme, make_person(f"P-AGE-{age}", age=age))
    client.force_login(world.coordinator)
    page = client.get(reverse("entry_plan", args=[entry.pk])).content.decode()
    assert ('name="plan-safeguarding"' in page) is offered


@pytest.mark.parametrize(("age", "allowed"), [(16, True), (None, True), (18, False)])
def test_a_safeguarding_status_is_recorded_for_children_only(world, age, allowed):
    entry = make_entry(world.programme, make_person(f"P-SG-{age}", age=age))
    arguments = {"support_offer": "", "enforcement_consequence": "",
                 "lead_professional": world.caseworker, "review_date": entry.review_date,
                 "safeguarding": CohortEntry.Safeguarding.CHILD_IN_NEED,
                 "safeguarding_lead": world.caseworker}
    if allowed:
        actions.update_plan(world.coordinator, entry, **arguments)
        entry.refresh_from_db()
        assert entry.safeguarding == CohortEntry.Safeguarding.CHILD_IN_NEED
    else:
        with pytest.raises(ValidationError) as error:
            actions.update_plan(world.coordinator, entry, **arguments)
        assert "only for children" in error.value.message_dict["safeguarding"][0]
        entry.refresh_from_db()
        assert entry.safeguarding == ""

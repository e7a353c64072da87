"""The safeguarding summary on a child's page, and its warning when nothing is recorded."""

from django.urls import reverse

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


def test_unknown_age_is_not_treated_as_a_child_here(client, world):
    person = make_person("P-NO-DOB", age=None)
    make_entry(world.programme, person)
    client.force_login(world.coordinator)
    response = client.get(url(person))
    assert response.context["safeguarding"] is None


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

"""Forms accept only what they should: text within its limit (domain.limits), each form sent
once however often it is sent, and a send missing its boxes never clears a record."""

import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from deter.web import actions
from deter.web.actions import forms as once
from deter.web.domain import limits
from deter.web.middleware import OnceOnlyFormsMiddleware
from deter.web.models import CohortEntry, FormSubmission, Intervention

from .casework_factories import active_group

TOKEN = re.compile(r'name="deter_once" value="([^"]+)"')


def entry_of(world, person) -> CohortEntry:
    return CohortEntry.objects.get(programme=world.programme, person=person)


def plan_post(world, entry, **changes) -> dict:
    review = entry.review_date
    return {"plan-support_offer": "Mentoring", "plan-enforcement_consequence": "Arrest",
            "plan-lead_professional": world.caseworker.pk,
            "plan-review_date_day": review.day, "plan-review_date_month": review.month,
            "plan-review_date_year": review.year, "plan-safeguarding": "",
            "plan-safeguarding_lead": ""} | changes


# --- limits -----------------------------------------------------------------------------------


def test_a_500000_character_consequence_is_refused_naming_the_field(client, world):
    entry = entry_of(world, world.active)
    before = entry.enforcement_consequence
    client.force_login(world.coordinator)
    huge = {"plan-enforcement_consequence": "x" * 500_000}
    response = client.post(reverse("entry_plan_update", args=[entry.pk]),
                           plan_post(world, entry, **huge))
    assert response.status_code == 400
    assert ("Consequence of further violence must be 2,000 characters or fewer (it has 500000)"
            in response.content.decode())
    assert entry_of(world, world.active).enforcement_consequence == before


def test_every_text_box_of_every_form_has_a_limit_no_longer_than_the_database_takes():
    import copy
    import importlib
    import pkgutil

    from django import forms

    import deter.web.forms as package
    from deter.web.forms import base

    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{module.name}")
    checked = 0
    for form_class in _all_forms(base.GovukForm):
        for name, field in form_class.base_fields.items():
            if type(field) is not forms.CharField or not isinstance(
                    field.widget, forms.Textarea | forms.TextInput):
                continue
            limited = copy.deepcopy(field)
            base._limit_length(limited)
            assert limited.max_length is not None, (form_class.__name__, name)
            assert limited.max_length <= limits.LONG, (form_class.__name__, name)
            checked += 1
    assert checked > 40


def _all_forms(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_forms(sub)


def test_an_action_refuses_an_overlong_value_whatever_sent_it(world):
    """The database check: the API and the command line write through the same actions."""
    entry = entry_of(world, world.active)
    before = entry.support_offer
    with pytest.raises(ValidationError) as refused:
        actions.update_plan(world.coordinator, entry, support_offer="y" * (limits.TEXT + 1),
                            enforcement_consequence="", lead_professional=world.caseworker,
                            review_date=entry.review_date)
    assert refused.value.message_dict["support_offer"] == [
        f"Support offer must be 2,000 characters or fewer (it has {limits.TEXT + 1:,})"]
    assert entry_of(world, world.active).support_offer == before


def test_notes_take_the_long_limit_and_no_more(world):
    from deter.web.forms.meetings import NotesForm

    assert NotesForm({"notes-notes": "n" * limits.LONG}).is_valid()
    form = NotesForm({"notes-notes": "n" * (limits.LONG + 1)})
    assert not form.is_valid() and "20,000 characters or fewer" in form.errors["notes"][0]


# --- once-only forms --------------------------------------------------------------------------


def intervention_form(client, world):
    page = client.get(reverse("person", args=[world.active.pk])).content.decode()
    action = reverse("add_intervention", args=[world.active.pk])
    form = page[page.index(f'action="{action}"'):]
    return TOKEN.search(form[:form.index("</form>")]).group(1)


def intervention(world, token, **changes) -> dict:
    return {"kind": "support", "title": "Boxing club mentoring", "status": "referred",
            "start_day": "2", "start_month": "3", "start_year": "2026",
            "programme": world.programme.pk, "agency": world.police.pk,
            "deter_once": token} | changes


def test_the_same_form_sent_twice_creates_one_record(client, world):
    client.force_login(world.caseworker)
    token = intervention_form(client, world)
    url = reverse("add_intervention", args=[world.active.pk])
    first = client.post(url, intervention(world, token))
    second = client.post(url, intervention(world, token))
    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"]
    assert Intervention.objects.count() == 1
    page = client.get(second["Location"]).content.decode()
    assert "That form had already been sent: it was saved once, not again" in page
    # a fresh page gives a fresh token, and that one saves
    assert client.post(url, intervention(world, intervention_form(client, world))
                       ).status_code == 302
    assert Intervention.objects.count() == 2


def test_a_refused_send_gives_its_token_back_so_the_corrected_form_saves(client, world):
    client.force_login(world.caseworker)
    token = intervention_form(client, world)
    url = reverse("add_intervention", args=[world.active.pk])
    assert client.post(url, intervention(world, token, title="")).status_code == 400
    assert not FormSubmission.objects.filter(token=token).exists()
    assert client.post(url, intervention(world, token)).status_code == 302
    assert Intervention.objects.count() == 1


def test_a_second_send_while_the_first_is_saving_is_told_so(client, world, monkeypatch):
    client.force_login(world.caseworker)
    monkeypatch.setattr(OnceOnlyFormsMiddleware, "WAIT_FOR_FIRST", 0.3)
    token = intervention_form(client, world)
    once.claim(world.caseworker, token, "/elsewhere/")  # the first send, still running
    response = client.post(reverse("add_intervention", args=[world.active.pk]),
                           intervention(world, token))
    assert response.status_code == 409
    assert "already being saved" in response.content.decode()
    assert not Intervention.objects.exists()


def test_tokens_are_kept_a_day(world):
    old = once.claim(None, "old-token", "/x/")
    FormSubmission.objects.filter(pk=old.pk).update(sent_at=timezone.now() - timedelta(days=2))
    once.claim(None, "new-token", "/x/")
    assert list(FormSubmission.objects.values_list("token", flat=True)) == ["new-token"]


def test_every_form_on_a_page_carries_its_own_token(client, world):
    client.force_login(world.coordinator)
    entry = entry_of(world, world.active)
    page = client.get(reverse("entry_plan", args=[entry.pk])).content.decode()
    forms = page.count('method="post"')
    tokens = TOKEN.findall(page)
    assert forms >= 2 and len(tokens) == forms and len(set(tokens)) == forms


# --- a send missing its boxes -----------------------------------------------------------------


def test_an_empty_send_to_a_group_plan_changes_nothing(client, world):
    group = active_group(world, members=[world.active])
    client.force_login(world.coordinator)
    response = client.post(reverse("group_plan_update", args=[world.programme.pk, group.pk]),
                           {})
    assert response.status_code == 400
    assert "The form arrived without group-wide response" in response.content.decode()
    group.refresh_from_db()
    assert group.group_response.startswith("Visit every member within 48 hours")


def test_an_empty_send_to_a_persons_plan_changes_nothing(client, world):
    entry = entry_of(world, world.active)
    actions.update_plan(world.coordinator, entry, support_offer="Mentoring weekly",
                        enforcement_consequence="Arrest", lead_professional=world.caseworker,
                        review_date=entry.review_date)
    client.force_login(world.coordinator)
    response = client.post(reverse("entry_plan_update", args=[entry.pk]), {})
    assert response.status_code == 400
    assert entry_of(world, world.active).support_offer == "Mentoring weekly"
    # emptying a box on purpose still works: the box is sent, empty
    response = client.post(reverse("entry_plan_update", args=[entry.pk]),
                           plan_post(world, entry, **{"plan-support_offer": ""}))
    assert response.status_code == 302
    assert entry_of(world, world.active).support_offer == ""


def test_a_send_after_the_session_ended_keeps_its_token_for_after_signing_in(client, world):
    client.force_login(world.caseworker)
    token = intervention_form(client, world)
    client.logout()
    url = reverse("add_intervention", args=[world.active.pk])
    assert reverse("login") in client.post(url, intervention(world, token))["Location"]
    assert not FormSubmission.objects.exists()
    client.force_login(world.caseworker)
    assert client.post(url, intervention(world, token)).status_code == 302
    assert Intervention.objects.count() == 1

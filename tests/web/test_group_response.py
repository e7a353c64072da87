"""The group response: violence by members of active groups after the panel accepted the group
is flagged once per event, and the response is tracked."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from deter.analysis.violence import Violence
from deter.web import policy
from deter.web.actions import group_response
from deter.web.domain.offences import current_violence
from deter.web.models import AuditEvent, CohortEntry, CohortGroup, GroupViolenceFlag, Intervention

from .casework_factories import active_group, entry_of
from .factories import make_entry, make_event, make_person, make_run


@pytest.fixture
def group(world):
    return active_group(world, decided_days_ago=10, lead=world.caseworker,
                        members=[world.active, world.stepped_down, world.exited])


def test_without_a_run_the_default_harm_tables_violence_applies(world, group):
    make_event("E-ROBBERY", world.active, category=" Robbery ", days_ago=2)
    make_event("E-BURGLARY", world.active, category="burglary", days_ago=2)
    assert group_response.raise_flags() == 1
    assert GroupViolenceFlag.objects.get().event.event_id == "E-ROBBERY"


def test_the_newest_runs_harm_table_decides_what_is_violent(world, group):
    """A programme whose table counts burglary as violent and this assault's code (5A) as not
    gets flags for exactly what its selection criteria counted."""
    narrowed = Violence(classified_codes=frozenset({"5A"}), violent_codes=frozenset(),
                        violent_categories=frozenset({"burglary"}))
    run = make_run([])
    run.violence = narrowed.to_json()
    run.save()
    make_event("E-ASSAULT", world.active, days_ago=2)  # 5A, violence and sexual offences
    make_event("E-BURGLARY", world.active, category="burglary", days_ago=2)
    assert group_response.raise_flags() == 1
    assert GroupViolenceFlag.objects.get().event.event_id == "E-BURGLARY"
    assert current_violence() == narrowed


def test_violence_by_a_member_after_acceptance_is_flagged_once(world, group):
    event = make_event("E-NEW-STABBING", world.active, days_ago=2)
    assert group_response.raise_flags() == 1
    flag = GroupViolenceFlag.objects.get()
    assert (flag.group, flag.event, flag.person, flag.status) == (group, event, world.active,
                                                                  "open")
    assert group_response.raise_flags() == 0
    assert group_response.raise_flags(world.programme) == 0
    assert GroupViolenceFlag.objects.count() == 1
    row = AuditEvent.objects.get(action="raise_group_flags")
    assert row.actor_name == "system" and row.detail["events"] == [event.pk]


@pytest.mark.parametrize("category", ["robbery", "possession of weapons", "Robbery"])
def test_each_violent_category_counts(world, group, category):
    make_event("E-V", world.stepped_down, category=category, days_ago=1)
    assert group_response.raise_flags() == 1


def test_what_is_not_flagged(world, group):
    make_event("E-BEFORE", world.active, days_ago=20)  # before the group was accepted
    make_event("E-BURGLARY", world.active, category="burglary", days_ago=2)
    make_event("E-AS-VICTIM", world.active, role="victim", days_ago=2)
    make_event("E-WITNESS", world.active, role="witness", days_ago=2)
    make_event("E-EXITED", world.exited, days_ago=2)  # no longer a member
    outsider = make_person("P-OUTSIDER")
    make_entry(world.programme, outsider)
    make_event("E-OUTSIDER", outsider, days_ago=2)  # in the cohort, not in the group
    assert group_response.raise_flags() == 0
    assert not GroupViolenceFlag.objects.exists()


def test_an_offender_role_is_flagged_too(world, group):
    make_event("E-OFFENDER", world.active, role="offender", days_ago=2)
    assert group_response.raise_flags() == 1


@pytest.mark.parametrize("status", ["proposed", "deferred", "stepped_down", "exited"])
def test_groups_that_are_not_active_are_not_flagged(world, group, status):
    CohortGroup.objects.filter(pk=group.pk).update(status=status)
    make_event("E-LATER", world.active, days_ago=2)
    assert group_response.raise_flags() == 0


def test_a_group_without_a_decision_time_is_not_flagged(world, group):
    CohortGroup.objects.filter(pk=group.pk).update(decided_at=None)
    make_event("E-LATER", world.active, days_ago=2)
    assert group_response.raise_flags() == 0


def test_two_members_in_one_event_raise_one_flag(world, group):
    event = make_event("E-BOTH", world.active, days_ago=2)
    event.involvements.create(person=world.stepped_down, role="suspect")
    assert group_response.raise_flags() == 1
    assert GroupViolenceFlag.objects.get().event == event


def test_one_event_flags_each_group_it_involves(world, group):
    other = active_group(world, label="G2", members=[world.proposed])
    CohortEntry.objects.filter(pk=entry_of(world, world.proposed).pk).update(status="active")
    event = make_event("E-RIVALS", world.active, days_ago=2)
    event.involvements.create(person=world.proposed, role="suspect")
    assert group_response.raise_flags() == 2
    assert set(GroupViolenceFlag.objects.values_list("group", flat=True)) == {group.pk, other.pk}


def test_only_the_given_programmes_groups_are_flagged(world, group):
    make_event("E-LATER", world.active, days_ago=2)
    assert group_response.raise_flags(world.police_only_programme) == 0
    assert group_response.raise_flags(world.programme) == 1


def test_a_failed_analysis_run_raises_no_flags(world, group, monkeypatch):
    from deter.web.ingest import runs

    calls = []
    monkeypatch.setattr(runs.group_response, "raise_flags", lambda: calls.append(1) or 0)
    monkeypatch.setattr(runs, "analyse", lambda *a, **k: (_ for _ in ()).throw(RuntimeError()))
    with pytest.raises(RuntimeError):
        runs.run_analysis()
    assert calls == []


# --- responding ------------------------------------------------------------------------------


@pytest.fixture
def flag(world, group):
    make_event("E-LATER", world.active, days_ago=2)
    group_response.raise_flags()
    return GroupViolenceFlag.objects.get()


@pytest.mark.parametrize("who", ["coordinator", "caseworker"])  # the caseworker is the lead
def test_the_coordinator_and_lead_professional_respond(world, flag, who):
    group_response.respond_to_flag(getattr(world, who), flag, "responding", "Visits planned")
    group_response.respond_to_flag(getattr(world, who), flag, "done",
                                   "Every member visited within 48 hours")
    flag.refresh_from_db()
    assert (flag.status, flag.response, flag.responded_by) == (
        "done", "Every member visited within 48 hours", getattr(world, who))
    rows = AuditEvent.objects.filter(action="respond_to_flag").order_by("pk")
    assert [r.detail["status"] for r in rows] == ["responding", "done"]
    assert rows[1].detail["before"]["response"] == "Visits planned"


@pytest.mark.parametrize("who", ["analyst", "partner", "stranger"])
def test_others_may_not_respond(world, flag, who):
    with pytest.raises(PermissionDenied):
        group_response.respond_to_flag(getattr(world, who), flag, "done", "Done")
    flag.refresh_from_db()
    assert flag.status == "open"
    assert AuditEvent.objects.filter(action="respond_to_flag", outcome="denied").exists()


def test_a_caseworker_who_is_not_the_lead_may_not_respond(world, flag):
    CohortGroup.objects.filter(pk=flag.group_id).update(lead_professional=world.analyst)
    flag.refresh_from_db()
    with pytest.raises(PermissionDenied):
        group_response.respond_to_flag(world.caseworker, flag, "done", "Done")


@pytest.mark.parametrize(("status", "response", "field"), [
    ("done", "   ", "response"), ("finished", "Done", "status"),
])
def test_bad_responses_are_refused(world, flag, status, response, field):
    with pytest.raises(ValidationError) as error:
        group_response.respond_to_flag(world.coordinator, flag, status, response)
    assert field in error.value.message_dict
    flag.refresh_from_db()
    assert flag.status == "open" and flag.response == ""


def test_the_response_form(client, world, flag):
    client.force_login(world.coordinator)
    url = reverse("flag_respond", args=[flag.pk])
    prefix = f"flag-{flag.pk}"
    response = client.post(url, {f"{prefix}-status": "done", f"{prefix}-response": ""})
    assert response.status_code == 400
    assert "Describe the response that was delivered" in response.content.decode()
    response = client.post(url, {f"{prefix}-status": "done",
                                 f"{prefix}-response": "Patrols and visits done"})
    assert response.status_code == 302
    assert reverse("group_plan", args=[world.programme.pk, flag.group_id]) in response["Location"]
    flag.refresh_from_db()
    assert flag.status == "done"


@pytest.mark.parametrize("who", ["partner", "stranger"])
def test_the_response_form_is_a_404_to_those_who_cannot_see_the_group(client, world, flag, who):
    client.force_login(getattr(world, who))
    prefix = f"flag-{flag.pk}"
    response = client.post(reverse("flag_respond", args=[flag.pk]),
                           {f"{prefix}-status": "done", f"{prefix}-response": "x"})
    assert response.status_code == 404


def test_the_analyst_sees_the_group_but_the_form_refuses_them(client, world, flag):
    client.force_login(world.analyst)
    prefix = f"flag-{flag.pk}"
    response = client.post(reverse("flag_respond", args=[flag.pk]),
                           {f"{prefix}-status": "done", f"{prefix}-response": "x"})
    assert response.status_code == 403


# --- the group page's include and group interventions -----------------------------------------


def render_casework(user, group):
    request = RequestFactory().get("/")
    request.user = user
    return render_to_string("deter/programme/group_casework.html", {"group": group},
                            request=request)


def test_the_include_shows_flags_with_the_form_to_those_who_respond(world, flag):
    html = render_casework(world.coordinator, flag.group)
    assert "E-LATER" in html and "P-ACTIVE" in html and "1 awaiting a response" in html
    assert reverse("flag_respond", args=[flag.pk]) in html
    assert "Add a group intervention" in html
    html = render_casework(world.analyst, flag.group)
    assert "E-LATER" in html and reverse("flag_respond", args=[flag.pk]) not in html
    assert "Add a group intervention" not in html
    assert "E-LATER" not in render_casework(world.partner, flag.group)


def test_a_coordinator_adds_a_group_intervention(client, world, group):
    client.force_login(world.coordinator)
    url = reverse("group_intervention_add", args=[world.programme.pk, group.pk])
    data = {"group-intervention-kind": "enforcement", "group-intervention-category":
            "hotspot_operation", "group-intervention-title": "Patrols at the group's places",
            "group-intervention-agency": world.police.pk, "group-intervention-status": "active"}
    response = client.post(url, data)
    assert response.status_code == 302
    intervention = Intervention.objects.get()
    assert (intervention.group, intervention.person, intervention.category) == (
        group, None, "hotspot_operation")
    assert "Patrols at the group" in render_casework(world.coordinator, group)
    response = client.post(url, {**data, "group-intervention-title": "",
                                 "group-intervention-category": "mentoring"})
    assert response.status_code == 400
    text = response.content.decode()
    assert "Enter what is offered or done" in text
    assert "Mentoring by someone with lived experience is not a kind of enforcement" in text
    assert Intervention.objects.count() == 1


@pytest.mark.parametrize(("who", "status"), [("analyst", 403), ("partner", 404),
                                              ("stranger", 404)])
def test_others_may_not_add_group_interventions(client, world, group, who, status):
    CohortGroup.objects.filter(pk=group.pk).update(lead_professional=None)
    client.force_login(getattr(world, who))
    response = client.post(reverse("group_intervention_add", args=[world.programme.pk, group.pk]),
                           {"group-intervention-kind": "community"})
    assert response.status_code == status
    assert not Intervention.objects.exists()


def test_open_flags_are_listed_on_the_delivery_page(client, world, flag):
    client.force_login(world.analyst)
    text = client.get(reverse("programme_delivery", args=[world.programme.pk])).content.decode()
    assert "Group violence awaiting a response (1)" in text and "E-LATER" in text
    group_response.respond_to_flag(world.coordinator, flag, "done", "Done")
    text = client.get(reverse("programme_delivery", args=[world.programme.pk])).content.decode()
    assert "Group violence awaiting a response (0)" in text


def test_open_flags_respect_group_visibility(world, flag):
    assert list(policy.flags.open_in(world.coordinator, world.programme)) == [flag]
    assert list(policy.flags.open_in(world.partner, world.programme)) == []
    assert list(policy.flags.open_in(world.stranger, world.programme)) == []


def test_an_import_of_new_violence_raises_the_flag(world, group):
    import polars as pl

    from deter.analysis.extract import Extract
    from deter.web.ingest.importer import load_extract

    when = timezone.now() - timedelta(days=1)
    extract = Extract.from_frames(
        events=pl.DataFrame({"event_id": ["E-IMPORTED"], "occurred_at": [when],
                             "offence_category": ["violence and sexual offences"]}),
        involvements=pl.DataFrame({"event_id": ["E-IMPORTED"], "person_id": ["P-ACTIVE"],
                                   "role": ["suspect"]}),
    )
    load_extract(extract, source="nightly")
    flag = GroupViolenceFlag.objects.get()
    assert (flag.event.event_id, flag.person, flag.group) == ("E-IMPORTED", world.active, group)


def test_the_group_page_shows_the_flags_and_errors_in_place(client, world, flag):
    client.force_login(world.coordinator)
    page = client.get(reverse("group_plan", args=[world.programme.pk, flag.group_id]))
    assert page.status_code == 200
    text = page.content.decode()
    assert 'id="group-response"' in text and "E-LATER" in text
    prefix = f"flag-{flag.pk}"
    response = client.post(reverse("flag_respond", args=[flag.pk]),
                           {f"{prefix}-status": "done", f"{prefix}-response": ""})
    text = response.content.decode()
    assert response.status_code == 400
    assert "There is a problem" in text and "Describe the response that was delivered" in text
    assert 'id="group-response"' in text

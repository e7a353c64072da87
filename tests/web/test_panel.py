"""The programme pages: list, overview, panel, a person's plan and a group's plan, by role."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from deter.web.models import (
    AnalysisRun,
    AuditEvent,
    CohortDecision,
    CohortEntry,
    CohortGroup,
    Meeting,
    PersonScore,
)

from .factories import make_entry, make_event, make_person, make_run

ROLES = ["analyst", "coordinator", "caseworker", "partner", "stranger", "superuser"]


def soon(days: int = 30):
    return timezone.localdate() + timedelta(days=days)


def entry_of(world, person) -> CohortEntry:
    return CohortEntry.objects.get(programme=world.programme, person=person)


def date_parts(prefix: str, day) -> dict:
    if day is None:
        return {f"{prefix}_day": "", f"{prefix}_month": "", f"{prefix}_year": ""}
    return {f"{prefix}_day": str(day.day), f"{prefix}_month": str(day.month),
            f"{prefix}_year": str(day.year)}


def decision(prefix: str, to_status: str, *, reason="Agreed by the panel", lead=None,
             review=None, meeting="") -> dict:
    return {
        f"{prefix}-to_status": to_status, f"{prefix}-reason": reason,
        f"{prefix}-lead_professional": str(lead.pk) if lead else "",
        f"{prefix}-meeting": str(meeting.pk) if meeting else "",
        **date_parts(f"{prefix}-review_date", review),
    }


@pytest.fixture
def group(world):
    cohort_group = CohortGroup.objects.create(programme=world.programme, label="G1",
                                              review_date=soon(10), rationale="Found by run")
    CohortEntry.objects.filter(person__in=[world.active, world.proposed]).update(
        group=cohort_group)
    return cohort_group


@pytest.fixture
def panel_meeting(world):
    return Meeting.objects.create(programme=world.programme, kind="panel",
                                  title="March panel", held_at=timezone.now(),
                                  created_by=world.coordinator)


# --- programmes list and overview -------------------------------------------------------------


def test_the_list_shows_the_users_programmes(client, world):
    client.force_login(world.analyst)
    page = client.get(reverse("programmes")).content.decode()
    assert "Knife crime" in page and "Drug market" in page
    client.force_login(world.coordinator)
    page = client.get(reverse("programmes")).content.decode()
    assert "Knife crime" in page and "Drug market" not in page
    assert 'href="/programmes/"' in page  # the navigation item


def test_the_stranger_has_no_programmes_and_no_navigation_item(client, world):
    client.force_login(world.stranger)
    page = client.get(reverse("programmes")).content.decode()
    assert "Your agency is not a partner in any programme" in page
    assert 'href="/programmes/"' not in client.get(reverse("cohort")).content.decode()


def test_the_overview_shows_the_programme_counts_and_overdue_reviews(client, world):
    CohortEntry.objects.filter(person=world.active).update(review_date=soon(-3))
    CohortEntry.objects.filter(person=world.exited).update(review_date=soon(-3))
    client.force_login(world.coordinator)
    response = client.get(reverse("programme", args=[world.programme.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Knife crime problem" in page and "Testshire" in page
    assert "Northgate School" in page and "Testshire VRU" in page
    assert '<dd class="govuk-summary-list__value" data-status="proposed">1</dd>' in page
    assert '<dd class="govuk-summary-list__value" data-status="active">1</dd>' in page
    overdue = page.split('id="overdue"')[1].split("</table>")[0]
    assert "P-ACTIVE" in overdue and "Overdue" in overdue
    assert "P-EXITED" not in overdue  # an exited person has no review
    assert "Bring proposals from the latest analysis" in page
    assert "Open the panel" in page
    row = AuditEvent.objects.get(action="view_programme")
    assert row.detail["overdue_people"] == [world.active.pk]


def test_a_partner_sees_the_overview_without_proposals_panel_or_groups(client, world, group):
    client.force_login(world.partner)
    page = client.get(reverse("programme", args=[world.programme.pk])).content.decode()
    assert '<dd class="govuk-summary-list__value" data-status="proposed">0</dd>' in page
    assert '<dd class="govuk-summary-list__value" data-status="active">1</dd>' in page
    assert "Open the panel" not in page and "Bring proposals" not in page
    assert 'id="groups"' not in page


@pytest.mark.parametrize("role", ["stranger", "superuser"])
def test_outsiders_get_a_404_for_the_overview(client, world, role):
    client.force_login(getattr(world, role))
    assert client.get(reverse("programme", args=[world.programme.pk])).status_code == 404
    assert AuditEvent.objects.get(action="view_programme").outcome == "denied"


def test_a_programme_that_does_not_exist_is_a_404(client, world):
    client.force_login(world.coordinator)
    assert client.get(reverse("programme", args=[999999])).status_code == 404
    assert client.get("/programmes/99999999999999999999999/").status_code == 404


# --- bringing proposals -----------------------------------------------------------------------


@pytest.fixture
def proposals(world):
    PersonScore.objects.filter(run=world.run, person=world.unlisted).update(
        proposed=True, group_label="G3", criteria_met=["violent offence in 24 months"])
    return world.run


def test_the_coordinator_brings_proposals_to_the_panel(client, world, proposals):
    client.force_login(world.coordinator)
    response = client.post(reverse("bring_proposals", args=[world.programme.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("panel", args=[world.programme.pk])
    assert entry_of(world, world.unlisted).status == "proposed"
    page = client.get(response["Location"]).content.decode()
    assert f"1 person brought to the panel from analysis run {proposals.pk}" in page
    assert "P-UNLISTED" in page and "violent offence in 24 months" in page
    again = client.post(reverse("bring_proposals", args=[world.programme.pk]))
    assert "proposes nobody" in client.get(again["Location"]).content.decode()
    assert CohortEntry.objects.filter(person=world.unlisted).count() == 1


def test_bringing_proposals_without_a_complete_run_says_so(client, world):
    AnalysisRun.objects.update(status="failed")
    client.force_login(world.coordinator)
    response = client.post(reverse("bring_proposals", args=[world.programme.pk]), follow=True)
    assert "There is no complete analysis run" in response.content.decode()


@pytest.mark.parametrize(("role", "status"), [
    ("analyst", 403), ("caseworker", 403), ("partner", 403), ("stranger", 404),
])
def test_only_the_coordinator_brings_proposals(client, world, proposals, role, status):
    client.force_login(getattr(world, role))
    response = client.post(reverse("bring_proposals", args=[world.programme.pk]))
    assert response.status_code == status
    assert not CohortEntry.objects.filter(person=world.unlisted).exists()
    assert AuditEvent.objects.filter(action="propose_from_run", outcome="denied").count() == 1


def test_bringing_proposals_is_a_post(client, world):
    client.force_login(world.coordinator)
    assert client.get(reverse("bring_proposals", args=[world.programme.pk])).status_code == 405


# --- the panel --------------------------------------------------------------------------------


def test_the_coordinator_sees_proposals_with_their_explanation_and_decision_forms(
    client, world, group
):
    client.force_login(world.coordinator)
    response = client.get(reverse("panel", args=[world.programme.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    people = page.split('id="people"')[1].split('id="groups"')[0]
    assert "P-PROPOSED" in people
    assert "P-ACTIVE" not in people and "P-STEPPED" not in people and "P-EXITED" not in people
    assert "Robbery" in people  # the top harm event behind the score
    entry = entry_of(world, world.proposed)
    decide_at = reverse("panel_decide_person", args=[world.programme.pk, entry.pk])
    assert f'href="{decide_at}?back=' in people and "Accept into the cohort" not in people
    assert "Group G1" in page.split('id="groups"')[1]
    row = AuditEvent.objects.get(action="view_panel")
    assert row.detail["people"] == [world.proposed.pk] and row.detail["groups"] == [group.pk]
    # the decision is on the person's own panel page, with the same facts
    own = client.get(decide_at)
    assert own.status_code == 200
    text = own.content.decode()
    assert "Decision about P-PROPOSED" in text and "Robbery" in text
    assert "Accept into the cohort" in text and "Record the decision" in text
    viewed = AuditEvent.objects.get(action="view_panel_decision")
    assert (viewed.object_type, viewed.object_id) == ("cohort_entry", str(entry.pk))


def test_deferred_people_are_on_the_panel_with_their_own_decisions(client, world):
    CohortEntry.objects.filter(person=world.stepped_down).update(status="deferred")
    client.force_login(world.coordinator)
    page = client.get(reverse("panel", args=[world.programme.pk])).content.decode()
    assert "P-STEPPED" in page
    entry = entry_of(world, world.stepped_down)
    own = client.get(reverse("panel_decide_person", args=[world.programme.pk, entry.pk]))
    assert "Return to the proposals" in own.content.decode()


def test_the_analyst_sees_the_panel_but_no_decision_forms(client, world):
    client.force_login(world.analyst)
    page = client.get(reverse("panel", args=[world.programme.pk])).content.decode()
    assert "P-PROPOSED" in page
    assert "Only the programme coordinator records decisions" in page
    assert "Record a decision" not in page
    entry = entry_of(world, world.proposed)
    response = client.get(reverse("panel_decide_person", args=[world.programme.pk, entry.pk]))
    assert response.status_code == 403


@pytest.mark.parametrize("role", ["caseworker", "partner", "stranger", "superuser"])
def test_others_get_a_404_for_the_panel(client, world, role):
    client.force_login(getattr(world, role))
    response = client.get(reverse("panel", args=[world.programme.pk]))
    assert response.status_code == 404
    assert "P-PROPOSED" not in response.content.decode()
    assert AuditEvent.objects.get(action="view_panel").outcome == "denied"


def test_signed_out_users_are_sent_to_sign_in(client, world):
    response = client.get(reverse("panel", args=[world.programme.pk]))
    assert response.status_code == 302 and "/sign-in/" in response["Location"]


def test_the_coordinator_accepts_a_person_on_the_panel(client, world):
    entry = entry_of(world, world.proposed)
    client.force_login(world.coordinator)
    response = client.post(
        reverse("panel_decide_person", args=[world.programme.pk, entry.pk]),
        decision(f"person-{entry.pk}", "active", reason="Two robberies with a knife",
                 lead=world.caseworker, review=soon(90)))
    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.status, entry.lead_professional, entry.review_date) == (
        "active", world.caseworker, soon(90))
    assert entry.rationale == "Two robberies with a knife"
    page = client.get(response["Location"]).content.decode()
    assert "P-PROPOSED: accept into the cohort" in page
    assert AuditEvent.objects.get(action="decide").outcome == "allowed"


def test_the_panel_shows_each_missing_field_and_saves_nothing(client, world):
    entry = entry_of(world, world.proposed)
    client.force_login(world.coordinator)
    response = client.post(
        reverse("panel_decide_person", args=[world.programme.pk, entry.pk]),
        decision(f"person-{entry.pk}", "active", reason="", review=None))
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page
    for message in ("Enter the rationale for accepting", "Select the lead professional",
                    "Enter the review date"):
        assert message in page
    assert f'href="#id_person-{entry.pk}-reason"' in page  # the summary links to the field
    entry.refresh_from_db()
    assert entry.status == "proposed"
    assert not CohortDecision.objects.exists()


@pytest.mark.parametrize(("changes", "message"), [
    ({"to_status": "exited"}, "Select one of the decisions offered"),
    ({"to_status": ""}, "Select the decision"),
    ({"review": "31-2"}, "Review date must be a real date"),
    ({"lead": "nobody"}, "Select a valid choice"),
])
def test_bad_panel_input_is_a_400_naming_the_field(client, world, changes, message):
    entry = entry_of(world, world.proposed)
    prefix = f"person-{entry.pk}"
    data = decision(prefix, changes.get("to_status", "deferred"), review=soon(7))
    if changes.get("review") == "31-2":
        data |= {f"{prefix}-review_date_day": "31", f"{prefix}-review_date_month": "2"}
    if changes.get("lead") == "nobody":
        data[f"{prefix}-lead_professional"] = "999999"
    client.force_login(world.coordinator)
    response = client.post(
        reverse("panel_decide_person", args=[world.programme.pk, entry.pk]), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not CohortDecision.objects.exists()


def test_a_refused_transition_is_shown_naming_both_statuses(client, world):
    CohortEntry.objects.filter(person=world.stepped_down).update(status="deferred")
    entry = entry_of(world, world.stepped_down)
    prefix = f"person-{entry.pk}"
    client.force_login(world.coordinator)
    form_page = client.get(reverse("panel", args=[world.programme.pk]))
    assert form_page.status_code == 200
    CohortEntry.objects.filter(pk=entry.pk).update(status="rejected")  # decided elsewhere
    response = client.post(
        reverse("panel_decide_person", args=[world.programme.pk, entry.pk]),
        decision(prefix, "deferred", review=soon(7)))
    # the entry is no longer before the panel: its decision form offers only re-proposal
    assert response.status_code == 400
    assert "Select one of the decisions offered" in response.content.decode()


def test_the_analyst_may_not_decide(client, world):
    entry = entry_of(world, world.proposed)
    client.force_login(world.analyst)
    response = client.post(
        reverse("panel_decide_person", args=[world.programme.pk, entry.pk]),
        decision(f"person-{entry.pk}", "rejected"))
    assert response.status_code == 403
    assert entry_of(world, world.proposed).status == "proposed"
    assert AuditEvent.objects.get(action="decide").outcome == "denied"


@pytest.mark.parametrize("role", ["caseworker", "partner", "stranger"])
def test_others_may_not_post_panel_decisions(client, world, role):
    entry = entry_of(world, world.proposed)
    client.force_login(getattr(world, role))
    response = client.post(
        reverse("panel_decide_person", args=[world.programme.pk, entry.pk]),
        decision(f"person-{entry.pk}", "rejected"))
    assert response.status_code == 404
    assert entry_of(world, world.proposed).status == "proposed"


def test_an_entry_of_another_programme_is_a_404_on_this_panel(client, world):
    other = CohortEntry.objects.get(person=world.police_only)
    client.force_login(world.analyst)
    response = client.post(
        reverse("panel_decide_person", args=[world.programme.pk, other.pk]),
        decision(f"person-{other.pk}", "exited"))
    assert response.status_code == 404


def test_decisions_are_recorded_against_the_panel_meeting(client, world, panel_meeting):
    entry = entry_of(world, world.proposed)
    client.force_login(world.coordinator)
    url = reverse("panel", args=[world.programme.pk]) + f"?meeting={panel_meeting.pk}"
    page = client.get(url).content.decode()
    assert "March panel" in page
    decide_at = reverse("panel_decide_person", args=[world.programme.pk, entry.pk])
    link = re.search(rf'href="({re.escape(decide_at)}\?[^"]+)"', page).group(1)
    own = client.get(link.replace("&amp;", "&")).content.decode()
    assert "March panel" in own
    assert f'name="person-{entry.pk}-meeting" value="{panel_meeting.pk}"' in own
    response = client.post(
        decide_at,
        decision(f"person-{entry.pk}", "deferred", review=soon(14), meeting=panel_meeting))
    assert response["Location"] == url + "#people"
    assert CohortDecision.objects.get().meeting == panel_meeting


@pytest.mark.parametrize("which", ["other_programme", "call_in", "garbage", "missing"])
def test_a_meeting_that_is_not_this_programmes_panel_is_a_404(client, world, which):
    meeting = Meeting.objects.create(
        programme=world.police_only_programme if which == "other_programme" else world.programme,
        kind="call_in" if which == "call_in" else "panel", title="Other",
        held_at=timezone.now(), created_by=world.coordinator)
    raw = {"garbage": "abc", "missing": "99999999"}.get(which, meeting.pk)
    client.force_login(world.coordinator)
    response = client.get(reverse("panel", args=[world.programme.pk]) + f"?meeting={raw}")
    assert response.status_code == 404


def test_the_coordinator_decides_about_a_group_on_the_panel(client, world, group):
    client.force_login(world.coordinator)
    response = client.post(
        reverse("panel_decide_group", args=[world.programme.pk, group.pk]),
        decision(f"group-{group.pk}", "active", reason="Rivalry with G2 behind two stabbings",
                 lead=world.analyst, review=soon(60)))
    assert response.status_code == 302
    group.refresh_from_db()
    assert group.status == "active" and group.lead_professional == world.analyst
    assert entry_of(world, world.proposed).status == "proposed"  # members unchanged


def test_a_bad_group_decision_is_a_400(client, world, group):
    client.force_login(world.coordinator)
    response = client.post(
        reverse("panel_decide_group", args=[world.programme.pk, group.pk]),
        decision(f"group-{group.pk}", "rejected", reason=""))
    assert response.status_code == 400
    assert "Enter the reason for the decision" in response.content.decode()
    group.refresh_from_db()
    assert group.status == "proposed"


def test_the_panel_query_count_does_not_grow_with_the_proposals(
    client, world, group, django_assert_max_num_queries
):
    CohortGroup.objects.filter(pk=group.pk).update(proposed_by_run=world.run)
    client.force_login(world.coordinator)
    url = reverse("panel", args=[world.programme.pk])
    client.get(url)  # warm the session and content types

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    few = count()
    people = []
    for i in range(25):
        person = make_person(f"P-MANY-{i:02}")
        make_event(f"E-MANY-{i:02}", person, category="robbery", days_ago=10 + i)
        make_entry(world.programme, person, status="proposed" if i % 2 else "deferred")
        people.append(person)
    make_run(people, group_of={p.person_id: "G1" for p in people})
    for i in range(5):
        CohortGroup.objects.create(programme=world.programme, label=f"GX{i}",
                                   proposed_by_run=AnalysisRun.objects.first())
    many = count()
    assert many == few
    with django_assert_max_num_queries(few):
        client.get(url)


# --- a person's plan --------------------------------------------------------------------------


def test_the_plan_shows_status_history_newest_first_and_the_person_link(client, world):
    entry = entry_of(world, world.proposed)
    CohortDecision.objects.create(entry=entry, from_status="", to_status="proposed",
                                  reason="Proposed by analysis run 1",
                                  decided_by=world.coordinator)
    CohortDecision.objects.create(entry=entry, from_status="proposed", to_status="deferred",
                                  reason="Waiting for the school's view",
                                  decided_by=world.coordinator)
    client.force_login(world.coordinator)
    response = client.get(reverse("entry_plan", args=[entry.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert page.index("Waiting for the school") < page.index("Proposed by analysis run 1")
    assert f'href="/people/{world.proposed.pk}/"' in page
    assert "Change the status" in page and "Change the plan" in page
    assert AuditEvent.objects.get(action="view_plan").object_id == str(entry.pk)


def test_an_active_plan_without_support_or_consequence_warns(client, world):
    entry = entry_of(world, world.active)
    client.force_login(world.coordinator)
    page = client.get(reverse("entry_plan", args=[entry.pk])).content.decode()
    assert "must have a defined support offer and a defined consequence" in page
    assert "Both are missing" in page
    CohortEntry.objects.filter(pk=entry.pk).update(support_offer="Mentoring")
    page = client.get(reverse("entry_plan", args=[entry.pk])).content.decode()
    assert "The consequence of further violence is missing" in page
    CohortEntry.objects.filter(pk=entry.pk).update(enforcement_consequence="Prosecution")
    page = client.get(reverse("entry_plan", args=[entry.pk])).content.decode()
    assert "must have a defined support offer" not in page


def test_a_proposed_plan_does_not_warn_about_support(client, world):
    client.force_login(world.coordinator)
    page = client.get(reverse("entry_plan", args=[entry_of(world, world.proposed).pk]))
    assert "must have a defined support offer" not in page.content.decode()


def test_an_overdue_review_is_flagged_red(client, world):
    entry = entry_of(world, world.active)
    CohortEntry.objects.filter(pk=entry.pk).update(review_date=soon(-1))
    client.force_login(world.caseworker)
    page = client.get(reverse("entry_plan", args=[entry.pk])).content.decode()
    review = page.split('id="review-date"')[1].split("</dd>")[0]
    assert 'govuk-tag--red">Review overdue' in review


@pytest.mark.parametrize(("role", "person", "status"), [
    ("analyst", "proposed", 200), ("coordinator", "exited", 200),
    ("caseworker", "active", 200), ("caseworker", "stepped_down", 200),
    ("caseworker", "proposed", 404), ("caseworker", "exited", 404),
    ("partner", "active", 200), ("partner", "proposed", 404),
    ("stranger", "active", 404), ("superuser", "active", 404),
])
def test_who_sees_a_plan(client, world, role, person, status):
    client.force_login(getattr(world, role))
    entry = entry_of(world, getattr(world, person))
    assert client.get(reverse("entry_plan", args=[entry.pk])).status_code == status
    if status == 404:
        assert AuditEvent.objects.get(action="view_plan").outcome == "denied"


@pytest.mark.parametrize("role", ["analyst", "caseworker", "partner"])
def test_without_a_role_in_it_the_plan_is_read_only(client, world, role):
    client.force_login(getattr(world, role))
    page = client.get(reverse("entry_plan", args=[entry_of(world, world.active).pk]))
    assert "Change the status" not in page.content.decode()
    assert "Change the plan" not in page.content.decode()


def test_the_lead_professional_edits_the_plan(client, world):
    entry = entry_of(world, world.active)
    CohortEntry.objects.filter(pk=entry.pk).update(lead_professional=world.caseworker)
    client.force_login(world.caseworker)
    page = client.get(reverse("entry_plan", args=[entry.pk])).content.decode()
    assert "Change the plan" in page and "Change the status" not in page
    response = client.post(reverse("entry_plan_update", args=[entry.pk]), {
        "plan-support_offer": "Boxing club; college application",
        "plan-enforcement_consequence": "Swift prosecution for any knife offence",
        "plan-lead_professional": str(world.caseworker.pk),
        **date_parts("plan-review_date", entry.review_date),
        "plan-safeguarding": "child_in_need",
        "plan-safeguarding_lead": str(world.caseworker.pk),
    })
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.support_offer == "Boxing club; college application"
    assert entry.safeguarding == "child_in_need"
    page = client.get(response["Location"]).content.decode()
    assert "Plan saved" in page and "Child in need" in page


def test_a_bad_plan_is_a_400_and_saves_nothing(client, world):
    entry = entry_of(world, world.active)
    client.force_login(world.coordinator)
    response = client.post(reverse("entry_plan_update", args=[entry.pk]), {
        "plan-support_offer": "Mentoring", "plan-enforcement_consequence": "",
        "plan-lead_professional": "", **date_parts("plan-review_date", soon(-5)),
        "plan-safeguarding": "contextual", "plan-safeguarding_lead": "",
    })
    assert response.status_code == 400
    page = response.content.decode()
    for message in ("Select the lead professional", "The review date must be in the future",
                    "Select the safeguarding lead"):
        assert message in page
    entry.refresh_from_db()
    assert entry.support_offer == ""


def test_safeguarding_is_not_offered_for_an_adult(client, world):
    adult = make_person("P-ADULT", age=30)
    entry = make_entry(world.programme, adult)
    client.force_login(world.coordinator)
    page = client.get(reverse("entry_plan", args=[entry.pk])).content.decode()
    assert "Change the plan" in page and "Safeguarding status" not in page


@pytest.mark.parametrize("role", ["analyst", "caseworker", "partner"])
def test_others_may_not_post_a_plan(client, world, role):
    entry = entry_of(world, world.active)
    client.force_login(getattr(world, role))
    response = client.post(reverse("entry_plan_update", args=[entry.pk]),
                           {"plan-support_offer": "x"})
    assert response.status_code == 403
    assert AuditEvent.objects.get(action="update_plan").outcome == "denied"


def test_the_coordinator_steps_a_person_down_from_the_plan_page(client, world):
    entry = entry_of(world, world.active)
    client.force_login(world.coordinator)
    response = client.post(reverse("entry_decision", args=[entry.pk]),
                           decision("status", "stepped_down", reason="No offences in 6 months",
                                    review=soon(90)))
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.status == "stepped_down"
    page = client.get(response["Location"]).content.decode()
    assert "Decision recorded: step down" in page and "No offences in 6 months" in page
    assert "Re-activate" in page  # the next decisions offered


def test_exiting_needs_a_reason_on_the_plan_page(client, world):
    entry = entry_of(world, world.active)
    client.force_login(world.coordinator)
    response = client.post(reverse("entry_decision", args=[entry.pk]),
                           decision("status", "exited", reason=""))
    assert response.status_code == 400
    assert "Enter the reason for the decision" in response.content.decode()
    assert entry_of(world, world.active).status == "active"


def test_an_exited_plan_offers_no_decision(client, world):
    client.force_login(world.coordinator)
    page = client.get(reverse("entry_plan", args=[entry_of(world, world.exited).pk]))
    assert "Change the status" not in page.content.decode()


@pytest.mark.parametrize(("role", "status"), [("analyst", 403), ("caseworker", 403),
                                              ("partner", 403), ("stranger", 404)])
def test_only_the_coordinator_changes_a_status_from_the_plan_page(client, world, role, status):
    entry = entry_of(world, world.active)
    client.force_login(getattr(world, role))
    response = client.post(reverse("entry_decision", args=[entry.pk]),
                           decision("status", "exited", reason="Moved away"))
    assert response.status_code == status
    assert entry_of(world, world.active).status == "active"


# --- a group's plan ---------------------------------------------------------------------------


def test_the_coordinator_sees_the_groups_plan_and_members(client, world, group):
    client.force_login(world.coordinator)
    response = client.get(reverse("group_plan", args=[world.programme.pk, group.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    members = page.split('id="members"')[1].split("</table>")[0]
    assert "P-ACTIVE" in members and "P-PROPOSED" in members and "P-STEPPED" not in members
    assert "Change the group's plan" in page
    row = AuditEvent.objects.get(action="view_group_plan")
    assert sorted(row.detail["people"]) == sorted([world.active.pk, world.proposed.pk])


def test_a_caseworker_sees_an_active_group_with_only_engaged_members(client, world, group):
    client.force_login(world.caseworker)
    url = reverse("group_plan", args=[world.programme.pk, group.pk])
    assert client.get(url).status_code == 404  # a proposed group is not theirs to see
    CohortGroup.objects.filter(pk=group.pk).update(status="active")
    page = client.get(url).content.decode()
    members = page.split('id="members"')[1].split("</table>")[0]
    assert "P-ACTIVE" in members and "P-PROPOSED" not in members
    assert "Change the status" not in page


@pytest.mark.parametrize("role", ["partner", "stranger", "superuser"])
def test_partners_and_outsiders_do_not_see_groups(client, world, group, role):
    CohortGroup.objects.filter(pk=group.pk).update(status="active")
    client.force_login(getattr(world, role))
    response = client.get(reverse("group_plan", args=[world.programme.pk, group.pk]))
    assert response.status_code == 404
    assert AuditEvent.objects.get(action="view_group_plan").outcome == "denied"


def test_a_group_under_another_programmes_address_is_a_404(client, world, group):
    client.force_login(world.analyst)
    response = client.get(reverse("group_plan", args=[world.police_only_programme.pk,
                                                      group.pk]))
    assert response.status_code == 404


def test_the_coordinator_records_the_group_response(client, world, group):
    client.force_login(world.coordinator)
    response = client.post(reverse("group_plan_update", args=[world.programme.pk, group.pk]), {
        "plan-group_response": "Any violence by a member: warrants and patrols for all",
        "plan-lead_professional": str(world.analyst.pk),
        **date_parts("plan-review_date", soon(40)),
    })
    assert response.status_code == 302
    group.refresh_from_db()
    assert group.group_response.startswith("Any violence by a member")
    page = client.get(response["Location"]).content.decode()
    assert "Group plan saved" in page


def test_a_bad_group_plan_is_a_400(client, world, group):
    client.force_login(world.coordinator)
    response = client.post(reverse("group_plan_update", args=[world.programme.pk, group.pk]), {
        "plan-group_response": "x", "plan-lead_professional": str(world.stranger.pk),
        **date_parts("plan-review_date", soon(40)),
    })
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


def test_the_coordinator_changes_a_groups_status_from_its_page(client, world, group):
    client.force_login(world.coordinator)
    response = client.post(reverse("group_decision", args=[world.programme.pk, group.pk]),
                           decision("status", "rejected", reason="Not a group: one incident"))
    assert response.status_code == 302
    group.refresh_from_db()
    assert group.status == "rejected"
    page = client.get(response["Location"]).content.decode()
    assert "Not a group: one incident" in page and "Propose again" in page


@pytest.mark.parametrize("role", ["analyst", "caseworker"])
def test_others_may_not_change_a_groups_status_or_plan(client, world, group, role):
    CohortGroup.objects.filter(pk=group.pk).update(status="active")
    client.force_login(getattr(world, role))
    decided = client.post(reverse("group_decision", args=[world.programme.pk, group.pk]),
                          decision("status", "exited", reason="x"))
    planned = client.post(reverse("group_plan_update", args=[world.programme.pk, group.pk]),
                          {"plan-group_response": "x"})
    assert decided.status_code == 403 and planned.status_code == 403
    group.refresh_from_db()
    assert group.status == "active" and group.group_response == ""


def test_the_person_page_links_to_the_plan_and_warns_of_a_missing_plan(client, world):
    entry = entry_of(world, world.active)
    client.force_login(world.caseworker)
    page = client.get(reverse("person", args=[world.active.pk])).content.decode()
    assert f'href="/cohort/entries/{entry.pk}/"' in page
    assert "has no support offer and no consequence defined" in page
    CohortEntry.objects.filter(pk=entry.pk).update(support_offer="Mentoring",
                                                   enforcement_consequence="Prosecution")
    page = client.get(reverse("person", args=[world.active.pk])).content.decode()
    assert "has no support offer" not in page


def test_a_caseworker_sees_only_engaged_counts_and_overdue_reviews(client, world):
    CohortEntry.objects.filter(person__in=[world.proposed, world.active]).update(
        review_date=soon(-2))
    client.force_login(world.caseworker)
    page = client.get(reverse("programme", args=[world.programme.pk])).content.decode()
    assert '<dd class="govuk-summary-list__value" data-status="proposed">0</dd>' in page
    assert '<dd class="govuk-summary-list__value" data-status="stepped_down">1</dd>' in page
    overdue = page.split('id="overdue"')[1].split("</table>")[0]
    assert "P-ACTIVE" in overdue and "P-PROPOSED" not in overdue
    assert "Open the panel" not in page and "Bring proposals" not in page


@pytest.mark.parametrize("page_name", ["programme", "entry_plan", "group_plan"])
def test_page_query_counts_do_not_grow_with_the_data(client, world, group, page_name):
    client.force_login(world.coordinator)
    url = {
        "programme": reverse("programme", args=[world.programme.pk]),
        "entry_plan": reverse("entry_plan", args=[entry_of(world, world.active).pk]),
        "group_plan": reverse("group_plan", args=[world.programme.pk, group.pk]),
    }[page_name]
    client.get(url)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    few = count()
    entry = entry_of(world, world.active)
    for i in range(15):
        person = make_person(f"P-MORE-{i:02}")
        more = make_entry(world.programme, person, status=("active", "proposed")[i % 2])
        CohortEntry.objects.filter(pk=more.pk).update(review_date=soon(-i - 1), group=group)
        CohortDecision.objects.create(entry=entry, from_status="active", to_status="active",
                                      reason=f"Review {i}", decided_by=world.coordinator,
                                      lead_professional=world.caseworker)
        CohortGroup.objects.create(programme=world.programme, label=f"GM{i}",
                                   lead_professional=world.analyst)
    assert count() == few

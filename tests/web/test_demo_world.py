"""The demo world: agencies, users, programme and a cohort from a run; idempotent; demo only."""

from collections import Counter
from datetime import date, timedelta

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from deter.web import policy
from deter.web.demo.world import (
    ACTIVE_COUNT,
    DEMO_LOGINS,
    POLICE,
    SCHOOL,
    SOCIAL_CARE,
    add_months,
    create_demo_world,
)
from deter.web.domain.data_categories import Category
from deter.web.models import (
    Agency,
    AuditEvent,
    CohortDecision,
    CohortEntry,
    DataSharingAgreement,
    Meeting,
    MeetingAction,
    PersonLink,
    Programme,
    StaffRole,
)

from .factories import make_event, make_person, make_run


@pytest.fixture
def run(db):
    """30 people: every third has only burglaries (not violent), the rest a violent offence."""
    people = []
    for i in range(30):
        person = make_person(f"D-{i:02}")
        category = "burglary" if i % 3 == 0 else ("robbery", "possession of weapons")[i % 2]
        for j in range(1 + i % 4):
            make_event(f"E-D-{i:02}-{j}", person, category=category, days_ago=10 + i + j)
        make_event(f"E-D-{i:02}-V", person, role="victim", days_ago=5)
        people.append(person)
    return make_run(people)


def test_it_creates_agencies_users_and_a_programme_without_the_outside_agency(run):
    logins = create_demo_world(run, cohort_size=12)
    assert {login.username for login in logins} == {
        "analyst", "coordinator", "caseworker", "school", "housing", "dpo", "dpo-care",
        "evaluator"}
    programme = Programme.objects.get()
    housing = Agency.objects.get(kind="housing")
    assert housing not in programme.agencies.all()
    assert programme.agencies.count() == 4
    for login in logins:
        user = authenticate(sign_in_request(), username=login.username, password=login.password)
        assert user is not None
        assert StaffRole.objects.get(user=user).role == login.role


def sign_in_request():
    """A sign-in's request: the lockout backend (django-axes) counts by its address."""
    return RequestFactory().post(reverse("login"))


def test_it_proposes_the_top_violent_people_and_activates_the_top_15(run):
    create_demo_world(run, cohort_size=18)
    entries = CohortEntry.objects.select_related("person")
    assert entries.count() == 18
    violent_ranked = [
        s.person for s in run.people.order_by("rank")
        if any(i["offence_category"] != "burglary" for i in s.explanation
               if i["side"] == "offender")
    ]
    assert {e.person for e in entries} == set(violent_ranked[:18])
    active = {e.person for e in entries if e.status == "active"}
    assert active == set(violent_ranked[:ACTIVE_COUNT])
    assert all(e.status == "proposed" for e in entries if e.person not in active)
    sample = entries.get(person=violent_ranked[0])
    assert "Criteria met" in sample.rationale and "violent offence" in sample.rationale
    # accepted at the demo panel a week ago (dated then), proposed the week before it, each
    # backdated proposal with its reason; reviewed three months from the day the demo was built
    panel = Meeting.objects.get(kind=Meeting.Kind.PANEL)
    assert sample.decided_at == panel.held_at
    proposal, accepted = sample.decisions.order_by("decided_at")
    assert proposal.decided_at.date() == panel.held_at.date() - timedelta(days=7)
    assert proposal.backdated_reason and proposal.recorded_at > accepted.decided_at
    assert accepted.meeting == panel and not accepted.backdated_reason
    assert sample.review_date == add_months(timezone.localdate(), 3)
    assert sample.lead_professional.username == "caseworker"


def test_it_is_idempotent(run):
    create_demo_world(run, cohort_size=12)
    counts = [m.objects.count() for m in (Agency, User, StaffRole, Programme, CohortEntry)]
    logins = create_demo_world(run, cohort_size=12)
    assert [m.objects.count() for m in (Agency, User, StaffRole, Programme, CohortEntry)] == counts
    assert authenticate(sign_in_request(), username="school",
                        password=logins[3].password) is not None


def test_it_gives_each_demo_user_the_view_the_policy_promises(run):
    create_demo_world(run, cohort_size=18)
    users = {u.username: u for u in User.objects.all()}
    assert policy.people.visible(users["coordinator"]).count() == 18
    assert policy.people.visible(users["analyst"]).count() == 18
    assert policy.people.visible(users["caseworker"]).count() == ACTIVE_COUNT
    # the school sees its two pupils only, never the adults or the proposals
    pupils = policy.people.visible(users["school"])
    assert pupils.count() == 2
    assert set(pupils) == {link.person for link in PersonLink.objects.filter(
        agency__name=SCHOOL, ended_at__isnull=True)}
    assert policy.people.visible(users["housing"]).count() == 0
    assert policy.people.visible(users["dpo"]).count() == 0
    school_sees = policy.people.fields(users["school"], pupils[0])
    assert Category.POLICE_INTELLIGENCE not in school_sees
    assert Category.DATE_OF_BIRTH not in school_sees and Category.HEALTH not in school_sees


def test_its_agreement_was_approved_by_each_supplier_dpo_not_the_coordinator(run):
    create_demo_world(run, cohort_size=12)
    for purpose in ("delivery", "evaluation"):
        agreement = DataSharingAgreement.objects.get(purpose=purpose)
        assert agreement.status == "active" and agreement.missing() == []
        approvals = {p.agency.name: p.approved_by.username
                     for p in agreement.parties.filter(supplies_data=True)}
        assert approvals == {POLICE: "dpo", SOCIAL_CARE: "dpo-care"}


def test_its_evaluator_takes_the_export_and_sees_no_person(run, client):
    from deter.web.actions.evaluation import export_for_programme

    logins = {login.username: login for login in create_demo_world(run, cohort_size=12)}
    evaluator = User.objects.get(username="evaluator")
    programme = Programme.objects.get()
    export = export_for_programme(evaluator, programme, via="cli")
    released, suppressed = export.manifest["rows_released"], export.manifest["rows_suppressed"]
    assert released + suppressed == CohortEntry.objects.exclude(status="removed").count()
    assert released > 0 and export.manifest["k"] >= export.manifest["k_required"]
    # signing in as a person does (client.login has no request for the lockout's backend)
    assert client.post(reverse("login"), {"username": "evaluator",
                                          "password": logins["evaluator"].password}
                       ).status_code == 302
    assert client.get(reverse("evaluation_exports")).status_code == 200
    person = CohortEntry.objects.filter(status="active").first().person
    assert client.get(reverse("person", args=[person.pk])).status_code == 404


def test_it_creates_no_cohort_without_a_run(db):
    create_demo_world(None)
    assert Programme.objects.count() == 1 and not CohortEntry.objects.exists()


def test_it_refuses_to_run_in_production(db, settings):
    settings.PRODUCTION = True
    with pytest.raises(ImproperlyConfigured):
        create_demo_world(None)
    assert not User.objects.exists()


def test_it_adds_months_clamping_to_the_month_end():
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert add_months(date(2026, 1, 15), 3) == date(2026, 4, 15)


def test_every_demo_record_is_written_through_an_audited_action(run):
    create_demo_world(run, cohort_size=18)
    done = Counter(AuditEvent.objects.filter(outcome="allowed").values_list("action", flat=True))
    assert done["provision_user"] == len(DEMO_LOGINS)
    assert done["provision_agency"] == Agency.objects.count()
    assert done["create_programme"] == 1
    assert done["propose"] == CohortEntry.objects.count() == 18
    accepted = CohortDecision.objects.filter(to_status="active", entry__isnull=False)
    assert done["decide"] == accepted.count() == ACTIVE_COUNT
    assert done["add_action"] == MeetingAction.objects.count()


def test_its_dpo_console_shows_the_agreement_and_says_nobody_has_viewed_anyone(run, client):
    """The demo writes no views of people, so the console says so rather than showing empty
    tables; the agreement the two DPOs approved is listed."""
    from django.urls import reverse

    create_demo_world(run, cohort_size=12)
    dpo = User.objects.get(username="dpo")
    client.force_login(dpo)
    body = client.get(reverse("dpo")).content.decode()
    assert "Nobody has viewed a person yet" in body
    assert 'data-agreement-status="active"' in body
    school = User.objects.get(username="school")
    pupil = policy.people.visible(school).first()
    client.force_login(school)
    assert client.get(reverse("person", args=[pupil.pk])).status_code == 200
    client.force_login(dpo)
    body = client.get(reverse("dpo_person_views"), {"person_id": pupil.person_id}).content \
        .decode()
    assert "school" in body and body.count("data-event=") >= 1
def test_it_records_notifications_an_exemption_and_an_open_challenge_once(run):
    from deter.web.models import Challenge, LetterTemplate, Notification
    from deter.web.queries import rights

    create_demo_world(run, cohort_size=12)
    create_demo_world(run, cohort_size=12)
    programme = Programme.objects.get()
    users = {u.username: u for u in User.objects.all()}
    assert Notification.objects.filter(kind="told").count() == 5
    assert Notification.objects.filter(kind="exempt").count() == 1
    challenge = Challenge.objects.get()
    assert challenge.is_open and challenge.made_by == "His mother"
    assert LetterTemplate.objects.filter(programme=programme, kind="notification").count() == 1
    # the coordinator accepted the person, so the police DPO decides; care's DPO sees none
    assert not policy.challenges.can(users["coordinator"], "decide", challenge)
    assert policy.challenges.can(users["dpo"], "decide", challenge)
    assert not policy.programmes.can(users["dpo-care"], "see_rights", programme)
    from django.utils import timezone

    found = rights.overview(users["dpo"], programme, timezone.localdate())
    listed = CohortEntry.objects.filter(status__in=("active", "stepped_down")).count()
    assert (len(found.told), len(found.not_told), found.review_due) == (6, listed - 6, [])
    assert len(found.open_challenges) == 1

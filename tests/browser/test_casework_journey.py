"""Casework journeys in the browser: a referral through its life-cycle, a letter written and
downloaded as Word and PDF, and the response to violence by a member of an active group."""

import io
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from docx import Document
from playwright.sync_api import expect
from pypdf import PdfReader

from deter.web.actions import group_response
from deter.web.demo.world import PROGRAMME_NAME, create_demo_world
from deter.web.models import (
    AuditEvent,
    CohortEntry,
    CohortGroup,
    GroupViolenceFlag,
    Intervention,
    Letter,
    Programme,
    display_name,
)
from web.factories import make_event, make_person, make_run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(db):
    people = []
    categories = ("violence and sexual offences", "robbery", "possession of weapons")
    for i in range(12):
        person = make_person(f"DEMO-{i:03}", age=15 + i % 6)
        make_event(f"E-{i:03}", person, category=categories[i % 3], days_ago=40 + i)
        people.append(person)
    run = make_run(people)
    return {login.username: login for login in create_demo_world(run, cohort_size=10)}


def sign_in(page, login):
    page.goto("/sign-in/")
    page.get_by_label("Username").fill(login.username)
    page.get_by_label("Password").fill(login.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/cohort/$"))


def fill_date(page, group_name, day):
    dates = page.get_by_role("group", name=group_name)
    dates.get_by_label("Day").fill(str(day.day))
    dates.get_by_label("Month").fill(str(day.month))
    dates.get_by_label("Year").fill(str(day.year))


def active_person():
    return CohortEntry.objects.filter(status="active").order_by("person__person_id").first().person


def test_a_caseworker_takes_a_referral_from_referred_to_completed(page, screenshot, demo):
    today = timezone.localdate()
    person = active_person()
    sign_in(page, demo["caseworker"])
    page.goto(f"/people/{person.pk}/")
    page.get_by_label("Support", exact=True).check()
    page.get_by_label("Category").select_option(label="Mentoring by someone with lived experience")
    page.get_by_label("What is offered or done").fill("Mentoring with a detached youth worker")
    page.get_by_label("Agency providing it").select_option(label="Demoshire Children's Social Care")
    page.get_by_label("Status").select_option(label="Referred")
    fill_date(page, "Start date", today - timedelta(days=10))
    page.get_by_role("button", name="Add intervention").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Intervention added: Mentoring with a detached youth worker")
    screenshot("casework-00-person-interventions")

    page.get_by_role("link", name="Mentoring with a detached youth worker", exact=True).click()
    expect(page.get_by_role("heading", name="Mentoring with a detached youth worker")
           ).to_be_visible()
    expect(page.locator("#time-to-engagement")).to_have_text("Not engaged yet")

    # A date before the referral is refused with a clear message, and nothing changes.
    page.get_by_label("Accepted").check()
    fill_date(page, "Date it happened", today - timedelta(days=11))
    page.get_by_role("button", name="Update status").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "The date it happened must be on or after")
    screenshot("casework-01-status-error")

    for status, ago in (("Accepted", 8), ("Engaged", 5)):
        page.get_by_label(status, exact=True).check()
        fill_date(page, "Date it happened", today - timedelta(days=ago))
        page.get_by_role("button", name="Update status").click()
        expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
            f"Status changed to {status}")
    expect(page.locator("#time-to-engagement")).to_have_text("5 days")
    page.get_by_label("Completed").check()
    fill_date(page, "Date it happened", today)
    page.get_by_label("Note").fill("Finished the twelve sessions")
    page.get_by_role("button", name="Update status").click()
    expect(page.locator("#intervention-status")).to_have_text("Completed")
    expect(page.locator("#history tbody tr, #history + div tbody tr")).to_have_count(4)
    expect(page.get_by_text("This intervention has ended")).to_be_visible()
    screenshot("casework-02-referral-completed")

    intervention = Intervention.objects.get(title="Mentoring with a detached youth worker")
    assert [u.status for u in intervention.updates.all()] == [
        "referred", "accepted", "engaged", "completed"]
    assert page.problems == []


def test_a_coordinator_writes_a_letter_and_downloads_it(page, screenshot, demo, tmp_path):
    programme = Programme.objects.get(name=PROGRAMME_NAME)
    person = active_person()
    sign_in(page, demo["coordinator"])
    page.goto(f"/programmes/{programme.pk}/letters/")
    page.get_by_role("button", name="Add a letter template").click()
    page.get_by_label("Template name").fill("Custom notification")
    page.get_by_label("Focused deterrence letter").check()
    page.get_by_label("Letter text").fill(
        "$address\n\n$date\n\nDear $recipient,\n\nThe $programme partners in $area want you "
        "safe. Your lead professional is $lead_professional.\n\nFrom $sendr")
    page.get_by_role("button", name="Save template").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("unknown placeholder $sendr")
    page.get_by_label("Letter text").fill(
        "$address\n\n$date\n\nDear $recipient,\n\nThe $programme partners in $area want you "
        "safe. Your lead professional is $lead_professional.\n\nFrom $sender")
    page.get_by_role("button", name="Save template").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Letter template saved: Custom notification")

    page.goto(f"/people/{person.pk}/")
    page.get_by_role("link", name="Write a letter").click()
    page.get_by_label("Name of the recipient").fill("Jordan Smith")
    page.get_by_label("Address").fill("12 Mill Lane\nEastgate")
    page.get_by_role("button", name="Write letter").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Letter written to Jordan Smith")
    screenshot("casework-03-letter")

    with page.expect_download() as docx_download:
        page.get_by_role("link", name=re.compile("Word document")).click()
    path = tmp_path / "letter.docx"
    docx_download.value.save_as(path)
    text = "\n".join(p.text for p in Document(str(path)).paragraphs)
    assert "Dear Jordan Smith," in text and "12 Mill Lane" in text and "$" not in text
    assert f"The {PROGRAMME_NAME} partners in Demoshire" in text
    # the demo's users carry names, so the letter is signed by people, not user names
    lead = CohortEntry.objects.get(programme=programme, person=person).lead_professional
    assert f"Your lead professional is {display_name(lead)}" in text
    assert display_name(lead) != lead.username and "From Helen Marsh" in text

    with page.expect_download() as pdf_download:
        page.get_by_role("link", name=re.compile("as a PDF")).click()
    path = tmp_path / "letter.pdf"
    pdf_download.value.save_as(path)
    pdf_text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(path.read_bytes())).pages)
    assert "Dear Jordan Smith," in pdf_text and "$" not in pdf_text

    letter = Letter.objects.get()
    assert letter.intervention.person == person
    assert AuditEvent.objects.filter(action="download_letter", outcome="allowed").count() == 2
    assert page.problems == []


def test_the_coordinator_responds_to_violence_by_a_group_member(page, screenshot, demo):
    programme = Programme.objects.get(name=PROGRAMME_NAME)
    person = active_person()
    group = CohortGroup.objects.create(
        programme=programme, label="G-NORTH", name="Northside group", status="active",
        group_response="Visit every member within 48 hours", decided_at=timezone.now()
        - timedelta(days=20),
    )
    CohortEntry.objects.filter(programme=programme, person=person).update(group=group)
    make_event("E-FLAGGED", person, days_ago=3)
    assert group_response.raise_flags() == 1

    sign_in(page, demo["coordinator"])
    page.goto(f"/programmes/{programme.pk}/delivery/")
    expect(page.locator("#group-flags")).to_contain_text("Group violence awaiting a response (1)")
    screenshot("casework-04-delivery")
    page.get_by_role("link", name="Northside group").first.click()
    expect(page.locator("#group-response")).to_contain_text("1 awaiting a response")

    page.get_by_text("Record the response to E-FLAGGED").click()
    page.get_by_label("Response delivered").check()
    page.get_by_role("button", name="Record response").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Describe the response that was delivered")
    page.get_by_label("Response", exact=True).fill("All members visited; patrols at the park")
    page.get_by_role("button", name="Record response").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Response recorded")
    flag_card = page.locator(".deter-flag").first
    expect(flag_card).to_contain_text("Response delivered")
    expect(flag_card).to_contain_text("All members visited; patrols at the park")
    screenshot("casework-05-group-response")

    assert GroupViolenceFlag.objects.get().status == "done"
    page.goto(f"/programmes/{programme.pk}/delivery/")
    expect(page.locator("#group-flags")).to_contain_text("Group violence awaiting a response (0)")
    assert page.problems == []

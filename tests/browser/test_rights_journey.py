"""Individuals' rights in the browser: a challenge logged by the coordinator and upheld by
the DPO, after which the person is gone from the school's view; a subject access request
logged and its archive downloaded and opened (zip, JSON, and the PDF's text)."""

import io
import json
import re
import zipfile

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from deter.web.models import CohortEntry, DeletionConfirmation, PersonLink

from .test_casework_journey import demo, fill_date, sign_in  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def a_pupil():
    """One of the school's two pupils: a person the school sees."""
    return PersonLink.objects.filter(agency__name="Riverside Academy", ended_at__isnull=True) \
        .select_related("person").order_by("person__person_id").first().person


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()


def test_an_upheld_challenge_takes_the_person_out_of_the_school_s_view(page, live_server,
                                                                       demo):  # noqa: F811
    pupil = a_pupil()
    person_page = f"/people/{pupil.pk}/"
    sign_in(page, demo["school"])
    assert page.goto(person_page).status == 200
    expect(page.get_by_role("heading", level=1)).to_contain_text(pupil.person_id)
    sign_out(page)

    sign_in(page, demo["coordinator"])
    page.goto("/programmes/")
    page.get_by_role("link", name=re.compile("Knife crime")).first.click()
    page.get_by_role("link", name=re.compile("Individuals' rights")).click()
    entry = CohortEntry.objects.get(person=pupil)
    page.locator(f'[data-entry="{entry.pk}"]').get_by_role(
        "link", name=re.compile("log a challenge", re.IGNORECASE)).click()
    fill_date(page, "When was it received?", timezone.localdate())
    page.get_by_label("The person", exact=True).check()
    page.get_by_label("Grounds").fill("I was at school when it happened")
    page.get_by_role("button", name="Log the challenge").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(pupil.person_id)
    expect(page.locator("#main-content")).to_contain_text("someone else")
    challenge_page = page.url
    sign_out(page)

    sign_in(page, demo["dpo"])
    page.goto(challenge_page)
    page.get_by_label("Uphold: remove them").check()
    page.get_by_label("Reasons given to the person").fill(
        "The school register shows you were in class at the time.")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator("[data-outcome]")).to_have_attribute("data-outcome", "upheld")
    with page.expect_download() as letter:
        page.get_by_role("link", name=re.compile("Download the letter")).click()
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(letter.value.path()).pages)
                    .split())
    assert "We agree with you" in text and "school register" in text
    sign_out(page)

    sign_in(page, demo["school"])
    assert page.goto(person_page).status == 404
    page.goto("/cohort/")
    expect(page.locator("#main-content")).not_to_contain_text(pupil.person_id)
    page.goto("/retention/confirmations/")
    expect(page.locator("#main-content")).to_contain_text("Removed after a challenge")
    assert DeletionConfirmation.objects.filter(reason="removal").count() == 4


def test_a_subject_access_archive_is_produced_and_opened(page, live_server,
                                                         demo):  # noqa: F811
    pupil = a_pupil()
    sign_in(page, demo["school"])
    page.goto(f"/people/{pupil.pk}/")  # a view the archive must list
    sign_out(page)

    sign_in(page, demo["dpo"])
    page.goto("/subject-access/")
    page.get_by_label("Person's id").fill(pupil.person_id)
    fill_date(page, "When was it received?", timezone.localdate())
    page.get_by_role("button", name="Log the request").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(pupil.person_id)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the archive (zip)").click()
    archive = zipfile.ZipFile(io.BytesIO(open(download.value.path(), "rb").read()))
    assert {"README.txt", "subject-access.pdf", "subject-access.json",
            "csv/who_viewed.csv"} <= set(archive.namelist())
    found = json.loads(archive.read("subject-access.json"))
    assert found["person_id"] == pupil.person_id
    viewers = found["sections"]["who_viewed"]["records"]
    assert any(v["who"] == "school" and v["what"] == "view person" for v in viewers)
    pdf = PdfReader(io.BytesIO(archive.read("subject-access.pdf")))
    text = " ".join(" ".join(p.extract_text() for p in pdf.pages).split())
    assert f"Information held about {pupil.person_id}" in text
    assert "Who viewed or changed your record" in text

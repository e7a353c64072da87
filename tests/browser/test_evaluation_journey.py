"""The evaluation page in the browser: the evaluator, under the programme's evaluation
agreement, goes from the evaluation exports to the programme's evaluation page, reads the
interrupted time series' estimate, switches to the matched cohort and its balance table, and
downloads the report as a PDF; the page names nobody."""

import re

import pytest
from playwright.sync_api import expect

from deter.web.models import AuditEvent
from web.factories import make_world
from web.test_programme_evaluation import plant

from .test_panel_journey import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def planted(db):
    return plant(make_world(), controls=30)


def test_the_evaluator_switches_design_and_downloads_the_pdf(page, screenshot, planted):
    sign_in(page, "evaluator")
    page.goto("/evaluation/")
    page.get_by_role("link", name="The evaluation page for Knife crime").click()
    expect(page).to_have_url(re.compile(r"/programmes/\d+/evaluation/$"))
    expect(page.get_by_role("heading", name="Evaluation", level=1)).to_be_visible()
    expect(page.locator("#estimate")).to_contain_text("rate ratio")
    expect(page.locator("#estimate")).to_contain_text("wholly below no change")
    expect(page.locator("[data-warning=regression_to_the_mean]")).to_be_visible()
    expect(page.locator("#chart-series img")).to_be_visible()
    screenshot("evaluation-01-its")

    page.get_by_label("Matched cohort").check()
    page.get_by_role("button", name="Show the evaluation").click()
    expect(page).to_have_url(re.compile(r"design=matched"))
    expect(page.locator("#table-balance")).to_contain_text("Age (years)")
    expect(page.locator("#estimate")).to_contain_text("matched people not accepted")
    main = page.locator("#main-content").inner_text()
    assert not any(p.person_id in main for p in [*planted.people, *planted.controls])
    screenshot("evaluation-02-matched")

    with page.expect_download() as download:
        page.locator("#download-pdf").click()
    pdf = download.value
    assert pdf.suggested_filename == "knife-crime-evaluation-matched.pdf"
    with open(pdf.path(), "rb") as handle:
        assert handle.read(5) == b"%PDF-"
    assert AuditEvent.objects.filter(action="download_programme_evaluation",
                                     actor=planted.evaluator, detail__design="matched",
                                     detail__format="pdf").exists()

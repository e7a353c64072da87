"""The evaluation page in the browser: the evaluator, under the programme's evaluation
agreement, goes from the evaluation exports to the programme's evaluation page, reads the
interrupted time series' estimate, switches to the matched cohort and its balance table, to the
difference-in-differences and its event study and to the synthetic control of the accepted
groups, and downloads its report as a PDF; the page names nobody."""

import re

import pytest
from playwright.sync_api import expect

from deter.web.models import AuditEvent
from web.factories import make_world
from web.test_evaluation_comparisons import grouped
from web.test_programme_evaluation import plant

from .test_panel_journey import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def planted(db):
    world = make_world()
    planted = plant(world, controls=30)
    grouped(world, planted)
    return planted


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

    page.get_by_label("Difference-in-differences (staggered)").check()
    page.get_by_role("button", name="Show the evaluation").click()
    expect(page).to_have_url(re.compile(r"design=did"))
    expect(page.locator("#estimate")).to_contain_text("average effect on the treated")
    expect(page.locator("#table-event_study")).to_contain_text("month 1 after")
    page.get_by_label("Synthetic control").check()
    page.get_by_role("button", name="Show the evaluation").click()
    expect(page.locator("#estimate")).to_contain_text("placebo-in-space p = 0.091")
    expect(page.locator("#table-synthetic_path")).to_contain_text("Synthetic control")
    main = page.locator("#main-content").inner_text()
    assert not re.search(r"\b[TC]\d\b", main)  # the groups' labels
    screenshot("evaluation-03-synthetic")

    with page.expect_download() as download:
        page.locator("#download-pdf").click()
    pdf = download.value
    assert pdf.suggested_filename == "knife-crime-evaluation-synthetic.pdf"
    with open(pdf.path(), "rb") as handle:
        assert handle.read(5) == b"%PDF-"
    assert AuditEvent.objects.filter(action="download_programme_evaluation",
                                     actor=planted.evaluator, detail__design="synthetic",
                                     detail__format="pdf").exists()

"""An analyst reads the problem profile of a real run and follows a rivalry to a group."""

import pytest
from playwright.sync_api import expect

from deter.analysis.synth import synthesise
from deter.web.demo.world import create_demo_world
from deter.web.ingest.importer import load_extract
from deter.web.ingest.runs import run_analysis
from deter.web.models import RelationScore

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def analysed(db):
    load_extract(synthesise(seed=2, scale="small").extract, source="synthetic small")
    run, _result = run_analysis()
    logins = {login.username: login for login in create_demo_world(run, cohort_size=20)}
    return run, logins


def test_an_analyst_reads_the_profile_and_opens_a_rival_group(page, screenshot, analysed):
    run, logins = analysed
    analyst = logins["analyst"]
    page.goto("/sign-in/")
    page.get_by_label("Username").fill(analyst.username)
    page.get_by_label("Password").fill(analyst.password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Problem profile").click()
    expect(page.get_by_role("heading", name="Problem profile")).to_be_visible()
    page.wait_for_load_state("networkidle")
    widths = page.evaluate("Array.from(document.images).map(i => i.naturalWidth)")
    assert len(widths) == 5 and all(width > 0 for width in widths)  # every chart drew
    screenshot("08-problem-profile")

    rivalry = RelationScore.objects.filter(run=run, relation="rivalry").order_by("-weight")[0]
    page.get_by_role("link", name=rivalry.group_a, exact=True).first.click()
    expect(page.get_by_role("heading", name=rivalry.group_a)).to_be_visible()
    page.get_by_text(f"{len(rivalry.evidence)} event").first.click()
    expect(page.get_by_text(rivalry.evidence[0]).first).to_be_visible()
    screenshot("09-group")
    assert page.problems == []  # no CSP violation, script error or failed chart

"""Playwright driving the system Chromium against pytest-django's live server."""

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from a
# thread with a running loop unless told they are safe (they are: the loop is Playwright's).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run",
]
EXPECTED_STATUS = re.compile(r"Failed to load resource: .* status of 40[04]")
RESULTS = Path(__file__).resolve().parents[2] / "test-results"


@pytest.fixture(scope="session")
def chromium():
    if not CHROMIUM.exists() or shutil.which(str(CHROMIUM)) is None:
        message = (f"browser tests need the system Chromium at {CHROMIUM}: run `make test`, "
                   "which installs it")
        if os.environ.get("DETER_REQUIRE_BROWSER"):
            pytest.fail(message + " (DETER_REQUIRE_BROWSER is set: CI must run them)")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, live_server) -> Iterator:
    context = chromium.new_context(base_url=live_server.url,
                                   viewport={"width": 1280, "height": 900},
                                   locale="en-GB")
    page = context.new_page()
    # Console errors (CSP violations among them), script errors, and failed sub-resources
    # or server errors; a page answering 400 or 404 on purpose is not a problem.
    page.problems = []
    page.on("console", lambda m: m.type == "error" and not EXPECTED_STATUS.search(m.text)
            and page.problems.append(m.text))
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    page.on("response", lambda r: (r.status >= 500 or (
        r.status >= 400 and r.request.resource_type != "document"))
        and page.problems.append(f"{r.status} {r.url}"))
    page.fonts_requested = []
    page.on("request", lambda r: "/assets/fonts/" in r.url
            and page.fonts_requested.append(f"{r.url} from {r.frame.url}"))
    yield page
    context.close()


@pytest.fixture
def screenshot(page):
    RESULTS.mkdir(exist_ok=True)

    def take(name: str) -> Path:
        path = RESULTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take

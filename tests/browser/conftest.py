"""Headless Chromium against pytest-django's live server; every page's console errors are kept."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests.builders.fixtures import fresh_throttles, site
from tests.conftest import require

__all__ = ["fresh_throttles", "site"]

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REPO = Path(__file__).resolve().parents[2]
# Screenshots of every page a browser test visits, kept by CI as an artifact.
SHOTS = Path(os.environ.get("FIVESIGMA_SCREENSHOTS") or REPO / "var" / "screenshots")


def shoot(page, name: str) -> Path:
    """A full-page screenshot of ``page`` as SHOTS/NAME-WIDTH.png, once its charts are
    drawn; fails when the page is wider than its window."""
    wait_for_charts(page)
    page.wait_for_timeout(300)  # responsive charts settle to the window
    width = page.viewport_size["width"]
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}-{width}.png"
    page.screenshot(path=str(path), full_page=True)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name} is {overflow} px wider than a {width} px window"
    return path


@pytest.fixture(scope="session")
def browser():
    require(CHROMIUM.exists(), "chromium")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the ORM calls of the test
    # itself are still plain synchronous calls, so Django's async guard is lifted here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            yield chromium
            chromium.close()
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]  # only while the browser runs


class Console:
    """Errors a page logged (console.error, uncaught exceptions, failed loads).

    The browser's own request for /favicon.ico is left out: the site declares no icon.
    """

    def __init__(self, page):
        self.errors: list[str] = []
        page.on("console", self.keep)
        page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))

    def keep(self, message) -> None:
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            self.errors.append(f"{message.text} ({message.location.get('url', '')})")

    def unexpected(self, allowed_statuses: tuple[int, ...] = ()) -> list[str]:
        allowed = [f"status of {code}" for code in allowed_statuses]
        return [e for e in self.errors if not any(a in e for a in allowed)]


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    context.set_default_timeout(60_000)  # slow shared CI machines
    page = context.new_page()
    page.console = Console(page)
    yield page
    context.close()


@pytest.fixture
def eager(eager_tasks):
    """Tasks run in the live server's thread right after the upload's transaction commits."""
    return eager_tasks


def log_in(page, url: str, user) -> None:
    """Give the browser a session of ``user`` at ``url`` (the log-in form is tested once)."""
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": url,
            }
        ]
    )


def wait_for_charts(page) -> None:
    """Until every chart placeholder of the page has been drawn by Plotly (or replaced by a
    note). Waits through Playwright's own isolated script, not ``wait_for_function``: the
    site's Content-Security-Policy forbids evaluating strings in the page."""
    from playwright.sync_api import expect

    expect(page.locator("[data-chart].plot:not(.js-plotly-plot)")).to_have_count(0)

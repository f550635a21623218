"""The organiser dashboard in Chromium: the page comes first, worker health fills in after.
Screenshots go to /tmp/shots/dashboard-WIDTH.png."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.cache import cache

from fivesigma.challenges.models import Submission
from tests.browser.conftest import SHOTS, Console, log_in
from tests.builders.users import make_user
from tests.challenges.test_dashboard import add, make_phase

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def organiser(transactional_db):
    olga = make_user("olga")
    phase = make_phase("mine", organiser=olga)
    now = datetime.now(UTC)
    add(phase, now, Submission.QUEUED, queued_at=now)
    add(phase, now, Submission.FAILED, reason="The file has 3 problems.")
    cache.delete("organiser:worker-health")
    yield olga
    cache.delete("organiser:worker-health")


@pytest.mark.parametrize("width", [390, 1280])
def test_worker_health_fills_in_after_the_page(browser, live_server, organiser, monkeypatch, width):
    health = {
        "workers": [{"name": "celery@node1", "queues": ["scoring"]}],
        "queues_without_worker": ["sandbox"],
        "error": None,
        "checked": "2024-03-01T12:00:00+00:00",
    }
    monkeypatch.setattr("fivesigma.challenges.web.organiser_pages.ask_workers", lambda: health)
    context = browser.new_context(
        viewport={"width": width, "height": 900}, base_url=live_server.url
    )
    page = context.new_page()
    console = Console(page)
    log_in(page, live_server.url, organiser)

    page.goto("/organise/")
    page.locator("#worker-list li").first.wait_for()

    assert page.locator("#worker-list li").all_inner_texts() == [
        "✔ celery@node1: scoring",
        "✘ no worker consumes queue sandbox",
    ]
    assert page.locator("#worker-status").inner_text().startswith("Answered at ")
    assert "1 waiting" in page.locator("#queue-scoring").inner_text()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"dashboard-{width}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    assert console.unexpected() == []
    context.close()


def test_an_unreachable_broker_is_shown(page, live_server, organiser, monkeypatch):
    monkeypatch.setattr(
        "fivesigma.challenges.web.organiser_pages.ask_workers",
        lambda: {
            "workers": [],
            "queues_without_worker": [],
            "error": "broker: Connection refused.",
            "checked": "2024-03-01T12:00:00+00:00",
        },
    )
    log_in(page, live_server.url, organiser)
    page.goto("/organise/")
    page.locator("#worker-list li").first.wait_for()
    assert page.locator("#worker-list li").all_inner_texts() == ["✘ broker: Connection refused."]
    assert page.locator("#worker-status").inner_text().startswith("No worker answered")

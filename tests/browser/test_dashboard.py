"""The organiser dashboard in Chromium: queue figures and the workers' heartbeats."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fivesigma.challenges.engine import operations
from fivesigma.challenges.models import Submission
from tests.browser.conftest import Console, log_in, shoot
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
    return olga


@pytest.mark.parametrize("width", [390, 1280])
def test_the_worker_card_lists_busy_and_silent_workers(browser, live_server, organiser, width):
    now = datetime.now(UTC)
    operations.write_heartbeat("scoring@node1", ["scoring"], 1, now)
    operations.write_heartbeat("sandbox@node2", ["sandbox"], 0, now - timedelta(minutes=3))
    context = browser.new_context(
        viewport={"width": width, "height": 900}, base_url=live_server.url
    )
    page = context.new_page()
    console = Console(page)
    log_in(page, live_server.url, organiser)

    page.goto("/organise/")
    assert page.locator("#worker-list li").all_inner_texts() == [
        "✘ sandbox@node2: sandbox · silent for 3 min",
        "✔ scoring@node1: scoring · busy with 1 task",
        "✘ no worker consumes queue sandbox",
    ]
    assert "1 waiting" in page.locator("#queue-scoring").inner_text()
    shoot(page, "dashboard")
    assert console.unexpected() == []
    context.close()


def test_no_heartbeat_says_how_to_start_a_worker(page, live_server, organiser):
    log_in(page, live_server.url, organiser)
    page.goto("/organise/")
    assert page.locator("#worker-list li").all_inner_texts() == [
        "✘ no worker consumes queue scoring",
        "✘ no worker consumes queue sandbox",
    ]
    assert "celery -A fivesigma worker" in page.locator("#worker-status").inner_text()
    shoot(page, "dashboard-no-worker")

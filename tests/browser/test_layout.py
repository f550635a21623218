"""The main pages at a phone's width (390 px) and a laptop's (1280 px): nothing wider than
the window, every page rendered without a console error; a screenshot of each (see
``tests.browser.conftest.SHOTS``)."""

from __future__ import annotations

import pytest

from fivesigma.challenges.engine import intake
from fivesigma.challenges.models import Phase
from tests.browser.conftest import log_in, shoot
from tests.builders.challenges import load_site_challenge
from tests.builders.higgsml_files import noisy_submission
from tests.builders.submissions import add_entry, upload
from tests.builders.trackml_files import toy_diagnostics
from tests.builders.users import make_team

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WIDTHS = (390, 1280)


def _pages(site, tmp_path) -> dict[str, str]:
    mine = intake.submit(
        site.phase, site.alice, upload("mine.csv", noisy_submission(site.solution))
    )
    add_entry(site.phase, make_team(site.challenge, "Baseline: mass window", benchmark=True), 1.2)
    for i, value in enumerate((0.9, 1.4, 1.1)):
        add_entry(site.phase, make_team(site.challenge, f"rival team number {i}"), value)
    tracks = load_site_challenge(tmp_path, slug="toy-tracks")
    Phase.objects.filter(pk=tracks.phase.pk).update(metric="trackml")
    tracks.phase.refresh_from_db()
    scores, diags = toy_diagnostics("trackml")
    trackers = make_team(tracks.challenge, "trackers")
    tracked = add_entry(tracks.phase, trackers, scores["public"]["score"], diagnostics=diags)
    tracked.team.members.add(site.alice, through_defaults={"challenge": tracks.challenge})
    return {
        "home": "/",
        "challenge": "/c/tiny-higgs/",
        "data": "/c/tiny-higgs/p/data/",
        "evaluation": "/c/tiny-higgs/p/evaluation/",
        "leaderboard": "/c/tiny-higgs/leaderboard/main/",
        "submit": "/c/tiny-higgs/submit/main/",
        "submission-higgs": mine.get_absolute_url(),
        "submission-trackml": tracked.get_absolute_url(),
        "my-submissions": "/c/tiny-higgs/submissions/",
        "team": "/c/tiny-higgs/team/",
        "profile": "/accounts/profile/",
    }


def test_main_pages_fit_narrow_and_wide_windows(browser, site, live_server, tmp_path, eager):
    pages = _pages(site, tmp_path)
    too_wide = []
    for width in WIDTHS:
        context = browser.new_context(
            viewport={"width": width, "height": 900}, base_url=live_server.url
        )
        context.set_default_timeout(60_000)
        page = context.new_page()
        from tests.browser.conftest import Console

        console = Console(page)
        log_in(page, live_server.url, site.alice)
        for name, path in pages.items():
            page.goto(path)
            try:
                shoot(page, name)
            except AssertionError as wide:
                too_wide.append(str(wide))
        assert console.unexpected() == [], width
        context.close()
    assert too_wide == []

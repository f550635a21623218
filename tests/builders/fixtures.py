"""Fixtures of the tests that drive the site (API, client, browser); a conftest imports them."""

from __future__ import annotations

import pytest

from tests.builders.challenges import SiteChallenge, load_site_challenge


@pytest.fixture(autouse=True)
def fresh_throttles():
    """Upload and login rates count per test, not across the suite."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def site(db, tmp_path) -> SiteChallenge:
    """The tiny challenge, loaded from its bundle with its organiser, alice and bob."""
    return load_site_challenge(tmp_path)

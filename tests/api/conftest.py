"""A tiny HiggsML-like challenge, its people and API clients for the API tests."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.api.site import SiteChallenge, fast_passwords, load_site_challenge

__all__ = ["fast_passwords"]


@pytest.fixture(autouse=True)
def fresh_throttles():
    """Upload and login rates count per test, not across the suite."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def site(db, tmp_path) -> SiteChallenge:
    return load_site_challenge(tmp_path)


def api_client(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.credentials(
            HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}"
        )
    return client


@pytest.fixture
def anonymous() -> APIClient:
    return api_client()


@pytest.fixture
def alice_api(site) -> APIClient:
    return api_client(site.alice)


@pytest.fixture
def bob_api(site) -> APIClient:
    return api_client(site.bob)


@pytest.fixture
def organiser_api(site) -> APIClient:
    return api_client(site.organiser)

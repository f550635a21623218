"""A tiny HiggsML-like challenge, its people and API clients for the API tests."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.builders.fixtures import fresh_throttles, site

__all__ = ["fresh_throttles", "site"]


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

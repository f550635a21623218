"""The client runs in-process against pytest-django's live server, with tasks run eagerly."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token

from fivesigma.challenges.client.__main__ import main
from tests.builders.fixtures import fresh_throttles, site

__all__ = ["fresh_throttles", "site"]


@pytest.fixture(autouse=True)
def client_config(tmp_path, monkeypatch):
    """A config file of the test's own; no site or token from the environment."""
    path = tmp_path / "home" / ".config" / "fivesigma" / "config.json"
    monkeypatch.setenv("FIVESIGMA_CONFIG", str(path))
    monkeypatch.delenv("FIVESIGMA_URL", raising=False)
    monkeypatch.delenv("FIVESIGMA_TOKEN", raising=False)
    return path


@pytest.fixture
def logged_in(site, live_server, capsys):
    """alice's token stored by ``fivesigma login``."""
    token = Token.objects.create(user=site.alice).key
    assert main(["login", "--url", live_server.url, "--token", token]) == 0
    capsys.readouterr()
    return token

"""Fixtures of the engine tests: cheap bootstrap, a loaded tiny challenge (cheap passwords for
every test: tests/conftest.py)."""

from __future__ import annotations

import pytest

from tests.builders.challenges import load_tiny_challenge


@pytest.fixture(autouse=True)
def fast_engine(settings):
    """Few bootstrap replicas: these tests check rules, not statistics."""
    settings.FIVESIGMA_BOOTSTRAP_REPLICAS = 40


@pytest.fixture
def tiny(db, tmp_path):
    """A loaded HiggsML-like challenge with an open phase ``main`` and an ended phase ``past``."""
    return load_tiny_challenge(tmp_path)


@pytest.fixture(autouse=True)
def no_kept_boards():
    """Leaderboards kept by a process (leaderboard.board) never cross from one test to another."""
    from fivesigma.challenges.engine import leaderboard

    leaderboard._kept.clear()
    yield
    leaderboard._kept.clear()

"""A tiny HiggsML-like challenge loaded from a bundle, with an organiser and two participants.

Shared by the API, client and browser tests. The bundle comes from
``tests.challenges.factories.write_ams_bundle`` (solution with EventId, Label, Weight and a
KaggleSet public/private split); a second phase, ``past``, has already ended.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from django.utils import timezone

from fivesigma.challenges.engine import bundles
from fivesigma.challenges.models import Challenge, Phase, Submission
from tests.challenges.factories import PAST_PHASE, make_user, submission_csv, write_ams_bundle

PASSWORD = "a-long-test-password"


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Cheap password hashing: the suite creates and logs in many users."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_throttles():
    """Upload and login rates count per test, not across the suite."""
    from django.core.cache import cache

    cache.clear()


@dataclass
class SiteChallenge:
    challenge: Challenge
    phase: Phase
    past: Phase
    solution: pd.DataFrame
    bundle: Path
    organiser: object
    alice: object
    bob: object


@pytest.fixture
def site(db, tmp_path) -> SiteChallenge:
    """The tiny challenge, loaded from its bundle with its organiser, alice and bob."""
    return load_site_challenge(tmp_path)


def load_site_challenge(tmp_path: Path, slug: str = "tiny-higgs", daily_limit: int = 5):
    bundle = tmp_path / f"bundle-{slug}"
    solution = write_ams_bundle(bundle, slug=slug, daily_limit=daily_limit, extra=PAST_PHASE)
    organiser = make_user(f"organiser-{slug}", password=PASSWORD)
    challenge = bundles.load(bundle, organiser=organiser)
    return SiteChallenge(
        challenge=challenge,
        phase=challenge.phases.get(key="main"),
        past=challenge.phases.get(key="past"),
        solution=solution,
        bundle=bundle,
        organiser=organiser,
        alice=make_user(f"alice-{slug}", password=PASSWORD),
        bob=make_user(f"bob-{slug}", password=PASSWORD),
    )


def ranked_submission(solution: pd.DataFrame, noise: float = 0.8, seed: int = 3) -> bytes:
    """A valid submission whose ranking is the truth blurred by Gaussian ``noise``."""
    rng = np.random.default_rng(seed)
    truth = (solution["Label"] == "s").to_numpy() * 1.0
    return submission_csv(solution, truth + rng.normal(0.0, noise, len(solution)))


def end_phase(phase: Phase) -> None:
    """Move the phase's end into the past (its submissions stay on time)."""
    Phase.objects.filter(pk=phase.pk).update(end=timezone.now() - timedelta(seconds=1))
    phase.refresh_from_db()


def finished(submission: Submission) -> Submission:
    submission.refresh_from_db()
    assert submission.status == Submission.FINISHED, submission.reason
    return submission

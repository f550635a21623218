"""Challenges for tests: a tiny HiggsML-like one loaded from its bundle (alone, or with an
organiser and two participants), a bare phase for hand-made scores, a phase's end moved."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
from django.utils import timezone

from fivesigma.challenges.engine import bundles
from fivesigma.challenges.models import Challenge, Phase
from tests.builders.higgsml_files import PAST_PHASE, write_ams_bundle
from tests.builders.users import PASSWORD, make_user

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


@dataclass
class Tiny:
    challenge: Challenge
    main: Phase
    past: Phase
    solution: pd.DataFrame
    bundle: Path


def load_tiny_challenge(
    tmp_path: Path, slug: str = "tiny-higgs", organiser=None, n_events: int = 200, **bundle_args
) -> Tiny:
    """A HiggsML-like challenge: phase ``main`` open until 2099, phase ``past`` ended in 2021."""
    bundle = tmp_path / f"bundle-{slug}"
    solution = write_ams_bundle(
        bundle, n_events=n_events, slug=slug, extra=PAST_PHASE, **bundle_args
    )
    challenge = bundles.load(bundle, organiser=organiser)
    return Tiny(
        challenge=challenge,
        main=challenge.phases.get(key="main"),
        past=challenge.phases.get(key="past"),
        solution=solution,
        bundle=bundle,
    )


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


def load_site_challenge(
    tmp_path: Path, slug: str = "tiny-higgs", daily_limit: int = 5
) -> SiteChallenge:
    """The tiny challenge (400 events) with its organiser and two participants, alice and bob,
    all with the password ``PASSWORD``."""
    organiser = make_user(f"organiser-{slug}", password=PASSWORD)
    tiny = load_tiny_challenge(
        tmp_path, slug=slug, organiser=organiser, n_events=400, daily_limit=daily_limit
    )
    return SiteChallenge(
        challenge=tiny.challenge,
        phase=tiny.main,
        past=tiny.past,
        solution=tiny.solution,
        bundle=tiny.bundle,
        organiser=organiser,
        alice=make_user(f"alice-{slug}", password=PASSWORD),
        bob=make_user(f"bob-{slug}", password=PASSWORD),
    )


def bare_phase(slug: str = "bare", metric: str = "ams", **fields) -> Phase:
    """A challenge with one open phase and no files (for leaderboard tests on hand-made scores)."""
    challenge = Challenge.objects.create(slug=slug, title=slug.title())
    defaults = {
        "key": "main",
        "title": "Main",
        "start": T0 - timedelta(days=30),
        "end": T0 + timedelta(days=3650 * 10),
        "metric": metric,
    }
    return Phase.objects.create(challenge=challenge, **{**defaults, **fields})


def end_phase(phase: Phase) -> None:
    """Move the phase's end into the past (its submissions stay on time)."""
    Phase.objects.filter(pk=phase.pk).update(end=timezone.now() - timedelta(seconds=1))
    phase.refresh_from_db()

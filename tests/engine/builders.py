"""Engine states built directly: challenges, teams, submissions with chosen scores and times.

The leaderboard tests need exact control over score values, upload times and statuses, so
they write Submission and Score rows themselves; the pipeline tests go through the real
upload and scoring path with a tiny bundle from ``tests.challenges.factories``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from django.utils import timezone

from fivesigma.challenges.engine import bundles, standings
from fivesigma.challenges.models import Challenge, Membership, Phase, Score, Submission, Team
from tests.challenges.factories import PAST_PHASE, make_user, submission_csv, write_ams_bundle

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


def noisy_submission(solution: pd.DataFrame, noise: float = 0.8, seed: int = 3) -> bytes:
    """A valid submission ranking events by the truth blurred with Gaussian ``noise``."""
    rng = np.random.default_rng(seed)
    truth = (solution["Label"] == "s").to_numpy() * 1.0
    return submission_csv(solution, truth + rng.normal(0.0, noise, len(solution)))


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


def make_team(challenge: Challenge, name: str, benchmark: bool = False, members=()) -> Team:
    team = Team.objects.create(challenge=challenge, name=name, is_benchmark=benchmark)
    for user in members:
        Membership.objects.create(team=team, user=user, challenge=challenge)
    return team


def add_entry(
    phase: Phase,
    team: Team,
    public: float | None = None,
    private: float | None = None,
    at: datetime = T0,
    status: str = Submission.FINISHED,
    late: bool = False,
    final: bool = False,
    replicas: dict[str, np.ndarray] | None = None,
    retired: dict[str, float] | None = None,
    scored: bool = True,
    details: dict | None = None,
    diagnostics: dict[str, dict] | None = None,
) -> Submission:
    """A submission uploaded at ``at`` with current public/private Score rows of the given values
    (``None``: an undefined score), each with an interval of +-0.1 around its value.

    ``replicas`` and ``diagnostics``: per subset, on the current rows. ``details``: on both
    current rows (a code phase's accuracy and seconds_per_event).
    ``retired``: values of an older scoring round (``current=False``) kept as history.
    ``scored=False``: no Score rows (a submission that never got a score).
    """
    submission = Submission.objects.create(
        phase=phase,
        team=team,
        file=f"submissions/{phase.pk}/fake.csv",
        original_name="fake.csv",
        status=status,
        is_late=late,
        selected_final=final,
    )
    Submission.objects.filter(pk=submission.pk).update(created=at)
    submission.created = at
    if scored:
        current = {Score.PUBLIC: public, Score.PRIVATE: private}
        _add_scores(submission, current, retired, replicas, details, diagnostics)
    standings.refresh(phase, team.pk)  # as the pipeline does after each step
    return submission


def _add_scores(submission, current_values, retired, replicas, details, diagnostics) -> None:
    phase, team, at = submission.phase, submission.team, submission.created
    replicas, diagnostics = replicas or {}, diagnostics or {}
    for values, current in [(retired or {}, False), (current_values, True)]:
        for subset, value in values.items():
            reps = replicas.get(subset) if current else None
            Score.objects.create(
                submission=submission,
                phase=phase,
                team=team,
                submitted=at,
                subset=subset,
                metric=phase.metric,
                value=value,
                ci_low=None if value is None else value - 0.1,
                ci_high=None if value is None else value + 0.1,
                replicas=b"" if reps is None else np.asarray(reps, np.float32).tobytes(),
                details=(details or {}) if current else {},
                diagnostics=diagnostics.get(subset, {}) if current else {},
                # as the pipeline writes them: lateness copied, a failed submission's retired
                current=current and submission.status != Submission.FAILED,
                late=submission.is_late,
            )


def users(*names: str, **fields):
    return [make_user(name, **fields) for name in names]


def now_minus(**delta) -> datetime:
    return timezone.now() - timedelta(**delta)

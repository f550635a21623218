"""The real pipeline: a separate Celery worker process scores what the site accepted.

Runs on SQLite with the filesystem broker and, in CI's second pass, on PostgreSQL with Redis.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from fivesigma.challenges.engine import bundles, intake, leaderboard
from fivesigma.challenges.models import Score, Submission
from tests.builders.higgsml_files import reference_ams, submission_csv, write_ams_bundle
from tests.builders.submissions import upload
from tests.builders.users import make_user
from tests.conftest import wait_for

pytestmark = pytest.mark.integration


def test_worker_scores_submissions_from_two_teams(celery_worker_process, tmp_path):
    solution = write_ams_bundle(tmp_path / "bundle", n_events=300)
    challenge = bundles.load(tmp_path / "bundle")
    phase = challenge.phases.get()
    truth = (solution["Label"] == "s").to_numpy() * 1.0
    rng = np.random.default_rng(5)
    good = submission_csv(solution, truth + rng.normal(0, 0.3, len(truth)))
    noisy = submission_csv(solution, truth + rng.normal(0, 3.0, len(truth)))
    first = intake.submit(phase, make_user("good"), upload("good.csv", good))
    second = intake.submit(phase, make_user("noisy"), upload("noisy.csv", noisy))

    def all_done():
        states = list(Submission.objects.values_list("status", flat=True))
        return all(s in Submission.DONE for s in states) and states

    try:
        wait_for(all_done, timeout=120, what="the worker to score both submissions")
    except AssertionError:
        raise AssertionError(celery_worker_process.log_path.read_text()[-3000:]) from None
    for submission, content in ((first, good), (second, noisy)):
        submission.refresh_from_db()
        assert submission.status == Submission.FINISHED, submission.reason
        classes = pd.read_csv(io.BytesIO(content))["Class"].to_numpy()
        score = Score.objects.get(submission=submission, subset="public", current=True)
        assert score.value == pytest.approx(reference_ams(solution, classes, "b"), rel=1e-12)
    board = leaderboard.compute(phase, "public")
    expected = sorted(board.rows, key=lambda r: -r.value)
    assert [r.team for r in board.rows] == [r.team for r in expected]
    assert [r.rank for r in board.rows] == [1, 2]

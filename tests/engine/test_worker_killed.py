"""A real worker process killed (SIGKILL) in the middle of scoring; a new worker and the sweep
finish the submission, exactly once on the leaderboard."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import time
from datetime import timedelta

import pandas as pd
import pytest
from django.utils import timezone

from fivesigma.challenges.engine import bundles, intake, leaderboard, lifecycle
from fivesigma.challenges.models import Score, Submission
from tests.builders.higgsml_files import noisy_submission, reference_ams, write_ams_bundle
from tests.builders.submissions import upload
from tests.builders.users import make_user
from tests.conftest import REPO, _database_url, spawn_worker, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def slow_scoring(monkeypatch):
    """The first worker draws many bootstrap replicas, so that scoring lasts a few seconds."""
    monkeypatch.setenv("FIVESIGMA_BOOTSTRAP_REPLICAS", "100000")


def start_worker(tmp_path, log_name: str) -> subprocess.Popen:
    """Another worker on the same database, broker and files as ``celery_worker_process``."""
    env = {
        **os.environ,
        "FIVESIGMA_DATA_DIR": str(tmp_path),
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL", "filesystem://"),
        "FIVESIGMA_BOOTSTRAP_REPLICAS": "200",
        "PYTHONPATH": str(REPO),
    }
    return spawn_worker(tmp_path / log_name, env)


def stop(worker: subprocess.Popen) -> None:
    os.killpg(worker.pid, signal.SIGTERM)
    try:
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()


def status_of(submission: Submission) -> str:
    return Submission.objects.values_list("status", flat=True).get(pk=submission.pk)


def test_worker_killed_mid_scoring_ends_finished_once(
    slow_scoring, celery_worker_process, tmp_path
):
    solution = write_ams_bundle(tmp_path / "bundle", n_events=5000)
    phase = bundles.load(tmp_path / "bundle").phases.get()
    content = noisy_submission(solution, seed=4)
    submission = intake.submit(phase, make_user("alice"), upload("alice.csv", content))

    try:
        wait_for(
            lambda: status_of(submission) == Submission.SCORING,
            timeout=120,
            interval=0.05,
            what="the first worker to start scoring",
        )
    except AssertionError:
        raise AssertionError(celery_worker_process.log_path.read_text()[-3000:]) from None
    os.killpg(celery_worker_process.pid, signal.SIGKILL)
    time.sleep(1.0)
    assert status_of(submission) == Submission.SCORING, "the kill came too late to test anything"
    assert not Score.objects.filter(submission=submission).exists()

    second = start_worker(tmp_path, "worker-2.log")
    try:
        # an hour later, the periodic sweep finds the submission making no progress
        an_hour_ago = timezone.now() - timedelta(seconds=3601)
        Submission.objects.filter(pk=submission.pk).update(started_at=an_hour_ago)
        assert lifecycle.sweep_stuck() == {"requeued": 1, "failed": 0}
        try:
            wait_for(
                lambda: status_of(submission) in Submission.DONE,
                timeout=120,
                what="the second worker to finish the submission",
            )
        except AssertionError:
            raise AssertionError(second.log_path.read_text()[-3000:]) from None
    finally:
        stop(second)

    submission.refresh_from_db()
    assert submission.status == Submission.FINISHED, submission.reason
    assert submission.attempts == 2
    events = list(submission.events.values_list("status", flat=True))
    assert events.count("finished") == 1 and events[-1] == "finished"
    assert submission.scores.count() == 2
    board = leaderboard.compute(phase, Score.PUBLIC)
    assert [(r.team, r.submission_id) for r in board.rows] == [("alice", submission.pk)]
    classes = pd.read_csv(io.BytesIO(content))["Class"].to_numpy()
    assert board.rows[0].value == pytest.approx(reference_ams(solution, classes, "b"), rel=1e-12)

"""A worker SIGKILLed while a code submission runs in the sandbox: the sandbox dies with it,
and a new worker, after the periodic sweep, runs the submission again to the end, once."""

from __future__ import annotations

import shutil
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from fivesigma.challenges.engine import bundles, intake, leaderboard, lifecycle
from fivesigma.challenges.models import Score, Submission
from tests.builders.submissions import model_zip, upload
from tests.builders.trackml_files import STRAIGHT_TRACK_MODEL, write_tracking_bundle
from tests.builders.users import make_user
from tests.conftest import require, wait_for
from tests.faults.checks import all_done, assert_settled
from tests.faults.services import command_line, descendants, running

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SECONDS_PER_EVENT = 1.5

# The straight-track model, slowed down so that the worker can be killed while it runs.
SLOW_MODEL = (
    STRAIGHT_TRACK_MODEL
    + f"""
import time

_find_tracks = Model.predict_one_event


def _slowly(self, event_id, hits, cells):
    time.sleep({SECONDS_PER_EVENT})
    return _find_tracks(self, event_id, hits, cells)


Model.predict_one_event = _slowly
"""
)


def sandbox_processes(worker_pid: int) -> set[int]:
    return {pid for pid in descendants(worker_pid) if "bwrap" in command_line(pid)}


def test_worker_killed_mid_sandbox_run_is_run_again_and_scored_once(workers, tmp_path):
    require(shutil.which("bwrap") is not None, "bubblewrap (apt-get install bubblewrap)")
    write_tracking_bundle(tmp_path / "bundle")
    phase = bundles.load(tmp_path / "bundle").phases.get()
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    archive = model_zip(tmp_path / "slow.zip", SLOW_MODEL)
    first = workers.start("worker-1", TMPDIR=str(scratch))
    submission = intake.submit(phase, make_user("dana"), upload("slow.zip", archive.read_bytes()))

    def sandbox_running():
        pids = sandbox_processes(first.pid)
        status = Submission.objects.values_list("status", flat=True).get(pk=submission.pk)
        return pids if pids and status == Submission.RUNNING else None

    try:
        sandbox = wait_for(sandbox_running, timeout=150, interval=0.1, what="the sandbox to run")
    except AssertionError:
        raise AssertionError(workers.logs()) from None
    time.sleep(2 * SECONDS_PER_EVENT)  # inside the events now, well before the last one
    first.kill()
    wait_for(lambda: not running(sandbox), timeout=10, what="the sandbox to die with its worker")
    submission.refresh_from_db()
    assert submission.status == Submission.RUNNING, "the kill came too late to test anything"
    assert not submission.output and not Score.objects.filter(submission=submission).exists()

    second = workers.start("worker-2", TMPDIR=str(scratch))
    # an hour later, the periodic sweep finds the submission making no progress
    assert lifecycle.sweep_stuck(now=timezone.now() + timedelta(seconds=3601)) == {
        "requeued": 1,
        "failed": 0,
    }
    try:
        wait_for(lambda: all_done([submission]), timeout=150, what="the second worker")
    except AssertionError:
        raise AssertionError(workers.logs()) from None

    assert second.alive()
    outcome = assert_settled(phase, [submission])
    assert outcome[Submission.FINISHED] == [submission], submission.reason
    submission.refresh_from_db()
    assert submission.attempts == 2
    history = list(submission.events.values_list("status", flat=True))
    assert history.count("running") == 2
    report = submission.run_report
    assert report["status"] == "ok" and len(report["per_event_seconds"]) == 3
    assert min(report["per_event_seconds"].values()) >= SECONDS_PER_EVENT
    public = Score.objects.get(submission=submission, subset=Score.PUBLIC, current=True)
    assert public.details["accuracy"] == pytest.approx(1.0)
    row = leaderboard.compute(phase, Score.PUBLIC).rows[0]
    assert (row.team, row.submission_id) == ("dana", submission.pk)

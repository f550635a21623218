"""A worker killed mid-run is noticed by its silent heartbeat within the heartbeat timeout,
whatever the phase's time limit; a run that is alive keeps beating and is left alone."""

from __future__ import annotations

import time

import pytest

from fivesigma.challenges.engine import bundles, intake, lifecycle
from fivesigma.challenges.models import Submission
from tests.builders.higgsml_files import noisy_submission, write_ams_bundle
from tests.builders.submissions import upload
from tests.builders.users import make_user
from tests.conftest import wait_for
from tests.faults.checks import all_done, assert_settled

pytestmark = [pytest.mark.integration, pytest.mark.slow]

HEARTBEAT_S = 0.5
TIMEOUT_S = 3.0


def status_of(submission: Submission) -> str:
    return Submission.objects.values_list("status", flat=True).get(pk=submission.pk)


def test_a_killed_run_is_requeued_within_the_heartbeat_timeout(workers, settings, tmp_path):
    settings.FIVESIGMA_HEARTBEAT_TIMEOUT_S = TIMEOUT_S
    solution = write_ams_bundle(tmp_path / "bundle", n_events=5000)
    phase = bundles.load(tmp_path / "bundle").phases.get()
    # a generous time limit: the sweep's hour-long fallback would wait four hours
    phase.time_limit_s = 7200
    phase.save(update_fields=["time_limit_s"])
    submission = intake.submit(
        phase, make_user("alice"), upload("alice.csv", noisy_submission(solution, seed=4))
    )
    # scoring with this many bootstrap replicas takes minutes even on a fast idle machine (it
    # is killed after a few seconds); the second worker scores with the default number
    first = workers.start(
        "first", FIVESIGMA_HEARTBEAT_S=str(HEARTBEAT_S), FIVESIGMA_BOOTSTRAP_REPLICAS="10000000"
    )
    try:
        wait_for(
            lambda: status_of(submission) == Submission.SCORING,
            timeout=120,
            interval=0.05,
            what="the worker to start scoring",
        )
    except AssertionError:
        raise AssertionError(workers.logs()) from None

    # alive: past the timeout, the heartbeat keeps the run from being swept
    time.sleep(TIMEOUT_S + 1.0)
    assert status_of(submission) == Submission.SCORING, "scoring ended too soon to test anything"
    assert lifecycle.sweep_stuck() == {"requeued": 0, "failed": 0}, "a live run was swept"

    first.kill()
    killed_at = time.monotonic()
    assert status_of(submission) == Submission.SCORING
    assert lifecycle.sweep_stuck() == {"requeued": 0, "failed": 0}, "swept before its timeout"
    wait_for(
        lambda: lifecycle.sweep_stuck()["requeued"],
        timeout=3 * TIMEOUT_S,
        interval=0.25,
        what="the sweep to notice the dead run",
    )
    noticed_after = time.monotonic() - killed_at
    assert noticed_after <= TIMEOUT_S + 1.5, f"noticed {noticed_after:.1f} s after the kill"

    workers.start("second")
    try:
        wait_for(lambda: all_done([submission]), timeout=120, what="the second worker to finish")
    except AssertionError:
        raise AssertionError(workers.logs()) from None
    submission.refresh_from_db()
    assert submission.attempts == 2
    messages = list(submission.events.values_list("message", flat=True))
    assert any("no sign of life from its worker" in m for m in messages), messages
    outcome = assert_settled(phase, [submission])
    assert outcome[Submission.FINISHED] == [submission]

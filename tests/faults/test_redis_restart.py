"""Redis restarted (crashed, no persistence) while submissions wait in its queue, and an upload
arrives while it is down: the worker reconnects by itself, the sweep re-queues what the
restart lost, and every submission is scored, once."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from django.db.models import F
from django.utils import timezone

from fivesigma.challenges.engine import bundles, intake, lifecycle
from fivesigma.challenges.models import Submission
from tests.builders.higgsml_files import submission_csv, write_ams_bundle
from tests.builders.submissions import upload
from tests.builders.users import make_user
from tests.conftest import wait_for
from tests.faults.checks import all_done, assert_settled

pytestmark = [pytest.mark.integration, pytest.mark.slow]

BEFORE_RESTART = 5


@pytest.fixture
def broker(redis_broker):
    """This test is about Redis: always a private redis-server, whatever the suite runs on."""
    return redis_broker


def in_progress() -> int:
    return Submission.objects.filter(status__in=[Submission.RUNNING, Submission.SCORING]).count()


def test_redis_restart_loses_no_submission(workers, broker, tmp_path):
    solution = write_ams_bundle(tmp_path / "bundle", n_events=2000)
    phase = bundles.load(tmp_path / "bundle").phases.get()

    def send(name: str, seed: int) -> Submission:
        truth = (solution["Label"] == "s").to_numpy() * 1.0
        noise = np.random.default_rng(seed).normal(0, 1.0, len(truth))
        content = submission_csv(solution, truth + noise)
        return intake.submit(phase, make_user(name), upload(f"{name}.csv", content))

    accepted = [send(f"team{i}", seed=i) for i in range(BEFORE_RESTART)]
    worker = workers.start("worker", FIVESIGMA_BOOTSTRAP_REPLICAS="40000")
    try:
        wait_for(in_progress, timeout=120, interval=0.05, what="the worker to take a task")
    except AssertionError:
        raise AssertionError(workers.logs()) from None
    waiting = broker.redis.pending("scoring")
    assert waiting >= 2, f"only {waiting} submissions were waiting in Redis at the restart"

    broker.redis.stop()  # a crash: no shutdown, no save
    late = send("late", seed=99)  # accepted while the broker is down, not queued
    accepted.append(late)
    late.refresh_from_db()
    assert late.status == Submission.SUBMITTED
    broker.redis.start()
    # the next sweep, once the late upload is a minute old, queues it (the running task keeps
    # beating, so a sweep that pretended a minute had passed would count it as dead too)
    Submission.objects.filter(pk=late.pk).update(created=F("created") - timedelta(seconds=61))
    assert lifecycle.sweep_stuck() == {
        "requeued": 1,
        "failed": 0,
    }

    # the worker reconnects by itself: it finishes the task it was running, then the late one
    try:
        wait_for(lambda: all_done([late]), timeout=120, what="the worker to take the late one")
    except AssertionError:
        raise AssertionError(workers.logs()) from None
    wait_for(lambda: not in_progress(), timeout=120, what="the running task to end")
    # the submissions that waited in Redis were lost with it
    queued = Submission.objects.filter(status=Submission.QUEUED).count()
    assert queued >= 1
    # an hour later, the periodic sweep re-queues them, through the restarted Redis
    later = timezone.now() + timedelta(seconds=3601)
    assert lifecycle.sweep_stuck(now=later) == {"requeued": queued, "failed": 0}
    try:
        wait_for(lambda: all_done(accepted), timeout=150, what="every submission to be scored")
    except AssertionError:
        raise AssertionError(workers.logs()) from None

    assert worker.alive() and len(workers.started) == 1, "the worker did not survive the restart"
    outcome = assert_settled(phase, accepted)
    assert len(outcome[Submission.FINISHED]) == len(accepted)
    assert {s.attempts for s in outcome[Submission.FINISHED]} == {1}, "one ran twice"

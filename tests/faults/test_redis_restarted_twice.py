"""Redis restarted twice while the worker scores: the worker, started as `make run` starts
it, survives both restarts (it reconnects, it does not exit, its embedded beat with it),
every submission ends finished, and the worker still takes new work afterwards."""

from __future__ import annotations

import sys
import time
from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone

from fivesigma.challenges.engine import bundles, intake, lifecycle
from fivesigma.challenges.models import Submission
from tests.builders.higgsml_files import submission_csv, write_ams_bundle
from tests.builders.submissions import upload
from tests.builders.users import make_user
from tests.conftest import wait_for
from tests.faults.checks import all_done, assert_settled

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# As `make run` starts it (platform/dev-serve.sh): two processes, embedded beat, gossip and
# mingle on, so that the worker holds several unacknowledged messages when Redis goes away.
DEV_WORKER = [
    sys.executable, "-m", "celery", "-A", "fivesigma", "worker", "-B", "-Q", "scoring,sandbox",
    "--concurrency", "2", "--loglevel", "INFO",
]  # fmt: skip


@pytest.fixture
def broker(redis_broker):
    """This test is about Redis: always a private redis-server, whatever the suite runs on."""
    return redis_broker


def in_progress() -> int:
    return Submission.objects.filter(status__in=[Submission.RUNNING, Submission.SCORING]).count()


def test_worker_survives_two_redis_restarts_while_scoring(workers, broker, tmp_path):
    solution = write_ams_bundle(tmp_path / "bundle", n_events=2000)
    phase = bundles.load(tmp_path / "bundle").phases.get()

    def send(name: str, seed: int) -> Submission:
        truth = (solution["Label"] == "s").to_numpy() * 1.0
        noise = np.random.default_rng(seed).normal(0, 1.0, len(truth))
        return intake.submit(
            phase, make_user(name), upload(f"{name}.csv", submission_csv(solution, truth + noise))
        )

    accepted = [send(f"team{i}", seed=i) for i in range(6)]
    worker = workers.start("worker", command=DEV_WORKER, FIVESIGMA_BOOTSTRAP_REPLICAS="40000")
    worker.wait_ready()
    try:
        wait_for(in_progress, timeout=120, interval=0.05, what="the worker to take a task")
    except AssertionError:
        raise AssertionError(workers.logs()) from None
    for _ in range(2):  # crashes (no shutdown, no save), the second while it reconnects or runs
        broker.redis.stop()
        time.sleep(1.0)
        broker.redis.start()
        time.sleep(3.0)
        assert worker.alive(), workers.logs()

    # what the restarts lost from the queue is re-queued by the sweep
    try:
        wait_for(lambda: not in_progress(), timeout=120, what="the running tasks to end")
    except AssertionError:
        raise AssertionError(workers.logs()) from None
    lifecycle.sweep_stuck(now=timezone.now() + timedelta(seconds=3601))
    try:
        wait_for(lambda: all_done(accepted), timeout=180, what="every submission to be scored")
    except AssertionError:
        raise AssertionError(workers.logs()) from None

    # the same worker still consumes: a new upload is scored without any sweep
    fresh = send("after", seed=7)
    accepted.append(fresh)
    try:
        wait_for(lambda: all_done([fresh]), timeout=120, what="the worker to take a new upload")
    except AssertionError:
        raise AssertionError(workers.logs()) from None
    assert worker.alive(), workers.logs()
    assert "Unrecoverable error" not in worker.log(tail=10**7), workers.logs()
    outcome = assert_settled(phase, accepted)
    assert len(outcome[Submission.FINISHED]) == len(accepted)

"""Celery tasks: thin wrappers around the engine's worker steps, on their own queues."""

from __future__ import annotations

from celery import shared_task
from celery.signals import worker_ready, worker_shutdown
from celery.worker import state

from fivesigma.challenges.engine import demo, lifecycle, operations, upload_spool, worker

# A task that finds the database unavailable is sent again after 2, 4, 8, ... 60 s (with
# jitter), for about five minutes; past that, the sweep re-queues the submission.
RESILIENT = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": worker.DATABASE_UNAVAILABLE,
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "max_retries": 10,
}


@shared_task(**RESILIENT)
def score_submission(submission_id: int) -> None:
    """Queue `scoring`: score an uploaded result file."""
    worker.process(submission_id)


@shared_task(**RESILIENT)
def run_code_submission(submission_id: int) -> None:
    """Queue `sandbox`: run a code submission in the sandbox, then score its output."""
    worker.process(submission_id)


@shared_task
def sweep_stuck_submissions() -> dict:
    """Every minute: re-queue or fail submissions that stopped making progress."""
    return lifecycle.sweep_stuck()


@shared_task
def sweep_upload_spool() -> dict:
    """Every 10 minutes: delete uploads abandoned by a killed web process."""
    return upload_spool.sweep()


@shared_task(bind=True)
def prepare_demo(self, preparation_id: int) -> str:
    """Queue `scoring`: prepare a demo challenge step by step (``setup_demo --background``
    queues one per demo), each step logged as a progress line for the terminal."""
    return demo.prepare_once(
        preparation_id, self.request.id or "local", lambda p: demo.log.info(demo.progress_line(p))
    )


_heartbeat: list[operations.Heartbeat] = []


@worker_ready.connect
def start_heartbeat(sender, **kwargs) -> None:
    """A worker that is ready writes its heartbeat (its queues, the tasks it holds) until it
    stops; the organiser dashboard reads it."""
    queues = [queue.name for queue in sender.task_consumer.queues]
    beat = operations.Heartbeat(sender.hostname, queues, lambda: len(state.active_requests))
    _heartbeat.append(beat.start())


@worker_shutdown.connect
def stop_heartbeat(**kwargs) -> None:
    while _heartbeat:
        _heartbeat.pop().stop()

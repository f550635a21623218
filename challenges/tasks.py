"""Celery tasks: thin wrappers around challenges.pipeline on their own queues."""

from __future__ import annotations

from celery import shared_task

from challenges import pipeline


@shared_task(acks_late=True, reject_on_worker_lost=True)
def score_submission(submission_id: int) -> None:
    """Queue `scoring`: score an uploaded result file."""
    pipeline.process(submission_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_code_submission(submission_id: int) -> None:
    """Queue `sandbox`: run a code submission in the sandbox, then score its output."""
    pipeline.process(submission_id)


@shared_task
def sweep_stuck_submissions() -> dict:
    """Every minute: re-queue or fail submissions that stopped making progress."""
    return pipeline.sweep_stuck()

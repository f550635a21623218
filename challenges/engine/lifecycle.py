"""How a submission moves: submitted -> queued -> running -> scoring -> finished | failed.

``transition`` changes the status and records the step in the submission's history, nothing
more. The steps that change a team's leaderboard row say so themselves: ``fail`` here,
``intake.submit`` and ``worker.save_scores``. ``enqueue`` hands a submission to the worker
pool of its phase's queue; while a worker runs or scores it, a ``Heartbeat`` stamps
``heartbeat_at``; ``sweep_stuck`` (every minute, from Celery beat) re-queues or fails
submissions that stopped making progress: a run whose heartbeat went silent (its worker
died) within ``FIVESIGMA_HEARTBEAT_TIMEOUT_S``, whatever the phase's time limit.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from fivesigma.challenges.engine import standings
from fivesigma.challenges.engine.reasons import PROGRAM_FAILED, readable
from fivesigma.challenges.models import Phase, Score, Submission, SubmissionEvent

log = logging.getLogger(__name__)

TIMESTAMP_OF = {
    Submission.QUEUED: "queued_at",
    Submission.RUNNING: "started_at",
    Submission.FINISHED: "finished_at",
    Submission.FAILED: "finished_at",
}

# The steps during which a worker holds the submission and keeps its heartbeat going.
ALIVE = (Submission.RUNNING, Submission.SCORING)

# The Celery task that carries a submission of each kind of phase (challenges/tasks.py).
TASK_OF_KIND = {
    Phase.RESULT: "fivesigma.challenges.tasks.score_submission",
    Phase.CODE: "fivesigma.challenges.tasks.run_code_submission",
}


def transition(submission: Submission, status: str, message: str = "", **fields) -> None:
    """Move ``submission`` to ``status``, stamp the time and record the step in its history."""
    now = timezone.now()
    submission.status = status
    if status in TIMESTAMP_OF:
        setattr(submission, TIMESTAMP_OF[status], now)
    if status in ALIVE:
        fields = {"heartbeat_at": now, **fields}
    for name, value in fields.items():
        setattr(submission, name, value)
    submission.save(update_fields=["status", *TIMESTAMP_OF.values(), *fields])
    SubmissionEvent.objects.create(submission=submission, status=status, message=message)


def enqueue(submission: Submission, message: str = "") -> None:
    """Hand the submission to the worker pool of its phase's queue (after the commit)."""
    transition(submission, Submission.QUEUED, message)
    transaction.on_commit(lambda: publish(submission))


def publish(submission: Submission) -> None:
    """Send ``submission``'s task to the broker. When the broker cannot be reached, the
    submission goes back to 'submitted', which the sweep queues again within two minutes:
    the upload is accepted all the same, never lost and never left waiting for a lost task."""
    from kombu.exceptions import OperationalError as BrokerUnavailable

    from fivesigma.celery import app

    task = app.tasks[TASK_OF_KIND[submission.phase.kind]]
    try:
        task.apply_async(args=[submission.pk], queue=submission.phase.queue)
    except BrokerUnavailable as error:
        log.warning("submission %s not queued, the broker is unavailable: %s", submission.pk, error)
        with transaction.atomic():
            fresh = (
                Submission.objects.select_for_update()
                .filter(pk=submission.pk, status=Submission.QUEUED)
                .first()
            )
            if fresh is not None:
                transition(
                    fresh,
                    Submission.SUBMITTED,
                    "not queued: the task queue was unavailable; it is queued again within minutes",
                )


def fail(submission: Submission, reason: str, message: str | None = None, **fields) -> None:
    """End ``submission`` failed with ``reason`` (for the participant): its scores leave the
    leaderboard (a failed re-scoring retires the earlier ones) and its team's standing is
    brought up to date. Does nothing when a newer attempt or another run has moved it on."""
    reason = readable(reason)
    with transaction.atomic():
        if not is_current_attempt(submission):
            return
        Score.objects.filter(submission=submission, current=True).update(current=False)
        transition(
            submission,
            Submission.FAILED,
            message or reason.splitlines()[0][:200],
            reason=reason,
            **fields,
        )
        standings.refresh(submission.phase, submission.team_id)


def is_current_attempt(submission: Submission) -> bool:
    """Whether this run may still move ``submission`` on: no newer attempt has started (a
    duplicate delivery, a re-queue) and nothing has finished it. Locks the row; call it in
    the transaction that writes the next step, so that only one run ever writes a result.
    """
    fresh = (
        Submission.objects.select_for_update()
        .filter(pk=submission.pk)
        .values_list("attempts", "status")
        .first()
    )
    if fresh is None or fresh[0] != submission.attempts or fresh[1] in Submission.DONE:
        log.warning("submission %s: attempt %s superseded", submission.pk, submission.attempts)
        return False
    return True


class Heartbeat:
    """While a worker runs or scores ``submission``, stamp its ``heartbeat_at`` every
    ``FIVESIGMA_HEARTBEAT_S`` seconds from a thread of its own (with its own database
    connection), so that the sweep can tell a run that is alive from one whose worker died.

    Only the attempt that started it is stamped: a run superseded by a newer attempt, or
    finished, stops counting. A database outage costs beats, not the run.
    """

    def __init__(self, submission: Submission):
        self.submission_id = submission.pk
        self.attempt = submission.attempts
        self.interval_s = settings.FIVESIGMA_HEARTBEAT_S
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._beat, name=f"heartbeat-{submission.pk}", daemon=True
        )

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        # a beat blocked on a locked database finishes on its own; the run does not wait for it
        self._thread.join(timeout=1.0)

    def _beat(self) -> None:
        try:
            while not self._stop.wait(self.interval_s):
                try:
                    Submission.objects.filter(
                        pk=self.submission_id, attempts=self.attempt, status__in=ALIVE
                    ).update(heartbeat_at=timezone.now())
                except (OperationalError, InterfaceError) as error:
                    log.warning("submission %s: heartbeat missed: %s", self.submission_id, error)
                    connection.close()
        finally:
            connection.close()  # this thread's own connection


def sweep_stuck(now=None) -> dict[str, int]:
    """Re-queue submissions that made no progress in time, and fail those past their attempts.

    Stuck are: a submission never queued (the broker was down) after 60 s; one waiting in
    the queue for ``max(FIVESIGMA_STUCK_AFTER_S, 2 x the phase's time limit)``; one running
    or scoring whose heartbeat is older than ``FIVESIGMA_HEARTBEAT_TIMEOUT_S`` (its worker
    died), or that has run for that long limit (alive but hung). Returns how many were
    re-queued and failed. Run every minute by Celery beat.
    """
    now = now or timezone.now()
    counts = {"requeued": 0, "failed": 0}
    never_queued = Submission.objects.filter(
        status=Submission.SUBMITTED, created__lt=now - timedelta(seconds=60)
    )
    candidates = list(never_queued) + [
        s
        for s in Submission.objects.filter(status__in=[Submission.QUEUED, *ALIVE]).select_related(
            "phase"
        )
        if _stuck(s, now)
    ]
    for submission in candidates:
        with transaction.atomic():
            fresh = Submission.objects.select_for_update().get(pk=submission.pk)
            if fresh.status != submission.status:
                continue
            if fresh.attempts >= settings.FIVESIGMA_MAX_ATTEMPTS:
                fail(
                    fresh,
                    f"No worker finished this submission after {fresh.attempts} attempts "
                    f"(it was '{fresh.status}' with no progress); the organisers have been told.",
                    "gave up",
                )
                counts["failed"] += 1
            else:
                enqueue(fresh, f"re-queued: {_why_stuck(fresh, now)}")
                counts["requeued"] += 1
    return counts


def _longest_wait(submission: Submission) -> timedelta:
    """How long a submission may wait in the queue, or run, before it counts as stuck."""
    return max(
        timedelta(seconds=settings.FIVESIGMA_STUCK_AFTER_S),
        timedelta(seconds=2 * submission.phase.time_limit_s),
    )


def _stuck(submission: Submission, now) -> bool:
    if submission.status == Submission.QUEUED:
        queued = submission.queued_at or submission.created
        return queued < now - _longest_wait(submission)
    started = submission.started_at or submission.queued_at or submission.created
    last_beat = submission.heartbeat_at or started
    silent = last_beat < now - timedelta(seconds=settings.FIVESIGMA_HEARTBEAT_TIMEOUT_S)
    return silent or started < now - _longest_wait(submission)


def _why_stuck(submission: Submission, now) -> str:
    if submission.status in ALIVE and submission.heartbeat_at is not None:
        silent_s = (now - submission.heartbeat_at).total_seconds()
        if silent_s > settings.FIVESIGMA_HEARTBEAT_TIMEOUT_S:
            return (
                f"no sign of life from its worker for {silent_s:.0f} s while '{submission.status}'"
            )
    return f"no progress while '{submission.status}'"


def rescore_phase(phase: Phase) -> int:
    """Queue every scored submission of ``phase`` to be scored again from its stored files,
    and every submission an organiser's program failed (reasons.PROGRAM_FAILED): after the
    organisers fixed their program, it runs again."""
    by_program = Q()
    for start in PROGRAM_FAILED:
        by_program |= Q(status=Submission.FAILED, reason__startswith=start)
    count = 0
    for submission in phase.submissions.filter(Q(status=Submission.FINISHED) | by_program):
        with transaction.atomic():
            submission.attempts = 0
            submission.save(update_fields=["attempts"])
            enqueue(submission, "re-scoring requested by the organisers")
        count += 1
    return count

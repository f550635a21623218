"""How a submission moves: submitted -> queued -> running -> scoring -> finished | failed.

Every step is idempotent: a task delivered twice, or re-queued after its worker died, finds
the submission's status and either carries on or does nothing. Scores and the final status
are written in one transaction, so a leaderboard never sees half a result.
"""

from __future__ import annotations

import errno
import logging
import shutil
import tempfile
import traceback
from datetime import timedelta
from functools import lru_cache
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone

from fivesigma.challenges.engine import files, standings
from fivesigma.challenges.models import DataFile, Phase, Score, Submission, SubmissionEvent

log = logging.getLogger(__name__)

TIMESTAMP_OF = {
    Submission.QUEUED: "queued_at",
    Submission.RUNNING: "started_at",
    Submission.FINISHED: "finished_at",
    Submission.FAILED: "finished_at",
}


# The database went away (restart, fail-over, network): the task is tried again later.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)


class ScoringFailure(Exception):
    """A reason, for the participant, why their submission could not be scored."""


# the steps after which the team's leaderboard row may differ: a new entry, scores written or retired
MOVES_STANDING = (Submission.SUBMITTED, Submission.FINISHED, Submission.FAILED)


def transition(submission: Submission, status: str, message: str = "", **fields) -> None:
    """Move ``submission`` to ``status``, stamp the time, record the step in its history and,
    after the steps that can move it, bring the team's standing up to date."""
    now = timezone.now()
    submission.status = status
    if status in TIMESTAMP_OF:
        setattr(submission, TIMESTAMP_OF[status], now)
    for name, value in fields.items():
        setattr(submission, name, value)
    submission.save(update_fields=["status", *TIMESTAMP_OF.values(), *fields])
    SubmissionEvent.objects.create(submission=submission, status=status, message=message)
    if status in MOVES_STANDING:
        standings.refresh(submission.phase, submission.team_id)


def enqueue(submission: Submission, message: str = "") -> None:
    """Hand the submission to the worker pool of its phase's queue (after the commit)."""
    from fivesigma.challenges import tasks

    transition(submission, Submission.QUEUED, message)
    task = (
        tasks.run_code_submission if submission.phase.kind == Phase.CODE else tasks.score_submission
    )
    transaction.on_commit(lambda: publish(task, submission))


def publish(task, submission: Submission) -> None:
    """Send ``submission``'s task to the broker. When the broker cannot be reached, the
    submission goes back to 'submitted', which the sweep queues again within two minutes:
    the upload is accepted all the same, never lost and never left waiting for a lost task."""
    from kombu.exceptions import OperationalError as BrokerUnavailable

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


def process(submission_id: int) -> None:
    """The task body: run (code phases) and score one submission, exactly once to the end."""
    with transaction.atomic():
        submission = (
            Submission.objects.select_for_update()
            .select_related("phase")
            .filter(pk=submission_id)
            .first()
        )
        if submission is None or submission.is_done:
            return
        submission.attempts += 1
        if submission.attempts > settings.FIVESIGMA_MAX_ATTEMPTS:
            transition(
                submission,
                Submission.FAILED,
                "gave up",
                attempts=submission.attempts,
                reason=f"The platform could not finish scoring after {settings.FIVESIGMA_MAX_ATTEMPTS} attempts; "
                "the organisers have been told.",
            )
            return
        transition(
            submission,
            Submission.RUNNING,
            f"attempt {submission.attempts}",
            attempts=submission.attempts,
        )
    try:
        if submission.phase.kind == Phase.CODE and not submission.output:
            run_code(submission)  # a re-scored code submission keeps its stored output and timing
        with transaction.atomic():
            if not is_current_attempt(submission):
                return
            transition(submission, Submission.SCORING)
        score(submission)
    except ScoringFailure as failure:
        fail(submission, str(failure))
    except DATABASE_UNAVAILABLE:
        raise  # not the submission's fault: the task runs again once the database is back
    except Exception as error:  # a scorer bug is a failure with a reason, never "finished"
        log.exception("scoring submission %s failed", submission.pk)
        fail(submission, failure_reason(error), log_tail=traceback.format_exc()[-4000:])


def failure_reason(error: Exception) -> str:
    """What the participant reads when handling their submission raised ``error``."""
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
        return (
            "The platform ran out of disk space while handling this submission; this is not a "
            "fault of the submission, send it again later. The organisers have been told."
        )
    return f"The scorer failed on this submission ({type(error).__name__}: {error})."


def fail(submission: Submission, reason: str, **fields) -> None:
    reason = readable(reason)
    with transaction.atomic():
        if not is_current_attempt(submission):
            return
        # a failed re-scoring takes the submission's earlier scores off the leaderboard
        Score.objects.filter(submission=submission, current=True).update(current=False)
        transition(
            submission, Submission.FAILED, reason.splitlines()[0][:200], reason=reason, **fields
        )


def readable(message: str, line_chars: int = 300, total_chars: int = 2000) -> str:
    """A message short enough for a person: long lines cut (a 60 MB cell quoted back by a
    validator stays out of the page), at most ``total_chars`` characters in all."""
    lines = [
        line if len(line) <= line_chars else line[:line_chars] + " [...]"
        for line in message.splitlines()
    ]
    text = "\n".join(lines)
    return text if len(text) <= total_chars else text[:total_chars] + " [...]"


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


def _run_in_sandbox(submission: Submission, phase: Phase, workdir: Path):
    """The runner's report; a worker that cannot sandbox fails the run with how to fix it."""
    from fivesigma import runner

    try:
        return runner.run_submission(
            files.local_path(submission.file, submission.sha256),
            input_directory(phase),
            workdir / "output",
            harness=phase.harness or "trackml",
            limits=runner.Limits(
                time_limit_s=phase.time_limit_s, memory_limit_mb=phase.memory_limit_mb
            ),
            allow_unconfined=settings.FIVESIGMA_ALLOW_UNCONFINED_CODE,
        )
    except runner.SandboxUnavailable as error:
        log.error("sandbox unavailable for submission %s: %s", submission.pk, error)
        raise ScoringFailure(
            f"The platform could not run code submissions on this worker: {error} "
            "This is not a fault of your code; the organisers have been told."
        ) from error


def run_code(submission: Submission) -> None:
    """Run a code submission in the sandbox; keep its report and store its output file."""
    phase = submission.phase
    workdir = Path(tempfile.mkdtemp(prefix=f"fivesigma-run-{submission.pk}-"))
    try:
        report = _run_in_sandbox(submission, phase, workdir)
        details = report.to_dict()
        submission.run_report = details
        submission.log_tail = report.log_tail
        submission.save(update_fields=["run_report", "log_tail"])
        if report.status != "ok":
            raise ScoringFailure(report.reason or "The code submission failed.")
        output = workdir / "output" / "submission.csv"
        with open(output, "rb") as stream:
            stored, _, _ = files.store(
                stream, f"submissions/{phase.pk}/{submission.uid}/output.csv"
            )
        submission.output.name = stored
        submission.save(update_fields=["output"])
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def score(submission: Submission) -> None:
    """Score the stored result file against the phase's hidden solution and finish."""
    phase = submission.phase
    metric = phase.get_metric()
    result_file, context = submission.file, {}
    if phase.kind == Phase.CODE:
        result_file = submission.output
        context = {"seconds_per_event": submission.run_report.get("mean_seconds")}
    from fivesigma.scoring.validation import SubmissionError

    try:
        table = metric.read_submission(
            files.local_path(result_file), name=Path(result_file.name).name
        )
        solution = load_solution(phase)
        metric.check(solution, table)
        result = metric.evaluate(
            solution,
            table,
            n_bootstrap=settings.FIVESIGMA_BOOTSTRAP_REPLICAS,
            seed=phase.split.get("bootstrap_seed", 0),
            **context,
        )
    except SubmissionError as error:
        raise ScoringFailure(str(error)) from error
    save_scores(submission, metric.key, result)


def save_scores(submission: Submission, metric_key: str, result: dict) -> None:
    """Write the new Score rows, retire older ones, finish the submission: one transaction."""
    with transaction.atomic():
        if not is_current_attempt(submission):
            return
        Score.objects.filter(submission=submission, current=True).update(current=False)
        for subset in (Score.PUBLIC, Score.PRIVATE):
            part = result.get(subset)
            if part is None:
                continue
            diagnostics = result.get("diagnostics", {}).get(subset, {})
            Score.objects.create(
                submission=submission,
                phase_id=submission.phase_id,
                team_id=submission.team_id,
                submitted=submission.created,
                late=submission.is_late,
                subset=subset,
                metric=metric_key,
                value=finite_or_none(part.get("score")),
                ci_low=finite_or_none(part.get("ci_low")),
                ci_high=finite_or_none(part.get("ci_high")),
                replicas=np.asarray(part.get("replicas", []), dtype=np.float32).tobytes(),
                details=headline_figures(part, diagnostics),
                diagnostics=diagnostics,
            )
        transition(submission, Submission.FINISHED, "scored", reason="")


def headline_figures(part: dict, diagnostics: dict) -> dict:
    """The single numbers shown beside a score (e.g. accuracy and seconds per event)."""
    figures = {**part, **diagnostics}
    return {
        key: value
        for key, value in figures.items()
        if key not in {"score", "ci_low", "ci_high", "replicas"}
        and isinstance(value, int | float)
        and not isinstance(value, bool)
    }


def finite_or_none(value) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if np.isfinite(value) else None


def load_solution(phase: Phase):
    solution = phase.hidden_file(DataFile.SOLUTION)
    if solution is None:
        raise ScoringFailure("This phase has no solution file yet; the organisers have been told.")
    return _read_solution(
        phase.metric,
        tuple(sorted(phase.metric_options.items())),
        str(files.local_path(solution.file, solution.sha256)),
        solution.sha256,
    )


@lru_cache(maxsize=4)
def _read_solution(metric_key: str, options: tuple, path: str, sha256: str):
    from fivesigma.scoring import registry

    return registry.get(metric_key, **dict(options)).read_solution(path)


def input_directory(phase: Phase) -> Path:
    """A local directory holding exactly the phase's input files, mounted read-only in the sandbox."""
    inputs = list(phase.files.filter(role=DataFile.INPUT))
    if not inputs:
        raise ScoringFailure("This code phase has no input data; the organisers have been told.")
    first = files.local_path(inputs[0].file, inputs[0].sha256)
    root = first.parent
    names = {Path(f.name).name for f in inputs}
    if {p.name for p in root.iterdir()} == names:
        return root  # local storage keeps a phase's inputs in their own directory
    root = Path(settings.DATA_DIR) / "cache" / f"phase-input-{phase.pk}"
    root.mkdir(parents=True, exist_ok=True)
    for data_file in inputs:
        target = root / Path(data_file.name).name
        if not target.exists():
            shutil.copyfile(files.local_path(data_file.file, data_file.sha256), target)
    return root


def sweep_stuck(now=None) -> dict[str, int]:
    """Re-queue submissions that made no progress in time, and fail those past their attempts.

    Returns how many were re-queued and failed. Run every minute by Celery beat.
    """
    now = now or timezone.now()
    counts = {"requeued": 0, "failed": 0}
    stuck_after = timedelta(seconds=settings.FIVESIGMA_STUCK_AFTER_S)
    never_queued = Submission.objects.filter(
        status=Submission.SUBMITTED, created__lt=now - timedelta(seconds=60)
    )
    candidates = list(never_queued) + [
        s
        for s in Submission.objects.filter(
            status__in=[Submission.QUEUED, Submission.RUNNING, Submission.SCORING]
        ).select_related("phase")
        if _last_progress(s) < now - max(stuck_after, timedelta(seconds=2 * s.phase.time_limit_s))
    ]
    for submission in candidates:
        with transaction.atomic():
            fresh = Submission.objects.select_for_update().get(pk=submission.pk)
            if fresh.status != submission.status:
                continue
            if fresh.attempts >= settings.FIVESIGMA_MAX_ATTEMPTS:
                transition(
                    fresh,
                    Submission.FAILED,
                    "gave up",
                    reason=(
                        f"No worker finished this submission after {fresh.attempts} attempts "
                        f"(it was '{fresh.status}' with no progress); the organisers have been told."
                    ),
                )
                counts["failed"] += 1
            else:
                enqueue(fresh, f"re-queued: no progress while '{fresh.status}'")
                counts["requeued"] += 1
    return counts


def _last_progress(submission: Submission):
    """When the submission entered its current step: queued, or started running."""
    if submission.status == Submission.QUEUED:
        return submission.queued_at or submission.created
    return submission.started_at or submission.queued_at or submission.created


def rescore_phase(phase: Phase) -> int:
    """Queue every scored submission of ``phase`` to be scored again from its stored files."""
    count = 0
    for submission in phase.submissions.filter(status=Submission.FINISHED):
        with transaction.atomic():
            submission.attempts = 0
            submission.save(update_fields=["attempts"])
            enqueue(submission, "re-scoring requested by the organisers")
        count += 1
    return count

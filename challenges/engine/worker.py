"""The worker's steps for one submission: run it (code phases), score it, save the scores.

Phases whose organisers bring programs take the same steps through ``programs``: an
ingestion program runs the code, a scoring program scores (docs/bundles.md).

``process`` is the body of both Celery tasks. Every step is idempotent: a task delivered
twice, or re-queued after its worker died, finds the submission's status and either carries
on or does nothing. Scores and the final status are written in one transaction, so a
leaderboard never sees half a result; that transaction also brings the team's standing up
to date, explicitly.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import traceback
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction

from fivesigma.challenges.engine import program_steps, standings, stored_files
from fivesigma.challenges.engine.lifecycle import Heartbeat, fail, is_current_attempt, transition
from fivesigma.challenges.engine.reasons import ScoringFailure, failure_reason
from fivesigma.challenges.engine.solutions import input_directory, load_solution
from fivesigma.challenges.models import Phase, Score, Submission

log = logging.getLogger(__name__)

# The database went away (restart, fail-over, network): the task is tried again later.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)


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
            submission.save(update_fields=["attempts"])
            fail(
                submission,
                f"The platform could not finish scoring after {settings.FIVESIGMA_MAX_ATTEMPTS} "
                "attempts; the organisers have been told.",
                "gave up",
            )
            return
        transition(
            submission,
            Submission.RUNNING,
            f"attempt {submission.attempts}",
            attempts=submission.attempts,
        )
    try:
        with Heartbeat(submission):
            if submission.phase.kind == Phase.CODE and not submission.output:
                # a re-scored code submission keeps its output and timing
                if submission.phase.ingestion_command:
                    program_steps.ingest(submission, runner_settings())
                else:
                    run_code(submission)
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


def _run_in_sandbox(submission: Submission, phase: Phase, workdir: Path):
    """The runner's report; a worker that cannot sandbox fails the run with how to fix it."""
    from fivesigma import runner

    try:
        return runner.run_submission(
            stored_files.local_path(submission.file, submission.sha256),
            input_directory(phase),
            workdir / "output",
            harness=phase.harness or "trackml",
            limits=runner.Limits(
                time_limit_s=phase.time_limit_s, memory_limit_mb=phase.memory_limit_mb
            ),
            allow_unconfined=settings.FIVESIGMA_ALLOW_UNCONFINED_CODE,
            worker=runner_settings(),
        )
    except runner.SandboxUnavailable as error:
        log.error("sandbox unavailable for submission %s: %s", submission.pk, error)
        raise ScoringFailure(
            f"The platform could not run code submissions on this worker: {error} "
            "This is not a fault of your code; the organisers have been told."
        ) from error


def runner_settings():
    """The runner's machine-wide settings, the same for every timed run and every scoring of
    this worker: calibrated when FIVESIGMA_CALIBRATION_DIR is set; CPU slots in
    FIVESIGMA_CPU_SLOTS_DIR (empty: the runner's default, which every process of the user on
    the machine shares)."""
    from fivesigma import runner

    calibration = settings.FIVESIGMA_CALIBRATION_DIR
    slots = settings.FIVESIGMA_CPU_SLOTS_DIR
    return runner.Worker(
        cpu_slots_dir=Path(slots) if slots else None,
        calibration_dir=Path(calibration) if calibration else None,
    )


def scoring_cpu():
    """Hold a CPU slot of this machine's timed runs while a built-in metric scores in the
    calling thread, pinned to that CPU (docs/runner.md, "CPUs of their own"): it waits for a
    free CPU and never shares one with a timed run. An organiser's scoring program takes its
    slot in the runner instead, for each run; the two never nest, since a thread holding a
    slot runs on that CPU only and would wait for itself."""
    from fivesigma import runner

    return runner.exclusive_cpu(runner_settings().cpu_slots_dir)


def ranked_seconds(run_report: dict) -> float | None:
    """The seconds per event a code submission is ranked by: on-CPU seconds of its process
    tree, normalised to the reference machine (docs/runner.md, "Which seconds are ranked");
    the wall seconds for a report from before they were measured."""
    return run_report.get("ranked_seconds") or run_report.get("mean_seconds")


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
            stored, _, _ = stored_files.store(
                stream, f"submissions/{phase.pk}/{submission.uid}/output.csv"
            )
        submission.output.name = stored
        submission.save(update_fields=["output"])
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def score(submission: Submission) -> None:
    """Score the stored result file against the phase's hidden solution (or with the
    organisers' scoring program) and finish."""
    phase = submission.phase
    metric = phase.get_metric()
    if phase.is_program_scored:
        public, private = program_steps.score(submission, runner_settings())
        save_scores(submission, metric.key, metric.result(public, private))
        return
    result_file, context = submission.file, {}
    if phase.kind == Phase.CODE:
        result_file = submission.output
        context = {"seconds_per_event": ranked_seconds(submission.run_report)}
    from fivesigma.scoring.validation import SubmissionError

    local = stored_files.local_path(result_file)  # fetched before the CPU is taken
    try:
        with scoring_cpu():
            table = metric.read_submission(local, name=Path(str(result_file.name)).name)
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
        standings.refresh(submission.phase, submission.team_id)


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

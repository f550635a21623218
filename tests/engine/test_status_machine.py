"""The status machine: every submission ends finished or failed with a reason, exactly once.

Tasks are run by calling ``worker.process`` as a worker would (the ``db`` fixture never
runs on-commit hooks, so nothing is queued behind the test's back). A worker killed in the
middle of a task is simulated by an exception that is not an ``Exception`` (as SIGKILL, it
escapes every handler and leaves the row as it was).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from fivesigma.challenges.engine import intake, leaderboard, lifecycle, solutions, worker
from fivesigma.challenges.models import DataFile, Score, Submission
from fivesigma.scoring.metrics.significance import AmsMetric
from tests.builders.higgsml_files import noisy_submission
from tests.builders.submissions import upload
from tests.builders.users import make_user


class WorkerKilled(BaseException):
    """Stands for SIGKILL: nothing in the task catches it."""


def accepted(tiny, name: str = "alice", seed: int = 0) -> Submission:
    user = make_user(name)
    return intake.submit(
        tiny.main, user, upload(f"{name}.csv", noisy_submission(tiny.solution, seed=seed))
    )


def reloaded(submission: Submission) -> Submission:
    return Submission.objects.get(pk=submission.pk)


def history(submission: Submission) -> list[str]:
    return list(submission.events.values_list("status", flat=True))


def current_scores(submission: Submission) -> list[str]:
    return sorted(submission.scores.filter(current=True).values_list("subset", flat=True))


def stall(submission: Submission) -> None:
    """Age the current attempt past every stuck limit (1 h, or twice the phase's time limit)."""
    ago = timezone.now() - timedelta(seconds=max(3600, 2 * 600) + 1)
    Submission.objects.filter(pk=submission.pk).update(started_at=ago)


def test_happy_path_history(tiny):
    submission = accepted(tiny)
    worker.process(submission.pk)
    submission = reloaded(submission)
    assert submission.status == Submission.FINISHED
    assert history(submission) == ["submitted", "queued", "running", "scoring", "finished"]
    assert submission.queued_at <= submission.started_at <= submission.finished_at
    assert current_scores(submission) == ["private", "public"]


def break_read(monkeypatch):
    monkeypatch.setattr(AmsMetric, "read_submission", _raise(OSError("disk read error")))


def break_evaluate(monkeypatch):
    monkeypatch.setattr(AmsMetric, "evaluate", _raise(ZeroDivisionError("division by zero")))


def break_check(monkeypatch):
    monkeypatch.setattr(AmsMetric, "check", _raise(KeyError("Usage")))


def break_second_score_row(monkeypatch):
    """The private Score row fails to be written after the public one was."""
    real = worker.headline_figures
    calls = []

    def flaky(part, diagnostics):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("database went away")
        return real(part, diagnostics)

    monkeypatch.setattr(worker, "headline_figures", flaky)


def lose_solution(monkeypatch):
    DataFile.objects.filter(role=DataFile.SOLUTION).delete()


def _raise(error):
    def raiser(*args, **kwargs):
        raise error

    return raiser


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (break_read, "OSError: disk read error"),
        (break_evaluate, "ZeroDivisionError"),
        (break_check, "KeyError"),
        (break_second_score_row, "database went away"),
        (lose_solution, "no solution file"),
    ],
)
def test_a_failing_step_ends_failed_with_its_reason_never_finished(
    tiny, monkeypatch, fault, reason
):
    submission = accepted(tiny)
    solutions._read_solution.cache_clear()
    fault(monkeypatch)
    worker.process(submission.pk)
    submission = reloaded(submission)
    assert submission.status == Submission.FAILED
    assert reason in submission.reason
    assert history(submission)[-1] == "failed" and "finished" not in history(submission)
    assert submission.scores.count() == 0, "half a result was kept"
    # a failed submission is not an entry: its team is not on the board
    assert leaderboard.compute(tiny.main, Score.PUBLIC).rows == []


def test_a_stored_file_that_vanished_fails_with_a_reason(tiny):
    submission = accepted(tiny)
    submission.file.storage.delete(submission.file.name)
    worker.process(submission.pk)
    submission = reloaded(submission)
    assert submission.status == Submission.FAILED
    assert "FileNotFoundError" in submission.reason or "No such file" in submission.reason


def test_an_undefined_score_finishes_and_ranks_last(tiny, monkeypatch):
    real = AmsMetric.evaluate

    def nan_public(self, *args, **kwargs):
        result = real(self, *args, **kwargs)
        result["public"]["score"] = float("nan")
        return result

    first = accepted(tiny, "alice", seed=1)
    worker.process(first.pk)
    monkeypatch.setattr(AmsMetric, "evaluate", nan_public)
    second = accepted(tiny, "bob", seed=2)
    worker.process(second.pk)
    assert reloaded(second).status == Submission.FINISHED
    assert Score.objects.get(submission=second, subset=Score.PUBLIC).value is None
    rows = leaderboard.compute(tiny.main, Score.PUBLIC).rows
    assert [(r.team, r.rank) for r in rows] == [("alice", 1), ("bob", 2)]
    assert rows[1].value is None


def test_a_task_delivered_twice_in_a_row_scores_once(tiny):
    submission = accepted(tiny)
    worker.process(submission.pk)
    worker.process(submission.pk)
    submission = reloaded(submission)
    assert submission.attempts == 1
    assert history(submission).count("finished") == 1
    assert submission.scores.count() == 2


def test_a_duplicate_delivery_during_scoring_finishes_the_submission_once(tiny, monkeypatch):
    """The second copy of the task arrives while the first is scoring (broker redelivery),
    before the first takes its CPU slot (in this one thread, the duplicate could not take one
    while the first holds it: a slot holder runs on that CPU alone)."""
    submission = accepted(tiny)
    real = worker.scoring_cpu
    deliveries = []

    def scoring_cpu_after_a_duplicate():
        if not deliveries:
            deliveries.append("duplicate")
            worker.process(submission.pk)  # the duplicate runs to its end meanwhile
        return real()

    monkeypatch.setattr(worker, "scoring_cpu", scoring_cpu_after_a_duplicate)
    worker.process(submission.pk)
    submission = reloaded(submission)
    assert submission.status == Submission.FINISHED
    assert history(submission).count("finished") == 1, history(submission)
    assert current_scores(submission) == ["private", "public"]
    assert submission.scores.count() == 2, "a duplicate run left extra score rows"


def test_a_late_duplicate_cannot_drag_a_finished_submission_back(tiny, monkeypatch):
    """The first run is slow before scoring; a newer attempt finishes first."""
    submission = accepted(tiny)
    real = worker.score
    calls = []

    def slow_first_run(sub):
        calls.append(sub.attempts)
        if len(calls) == 1:
            worker.process(submission.pk)  # the newer attempt, to the end
        return real(sub)

    monkeypatch.setattr(worker, "score", slow_first_run)
    worker.process(submission.pk)
    submission = reloaded(submission)
    assert submission.status == Submission.FINISHED
    assert history(submission)[-1] == "finished"
    assert current_scores(submission) == ["private", "public"]
    assert submission.scores.count() == 2


def kill_during_scoring(monkeypatch):
    def killed(submission):
        raise WorkerKilled

    monkeypatch.setattr(worker, "score", killed)


def test_a_killed_worker_is_requeued_by_the_sweep_and_then_finishes(tiny, monkeypatch):
    submission = accepted(tiny)
    with monkeypatch.context() as patch:
        kill_during_scoring(patch)
        with pytest.raises(WorkerKilled):
            worker.process(submission.pk)
    assert reloaded(submission).status == Submission.SCORING
    assert lifecycle.sweep_stuck() == {"requeued": 0, "failed": 0}, "not stuck yet"
    stall(submission)
    assert lifecycle.sweep_stuck() == {"requeued": 1, "failed": 0}
    assert reloaded(submission).status == Submission.QUEUED
    worker.process(submission.pk)
    submission = reloaded(submission)
    assert submission.status == Submission.FINISHED
    assert submission.attempts == 2
    messages = list(submission.events.values_list("message", flat=True))
    assert "re-queued: no progress while 'scoring'" in messages
    rows = leaderboard.compute(tiny.main, Score.PUBLIC).rows
    assert [r.submission_id for r in rows] == [submission.pk]


def test_a_requeued_submission_is_not_requeued_again_while_it_waits(tiny, monkeypatch):
    submission = accepted(tiny)
    with monkeypatch.context() as patch:
        kill_during_scoring(patch)
        with pytest.raises(WorkerKilled):
            worker.process(submission.pk)
    stall(submission)
    assert lifecycle.sweep_stuck()["requeued"] == 1
    # the next sweeps, a minute apart, while the submission waits its turn in the queue
    for minutes in (1, 2):
        soon = timezone.now() + timedelta(minutes=minutes)
        assert lifecycle.sweep_stuck(now=soon) == {"requeued": 0, "failed": 0}
    assert history(reloaded(submission)).count("queued") == 2


def test_a_worker_killed_every_time_fails_with_a_reason_after_the_last_attempt(
    tiny, monkeypatch, settings
):
    submission = accepted(tiny)
    kill_during_scoring(monkeypatch)
    for attempt in range(1, settings.FIVESIGMA_MAX_ATTEMPTS + 1):
        with pytest.raises(WorkerKilled):
            worker.process(submission.pk)
        assert reloaded(submission).attempts == attempt
        stall(submission)
        last = attempt == settings.FIVESIGMA_MAX_ATTEMPTS
        assert lifecycle.sweep_stuck() == {"requeued": 0 if last else 1, "failed": 1 if last else 0}
    submission = reloaded(submission)
    assert submission.status == Submission.FAILED
    assert f"after {settings.FIVESIGMA_MAX_ATTEMPTS} attempts" in submission.reason
    stall(submission)
    assert lifecycle.sweep_stuck() == {"requeued": 0, "failed": 0}


def test_a_task_past_its_attempts_fails_instead_of_running(tiny, settings):
    submission = accepted(tiny)
    Submission.objects.filter(pk=submission.pk).update(attempts=settings.FIVESIGMA_MAX_ATTEMPTS)
    worker.process(submission.pk)
    submission = reloaded(submission)
    assert submission.status == Submission.FAILED
    assert "attempts" in submission.reason
    assert submission.scores.count() == 0


def test_a_submission_never_queued_is_queued_by_the_sweep(tiny):
    submission = accepted(tiny)
    Submission.objects.filter(pk=submission.pk).update(status=Submission.SUBMITTED)
    assert lifecycle.sweep_stuck(now=timezone.now() + timedelta(seconds=61))["requeued"] == 1
    assert reloaded(submission).status == Submission.QUEUED


def test_rescoring_keeps_history_and_the_board_shows_current_scores(tiny):
    alice, bob = accepted(tiny, "alice", seed=1), accepted(tiny, "bob", seed=2)
    for submission in (alice, bob):
        worker.process(submission.pk)
    first_round = {
        s.submission_id: s.value for s in Score.objects.filter(subset=Score.PUBLIC, current=True)
    }
    # a scorer bug had given alice an absurd score; the fixed scorer recomputes it
    Score.objects.filter(submission=alice).update(value=1e6)
    assert leaderboard.compute(tiny.main, Score.PUBLIC).rows[0].team == "alice"

    assert lifecycle.rescore_phase(tiny.main) == 2
    # while the tasks wait, the board still shows every team with its current scores
    assert {r.team for r in leaderboard.compute(tiny.main, Score.PUBLIC).rows if r.value} == {
        "alice",
        "bob",
    }
    for submission in (alice, bob):
        assert reloaded(submission).status == Submission.QUEUED
        worker.process(submission.pk)
    for submission in (alice, bob):
        submission = reloaded(submission)
        assert submission.status == Submission.FINISHED
        assert submission.scores.count() == 4
        assert submission.scores.filter(current=False).count() == 2
        public = submission.scores.get(subset=Score.PUBLIC, current=True).value
        assert public == pytest.approx(first_round[submission.pk])
    board = leaderboard.compute(tiny.main, Score.PUBLIC)
    assert 1e6 not in [r.value for r in board.rows]
    assert sorted(r.value for r in board.rows) == sorted(first_round.values())

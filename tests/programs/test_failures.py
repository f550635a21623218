"""A scoring program that crashes, runs past its time limit, writes no scores, writes scores
that are not numbers or imports a module its environment lacks ends the submission failed,
with one line for the participant and the program's log for the organisers; the worker
carries on with the next submission."""

from __future__ import annotations

import time

import pytest

from fivesigma.challenges.engine import bundles
from fivesigma.challenges.models import Score, Submission
from tests.programs.bundles import csv_text, write_legacy_bundle, write_regression_bundle
from tests.programs.conftest import participant, processed, submit
from tests.runner.conftest import needs_bwrap, sandbox_processes

pytestmark = needs_bwrap

GUESS = csv_text({str(i): float(i) for i in range(1, 10)}).encode()


def failed_with(tmp_path, score_py: str, time_limit: int = 60) -> Submission:
    root = write_regression_bundle(tmp_path / "bundle", score_py=score_py, time_limit=time_limit)
    phase = bundles.load(root, environments=tmp_path / "envs").phases.get()
    submission = processed(submit(participant(), phase, "predictions.csv", GUESS))
    assert submission.status == Submission.FAILED
    assert not Score.objects.filter(submission=submission, current=True).exists()
    assert submission.log_tail == ""  # the program's log is kept for the organisers only
    return submission


@pytest.mark.parametrize(
    ("score_py", "reason", "in_log"),
    [
        (
            "import sys\nraise ValueError('no truth for id 7')\n",
            "scoring program failed: exited with status 1 (ValueError: no truth for id 7)",
            'score.py", line 2, in <module>',
        ),
        (
            "print('all done, I think')\n",
            "scoring program failed: it wrote no scores (output/scores.json or output/scores.txt)",
            "all done, I think",
        ),
        (
            "import os, sys\n"
            "open(os.path.join(sys.argv[2], 'scores.json'), 'w').write('{\"rmse\": \"high\"}')\n",
            "scoring program failed: scores.json: 'rmse' is not a number ('high')",
            "",
        ),
        (
            "import calorimeter_fastsim\n",
            "scoring program failed: it imports the module 'calorimeter_fastsim', which its "
            "environment does not have (the organisers can name the package in a "
            "requirements.txt next to the program)",
            "ModuleNotFoundError: No module named 'calorimeter_fastsim'",
        ),
        (
            "x = bytearray(5 * 1024**3)\n",
            "scoring program failed: exited with status 1 (MemoryError); the memory limit is 4096 MB",
            "MemoryError",
        ),
    ],
    ids=["crash", "no-scores", "not-a-number", "missing-module", "memory"],
)
def test_a_failing_program_fails_the_submission_with_one_line(
    tmp_path, db, score_py, reason, in_log
):
    submission = failed_with(tmp_path, score_py)
    assert submission.reason == reason
    scoring = submission.run_report["program"]["scoring"]
    assert in_log in scoring["log"]
    assert scoring["timed_out"] is False
    assert submission.run_report["program"]["detailed"] == []


@pytest.mark.parametrize("loop", ["time.sleep(10**6)", "while True: pass"], ids=["sleep", "busy"])
def test_a_program_stuck_in_a_loop_is_stopped_at_its_limit_and_the_worker_carries_on(
    tmp_path, db, loop
):
    started = time.monotonic()
    submission = failed_with(tmp_path, f"import time\n{loop}\n", time_limit=3)
    assert time.monotonic() - started < 3 + 10
    if loop.startswith("time"):
        assert submission.reason == (
            "scoring program failed: did not finish within the time limit of 3 s and was stopped"
        )
        assert submission.run_report["program"]["scoring"]["timed_out"] is True
    else:  # on CPU all the time: the CPU-time limit (the wall limit by default) may come first
        assert submission.reason in (
            "scoring program failed: did not finish within the time limit of 3 s and was stopped",
            "scoring program failed: exceeded the CPU-time limit of 3 s and was stopped",
            "scoring program failed: exceeded the CPU-time limit of 3 s while running",
        )
    assert sandbox_processes(f"fivesigma-score-{submission.pk}-") == []
    legacy = write_legacy_bundle(tmp_path / "next")
    phase = bundles.load(legacy, environments=tmp_path / "envs").phases.get()
    after = processed(submit(participant("bob"), phase, "answers.txt", b"a b c d e\n"))
    assert after.status == Submission.FINISHED, after.reason

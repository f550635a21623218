"""Scoring keeps off the CPUs of timed runs: while the worker scores a submission (a built-in
metric in its own thread, an organiser's scoring program in the sandbox) it holds a CPU slot
in the same lock directory as the timed runs (FIVESIGMA_CPU_SLOTS_DIR), so a timed run
never shares that CPU; and neither waits for itself, on one CPU or with every CPU taken.

Timed runs are started from other threads, as another worker process would start them: the
runner is Django-free, and its slots are flock()s, which two descriptors of one process
contend for as two processes do.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from fivesigma.challenges.engine import bundles, intake, worker
from fivesigma.challenges.models import Submission
from fivesigma.runner import Worker, run_submission
from fivesigma.runner.cpuslots import CpuSlots, NoFreeCpu
from fivesigma.scoring.metrics.significance import AmsMetric
from tests.builders.higgsml_files import noisy_submission
from tests.builders.submissions import make_zip, upload
from tests.builders.trackml_files import write_trackml_event
from tests.builders.users import make_user
from tests.programs.bundles import (
    REGRESSION_SCORE,
    TRUTH_PRIVATE,
    TRUTH_PUBLIC,
    csv_text,
    write_regression_bundle,
)
from tests.programs.conftest import participant, submit
from tests.runner.conftest import FAST, needs_bwrap, submission

MACHINE = frozenset(os.sched_getaffinity(0))
SLOW_SCORE = "import time\ntime.sleep(3)\n" + REGRESSION_SCORE  # each subset's run: 3 s or more

# Another worker process holding every CPU slot until its stdin closes.
HOLD_ALL = """
import sys
from contextlib import ExitStack
from fivesigma.runner.cpuslots import CpuSlots
slots = CpuSlots(sys.argv[1])
with ExitStack() as stack:
    for cpu in slots.cpus:
        stack.enter_context(slots.acquire(cpu))
    print(len(slots.cpus), flush=True)
    sys.stdin.read()
"""


@pytest.fixture
def slots(settings, tmp_path) -> Path:
    """The site's CPU slot directory, this test's own."""
    settings.FIVESIGMA_CPU_SLOTS_DIR = str(tmp_path / "slots")
    return tmp_path / "slots"


@pytest.fixture
def timed_run(tmp_path, slots):
    """A timed run on ``cpu`` (None: any) started from another thread with the machine's CPUs,
    waiting at most 0.5 s for its slot: its report, or the NoFreeCpu it raised."""
    input_dir = tmp_path / "input"
    input_dir.mkdir()
    write_trackml_event(input_dir, 1000, 50)
    model = "class Model:\n    def __init__(self, model_dir):\n        pass\n"
    model += "    def predict_one_event(self, event_id, hits, cells):\n"
    model += "        return np.zeros(len(hits), dtype=np.int64)\n"
    code = make_zip(tmp_path / "code.zip", {"submission.py": submission(model)})

    def run(cpu: int | None):
        outcome: list = []

        def body():
            os.sched_setaffinity(0, MACHINE)  # not the pinned affinity of the thread starting it
            try:
                outcome.append(
                    run_submission(
                        code,
                        input_dir,
                        tmp_path / "output",
                        limits=replace(FAST, cpu=cpu),
                        allow_unconfined=True,
                        worker=Worker(slots, slot_timeout_s=0.5),
                    )
                )
            except NoFreeCpu as error:
                outcome.append(error)

        thread = threading.Thread(target=body)
        thread.start()
        thread.join(120)
        return outcome[0]

    return run


def metric_scored(tiny) -> Submission:
    content = noisy_submission(tiny.solution)
    return intake.submit(tiny.main, make_user("alice"), upload("alice.csv", content))


def program_scored(tmp_path) -> Submission:
    bundle = write_regression_bundle(tmp_path / "bundle", score_py=SLOW_SCORE)
    phase = bundles.load(bundle, environments=tmp_path / "envs").phases.get()
    predictions = csv_text({**TRUTH_PUBLIC, **TRUTH_PRIVATE})
    return submit(
        participant(), phase, "results.zip", make_zip(None, {"predictions.csv": predictions})
    )


def during_evaluation(monkeypatch, step) -> None:
    """Call ``step()`` inside the scoring, just before the metric evaluates."""
    real = AmsMetric.evaluate

    def evaluate(self, *args, **kwargs):
        step()
        return real(self, *args, **kwargs)

    monkeypatch.setattr(AmsMetric, "evaluate", evaluate)


def finished(submission: Submission) -> Submission:
    submission.refresh_from_db()
    assert submission.status == Submission.FINISHED, submission.reason
    return submission


def test_a_timed_run_cannot_take_the_cpu_a_metric_scoring_holds(
    tiny, slots, timed_run, monkeypatch
):
    seen: dict = {}

    def step():
        seen["affinity"] = os.sched_getaffinity(0)
        seen["busy"] = CpuSlots(slots).busy()
        (held,) = seen["affinity"]
        seen["same cpu"] = timed_run(held)
        seen["any cpu"] = timed_run(None)

    during_evaluation(monkeypatch, step)
    before = os.sched_getaffinity(0)
    worker.process(metric_scored(tiny).pk)
    (held,) = seen["affinity"]  # the scoring ran on one CPU...
    assert seen["busy"] == {held}  # ...whose slot it held in the site's slot directory
    assert isinstance(seen["same cpu"], NoFreeCpu), seen["same cpu"]
    if len(MACHINE) > 1:  # another CPU was free: the run took it
        assert seen["any cpu"].ok and seen["any cpu"].cpu != held, seen["any cpu"]
    else:  # the only CPU was the scoring's: the run waited
        assert isinstance(seen["any cpu"], NoFreeCpu), seen["any cpu"]
    assert os.sched_getaffinity(0) == before and CpuSlots(slots).busy() == set()


@needs_bwrap
@pytest.mark.django_db
def test_a_timed_run_cannot_take_the_cpu_a_scoring_program_holds(tmp_path, slots, timed_run):
    pending = program_scored(tmp_path)
    seen: dict = {}

    def watch():
        deadline = time.monotonic() + 60
        while not seen.get("busy") and time.monotonic() < deadline:
            seen["busy"] = CpuSlots(slots).busy()  # taken before the program's sandbox starts
            time.sleep(0.01)
        (held,) = seen["busy"]
        seen["same cpu"] = timed_run(held)

    watcher = threading.Thread(target=watch)
    watcher.start()
    worker.process(pending.pk)
    watcher.join(60)
    assert finished(pending).run_report["program"]["scoring"]["exit_code"] == 0
    assert len(seen["busy"]) == 1
    assert isinstance(seen["same cpu"], NoFreeCpu), seen["same cpu"]
    assert CpuSlots(slots).busy() == set()


def test_a_metric_scoring_waits_while_every_cpu_is_taken(tiny, slots, monkeypatch):
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_ALL, str(slots)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    pending = metric_scored(tiny)
    try:
        assert int(holder.stdout.readline()) == len(MACHINE)
        started = time.monotonic()
        waited: list[float] = []
        during_evaluation(monkeypatch, lambda: waited.append(time.monotonic() - started))
        threading.Timer(1.0, holder.stdin.close).start()  # the other worker's runs end in 1 s
        worker.process(pending.pk)
    finally:
        holder.kill()
        holder.wait()
    assert waited and waited[0] >= 1.0  # it did not share a taken CPU
    finished(pending)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("scored_by", ["metric", pytest.param("program", marks=needs_bwrap)])
def test_on_one_cpu_scoring_does_not_wait_for_itself(tiny, tmp_path, slots, scored_by):
    """A worker allowed one CPU (as on a one-CPU machine) scores to the end: the program's
    run takes the slot itself, the metric's scoring takes it around the evaluation, and
    neither holds one while asking for another."""
    pending = metric_scored(tiny) if scored_by == "metric" else program_scored(tmp_path)
    os.sched_setaffinity(0, {max(MACHINE)})
    try:
        worker.process(pending.pk)
    finally:
        os.sched_setaffinity(0, MACHINE)
    finished(pending)
    assert CpuSlots(slots).busy() == set()

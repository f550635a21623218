"""run_submission: unpack a code submission, run it in the sandbox through a harness, time it."""

from __future__ import annotations

import importlib
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from fivesigma.runner.calibration import CalibrationStore
from fivesigma.runner.cgroups import CgroupUnavailable
from fivesigma.runner.cpuslots import CpuSlots
from fivesigma.runner.limits import MB, Limits
from fivesigma.runner.report import RunReport
from fivesigma.runner.run_failures import (
    death_reason,
    error_reason,
    tree_limit_reason,
    wall_time_reason,
)
from fivesigma.runner.sandbox import (
    HARNESS_DIR,
    Bubblewrap,
    Mounts,
    SandboxUnavailable,
    Unconfined,
    confinement,
)
from fivesigma.runner.session import (
    HarnessDied,
    HarnessError,
    HarnessProcess,
    TreeLimitExceeded,
    WallTimeExceeded,
)
from fivesigma.runner.tree import open_tree
from fivesigma.runner.unpack import SubmissionRejected, unpack_submission
from fivesigma.runner.worker_machine import Worker

DEFAULT_LIMITS = Limits()  # frozen, so one shared default is safe
DEFAULT_WORKER = Worker()
BUILT_IN_HARNESSES = ("trackml", "higgsml")


class SubmissionFailed(Exception):
    """The submission failed; the message is the participant-readable reason."""


@dataclass
class Harness:
    """A built-in harness module as the worker imports it, and its name inside the sandbox."""

    module: ModuleType
    inside_name: str


def load_harness(name: str) -> Harness:
    """One of the built-in harnesses (``trackml``, ``higgsml``), by name only.

    Nothing a bundle or a participant supplies is ever imported by the worker: an organiser's
    own code runs only inside the sandbox, as a program (see docs/runner.md).
    """
    if name not in BUILT_IN_HARNESSES:
        raise ValueError(
            f"unknown harness {name!r}: the built-in harnesses are {', '.join(BUILT_IN_HARNESSES)}"
        )
    module = f"{name}_harness"  # runner/harness/<name>_harness.py
    return Harness(
        importlib.import_module(f"fivesigma.runner.harness.{module}"), f"harness.{module}"
    )


def run_submission(
    code_zip: Path,
    input_dir: Path,
    output_dir: Path,
    *,
    harness: str = "trackml",
    limits: Limits = DEFAULT_LIMITS,
    allow_unconfined: bool = False,
    worker: Worker = DEFAULT_WORKER,
) -> RunReport:
    """Run one code submission on a phase's input data; write ``output_dir/submission.csv`` when ok.

    The run waits for a CPU no other timed run holds (``worker.cpu_slots_dir``), uses the
    worker's calibration (``worker.calibration_dir``) and limits and accounts the whole
    process tree (``worker.accounting``). Raises SandboxUnavailable when bubblewrap is
    missing (unless ``allow_unconfined``, meant for local development only) or the worker
    cannot time runs as configured, and ValueError when the input directory or the harness
    is unusable; everything the submission does wrong ends as a failed RunReport with a reason.
    """
    return run_confined(
        confinement(allow_unconfined),
        code_zip,
        input_dir,
        output_dir,
        harness=harness,
        limits=limits,
        worker=worker,
    )


def run_confined(
    sandbox: Bubblewrap | Unconfined,
    code_zip: Path,
    input_dir: Path,
    output_dir: Path,
    *,
    harness: str = "trackml",
    limits: Limits = DEFAULT_LIMITS,
    worker: Worker = DEFAULT_WORKER,
) -> RunReport:
    """run_submission with an explicit confinement."""
    spec = load_harness(harness)
    input_dir = Path(input_dir).resolve()
    tasks = spec.module.list_tasks(input_dir)
    report = RunReport("ok", confined=sandbox.confined)
    (Path(output_dir) / "submission.csv").unlink(missing_ok=True)  # never leave an older run's file
    with tempfile.TemporaryDirectory(prefix="fivesigma-run-") as tmp:
        work = Path(tmp)
        try:
            model_dir = unpack_submission(
                Path(code_zip),
                work / "submission",
                max_files=limits.max_submission_files,
                max_bytes=int(limits.max_submission_mb * MB),
            )
        except SubmissionRejected as exc:
            report.status, report.reason = "failed", str(exc)
            return report
        slots = CpuSlots(worker.cpu_slots_dir)
        with slots.acquire(limits.cpu, worker.slot_timeout_s) as cpu:
            report.cpu = cpu
            if worker.calibration_dir is not None:
                report.calibration = _calibration(worker.calibration_dir, worker, cpu)
            try:
                tree = open_tree(worker.accounting, limits, cpu)
            except CgroupUnavailable as exc:
                raise SandboxUnavailable(str(exc)) from None
            with tree:
                report.accounting = tree.name
                mounts = Mounts(HARNESS_DIR, model_dir)
                process = HarnessProcess(sandbox, mounts, work, limits, spec.inside_name, cpu, tree)
                with process:
                    try:
                        results = _drive(process, spec.module, tasks, input_dir, limits, report)
                    except SubmissionFailed as exc:
                        report.status, report.reason = "failed", str(exc)
                    finally:
                        process.kill()
                        process.log.close()
                        report.peak_memory_mb = round(process.peak_memory_mb, 1)
                        report.log_tail = process.log.text()
    if report.ok:
        Path(output_dir).mkdir(parents=True, exist_ok=True)
        report.n_events = spec.module.write_submission(results, Path(output_dir) / "submission.csv")
    return report


def _calibration(calibration_dir: Path, worker: Worker, cpu: int) -> dict:
    """The worker's calibration (kept in ``calibration_dir``) for a run on ``cpu`` (measured
    now if stale), as a dict."""
    store = CalibrationStore(calibration_dir, worker.recalibrate_every)
    try:
        return store.for_run(cpu).to_dict()
    except (RuntimeError, OSError, ValueError, subprocess.TimeoutExpired) as exc:
        raise SandboxUnavailable(f"the calibration of this worker failed: {exc}") from None


def _drive(
    process: HarnessProcess,
    module: ModuleType,
    tasks: list[str],
    input_dir: Path,
    limits: Limits,
    report: RunReport,
) -> dict:
    """Set-up, warm-up and every task, one at a time; returns the checked results by task."""
    deadline = process.started + limits.time_limit_s
    doing = "while importing submission.py and building Model(model_dir)"
    results, seconds, cpu = {}, {}, {}

    def broken_limit() -> str | None:
        """The reason when the tree went over a limit (that explains any other failure)."""
        violation = process.tree.check(force=True)
        return None if violation is None else tree_limit_reason(violation, limits, doing)

    try:
        process.wait_started(deadline)
    except (HarnessDied, WallTimeExceeded):
        raise SandboxUnavailable(f"the sandbox did not start:\n{process.log.text()}") from None
    report.stage_seconds["start"] = round(time.monotonic() - process.started, 6)
    try:
        process.expect("hello", deadline)
        report.stage_seconds["setup"] = round(time.monotonic() - process.started, 6)
        plan = [("warmup", tasks[0])] if module.PER_EVENT_TIMING else []
        for label, task in plan + [(task, task) for task in tasks]:
            doing = f"on {task}" + (" (warm-up)" if label == "warmup" else "")
            files = {n: p.read_bytes() for n, p in module.task_files(task, input_dir).items()}
            process.load(task, files, deadline)
            seconds[label], cpu[label], header, payload = process.go(deadline)
            try:
                results[task] = module.check_result(
                    task, payload, header.get("meta") or {}, input_dir
                )
            except ValueError as exc:
                raise SubmissionFailed(f"the output for {task} is invalid: {exc}") from None
        doing = "while exiting"
        process.finish()
    except TreeLimitExceeded as exc:
        raise SubmissionFailed(tree_limit_reason(exc.violation, limits, doing)) from None
    except HarnessError as exc:
        raise SubmissionFailed(broken_limit() or error_reason(exc.header, limits)) from None
    except HarnessDied as exc:
        reason = broken_limit() or death_reason(exc.returncode, limits, doing)
        raise SubmissionFailed(reason) from None
    except WallTimeExceeded:
        raise SubmissionFailed(wall_time_reason(limits, doing)) from None
    if "warmup" in seconds:
        report.stage_seconds["warmup"] = seconds.pop("warmup")
        report.stage_cpu_seconds["warmup"] = cpu.pop("warmup")
    if module.PER_EVENT_TIMING:
        report.set_event_timings(seconds, cpu)
    else:
        report.stage_seconds.update(seconds)
        report.stage_cpu_seconds.update(cpu)
    return results

"""The runner's command line.

``python -m fivesigma.runner run --code PATH --input DIR --output DIR`` runs one code submission and
prints the JSON report: the same code path as the site's ``sandbox`` queue, so a participant
can reproduce the server's verdict and timings locally. Exit status 0 when the submission
ran ok, 1 when it failed, 2 when it could not be run at all (no sandbox, bad input directory).

``python -m fivesigma.runner check`` runs a probe submission that checks the sandbox rules from the
inside; exit status 0 when this machine can run code submissions.

``python -m fivesigma.runner calibrate --calibration-dir DIR`` measures this machine's speed
against the reference machine (at a worker's start); ``run`` with the same directory then
reports normalised seconds per event.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from fivesigma.runner import Limits, SandboxUnavailable, Worker, run_submission
from fivesigma.runner.calibration import CalibrationStore
from fivesigma.runner.cpuslots import CpuSlots
from fivesigma.runner.sandbox import confinement
from fivesigma.runner.selfcheck import self_check
from fivesigma.runner.tree import ACCOUNTING


def add_worker_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--cpu-slots",
        type=Path,
        default=None,
        help="lock directory shared by every runner of this machine (default: under /tmp)",
    )
    parser.add_argument(
        "--calibration-dir",
        type=Path,
        default=None,
        help="where this machine's calibration is kept; with it, seconds are also normalised",
    )
    parser.add_argument(
        "--accounting",
        choices=ACCOUNTING,
        default="auto",
        help="limit the process tree with a cgroup, from /proc, or whichever works (auto)",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m fivesigma.runner", description="Run code submissions in the sandbox."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run one code submission and print its JSON report")
    run.add_argument(
        "--code", type=Path, required=True, help="the submission zip (submission.py at its root)"
    )
    run.add_argument("--input", type=Path, required=True, help="the phase's input data directory")
    run.add_argument("--output", type=Path, required=True, help="where submission.csv is written")
    run.add_argument(
        "--harness",
        default="trackml",
        help="trackml, higgsml or a harness .py file (default trackml)",
    )
    run.add_argument(
        "--time-limit",
        type=float,
        default=Limits.time_limit_s,
        help="wall-clock seconds for the whole run",
    )
    run.add_argument(
        "--memory-limit",
        type=int,
        default=Limits.memory_limit_mb,
        help="address space per process, MB",
    )
    run.add_argument(
        "--cpu-time-limit",
        type=float,
        default=None,
        help="CPU seconds per process (default: the wall limit)",
    )
    run.add_argument(
        "--allow-unconfined",
        action="store_true",
        help="run WITHOUT the sandbox when bubblewrap is missing (only for your own code)",
    )
    add_worker_options(run)
    check_command = commands.add_parser("check", help="check that this machine's sandbox works")
    add_worker_options(check_command)
    calibrate = commands.add_parser("calibrate", help="measure this machine against the reference")
    calibrate.add_argument("--calibration-dir", type=Path, required=True)
    calibrate.add_argument("--cpu-slots", type=Path, default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    if args.command == "calibrate":
        with CpuSlots(args.cpu_slots).acquire() as cpu:
            calibration = CalibrationStore(args.calibration_dir).calibrate(cpu)
        print(json.dumps(calibration.to_dict(), indent=2))
        return 0
    worker = Worker(args.cpu_slots, args.calibration_dir, accounting=args.accounting)
    if args.command == "check":
        return check(worker)
    try:
        limits = Limits(
            time_limit_s=args.time_limit,
            memory_limit_mb=args.memory_limit,
            cpu_time_s=args.cpu_time_limit,
        )
        report = run_submission(
            args.code,
            args.input,
            args.output,
            harness=args.harness,
            limits=limits,
            allow_unconfined=args.allow_unconfined,
            worker=worker,
        )
    except (SandboxUnavailable, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(report.to_dict(), indent=2))
    return 0 if report.ok else 1


def check(worker: Worker) -> int:
    try:
        report = self_check(confinement(allow_unconfined=False), Limits(time_limit_s=60), worker)
    except SandboxUnavailable as exc:
        print(f"sandbox unavailable: {exc}", file=sys.stderr)
        return 2
    if report.ok:
        print(
            f"sandbox ok: bubblewrap confines code submissions (start-up "
            f"{report.stage_seconds['setup']:.2f} s); process tree limited by {report.accounting}"
        )
        return 0
    print(f"sandbox check FAILED: {report.reason}\n{report.log_tail}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())

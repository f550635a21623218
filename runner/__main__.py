"""The runner's command line.

``python -m fivesigma.runner run --code PATH --input DIR --output DIR`` runs one code submission and
prints the JSON report: the same code path as the site's ``sandbox`` queue, so a participant
can reproduce the server's verdict and timings locally. Exit status 0 when the submission
ran ok, 1 when it failed, 2 when it could not be run at all (no sandbox, bad input directory).

``python -m fivesigma.runner check`` runs a probe submission that checks the sandbox rules from the
inside; exit status 0 when this machine can run code submissions.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from fivesigma.runner import Limits, SandboxUnavailable, run_submission
from fivesigma.runner.sandbox import confinement
from fivesigma.runner.selfcheck import self_check


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
    commands.add_parser("check", help="check that this machine's sandbox works")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    if args.command == "check":
        return check()
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
        )
    except (SandboxUnavailable, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(report.to_dict(), indent=2))
    return 0 if report.ok else 1


def check() -> int:
    try:
        report = self_check(confinement(allow_unconfined=False), Limits(time_limit_s=60))
    except SandboxUnavailable as exc:
        print(f"sandbox unavailable: {exc}", file=sys.stderr)
        return 2
    if report.ok:
        print(
            f"sandbox ok: bubblewrap confines code submissions (start-up {report.stage_seconds['setup']:.2f} s)"
        )
        return 0
    print(f"sandbox check FAILED: {report.reason}\n{report.log_tail}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())

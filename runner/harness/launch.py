"""Start an organiser's program under the run's limits: the first process of a program run.

Run as ``python -m harness.launch --limits JSON [--cpu K] -- COMMAND...``: applies the
resource limits to itself, pins itself to one CPU, removes its own module path from the
environment and replaces itself with COMMAND (``/bin/sh -c '...'``), which inherits both.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from .rlimits import apply_limits


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="harness.launch")
    parser.add_argument("--limits", required=True, type=json.loads)
    parser.add_argument("--cpu", type=int)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command to run")
    apply_limits(args.limits)
    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})
    os.environ.pop("PYTHONPATH", None)
    sys.stdout.flush()
    os.execvp(command[0], command)


if __name__ == "__main__":
    main()

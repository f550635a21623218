"""Participant-readable reasons for a failed run, from what the harness or the kernel reported."""

from __future__ import annotations

import errno
import signal

from fivesigma.runner.limits import Limits
from fivesigma.runner.tree import Violation

STAGES = {
    "harness": "the harness could not start",
    "import": "submission.py failed to import",
    "setup": "Model(model_dir) failed",
    "load": "the harness could not load {task}",
    "run": "the submission failed on {task}",
    "result": "the output for {task} is invalid",
    "protocol": "the submission broke the harness protocol",
}


def limit_hint(exc_type: str, code: int | None, limits: Limits) -> str:
    """Which sandbox rule an exception most likely comes from ("" when none)."""
    if exc_type in ("MemoryError", "_ArrayMemoryError"):
        return f"the memory limit is {limits.memory_limit_mb} MB"
    if code in (errno.EFBIG, errno.ENOSPC, errno.EDQUOT):
        return f"files written may total at most {limits.max_output_mb} MB"
    if code == errno.EROFS:
        return "only /tmp, the current directory, is writable in the sandbox"
    if code == errno.EACCES:
        return "the sandbox may read the input data, the submission and the system, and write only to /tmp"
    if code == errno.EAGAIN and exc_type == "BlockingIOError":
        return f"the sandbox allows at most {limits.max_processes} processes and threads"
    if code == errno.EMFILE:
        return f"at most {limits.max_open_files} files may be open at once"
    if exc_type == "gaierror" or code in (
        errno.ENETUNREACH,
        errno.EHOSTUNREACH,
        errno.ECONNREFUSED,
        errno.EADDRNOTAVAIL,
    ):
        return "there is no network in the sandbox"
    return ""


def error_reason(header: dict, limits: Limits) -> str:
    """The reason for an error frame of the harness."""
    stage = header.get("stage", "run")
    where = STAGES.get(stage, "the submission failed").format(task=header.get("task") or "its task")
    if stage in ("result", "protocol"):
        return f"{where}: {header.get('message', '')}"
    text = f"{where}: {header.get('exc_type', 'Error')}: {header.get('message', '')}".rstrip(": ")
    hint = limit_hint(header.get("exc_type", ""), header.get("errno"), limits)
    return f"{text} ({hint})" if hint else text


def death_reason(returncode: int | None, limits: Limits, doing: str) -> str:
    """The reason for a harness that ended without reporting (a signal or an exit call)."""
    signum = -returncode if returncode is not None and returncode < 0 else None
    if returncode is not None and returncode > 128:
        signum = returncode - 128  # bwrap reports a child killed by signal N as 128 + N
    if signum == signal.SIGXCPU:
        return f"exceeded the CPU-time limit of {limits.cpu_seconds} s {doing}"
    if signum == signal.SIGKILL:
        return f"was killed {doing} (SIGKILL: past the hard CPU-time limit of {limits.cpu_seconds + 1} s, or out of memory)"
    if signum == signal.SIGXFSZ:
        return f"wrote a file larger than the output limit of {limits.max_output_mb} MB {doing}"
    if signum is not None:
        try:
            name = signal.Signals(signum).name
        except ValueError:
            name = f"signal {signum}"
        return f"was terminated by {name} {doing}"
    return (
        f"exited with status {returncode} {doing} (the harness expects the process to keep running)"
    )


def wall_time_reason(limits: Limits, doing: str) -> str:
    return f"exceeded the wall-time limit of {limits.time_limit_s:g} s {doing}"


def tree_limit_reason(violation: Violation, limits: Limits, doing: str) -> str:
    """The reason for a process tree that went over a limit holding for all its processes."""
    if violation.what == "memory":
        return (
            f"was killed {doing}: its processes together used more than the memory limit of "
            f"{limits.memory_limit_mb} MB, which holds for all the submission's processes "
            f"together (peak {violation.peak_mb:.0f} MB)"
        )
    if violation.what == "cpu":
        return (
            f"exceeded the CPU-time limit of {limits.cpu_seconds} s {doing} "
            "(the CPU time of all the submission's processes together)"
        )
    return (
        f"was killed {doing}: more than {limits.max_processes} processes and threads at once "
        "(the limit holds for all the submission's processes together)"
    )

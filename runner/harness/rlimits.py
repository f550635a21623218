"""The per-process resource limits a sandboxed process sets on itself (inherited by its children)."""

from __future__ import annotations

import resource

RLIMITS = {
    "address_space_bytes": resource.RLIMIT_AS,
    "cpu_seconds": resource.RLIMIT_CPU,
    "processes": resource.RLIMIT_NPROC,
    "open_files": resource.RLIMIT_NOFILE,
    "file_bytes": resource.RLIMIT_FSIZE,
}


def apply_limits(limits: dict[str, int]) -> None:
    """Lower this process's rlimits (inherited by anything it starts). CPU: SIGXCPU, then SIGKILL 1 s later."""
    for name, value in limits.items():
        hard = value + 1 if name == "cpu_seconds" else value
        resource.setrlimit(RLIMITS[name], (value, hard))

"""Resource limits of one sandboxed run of a code submission."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """What one code submission may use.

    time_limit_s: wall-clock seconds for the whole run (set-up, warm-up and every event),
        enforced from outside by killing the sandbox.
    memory_limit_mb: memory of all the submission's processes together (MiB): resident
        memory, files in /tmp and page cache in a cgroup, the sum of proportional set sizes
        otherwise (see ``tree``); also the address space (RLIMIT_AS) of each process.
    cpu_time_s: CPU seconds of all the submission's processes together, and of each one
        (RLIMIT_CPU); None means the wall limit.
    max_processes: processes and threads of the submission together (cgroup pids.max; without
        a cgroup, RLIMIT_NPROC, which counts every process of the sandbox user).
    max_open_files: open file descriptors per process (RLIMIT_NOFILE).
    max_output_mb: size of the writable scratch directory and of any one file written, MiB.
    cpu: the CPU to run on; None means any CPU of the worker not held by another timed run
        (see ``cpuslots``). A given CPU is waited for until free.
    max_submission_files, max_submission_mb: caps on the unpacked zip (zip bombs).
    """

    time_limit_s: float = 600.0
    memory_limit_mb: int = 4096
    cpu_time_s: float | None = None
    max_processes: int = 64
    max_open_files: int = 256
    max_output_mb: int = 512
    cpu: int | None = None
    max_submission_files: int = 2000
    max_submission_mb: int = 512

    def __post_init__(self):
        for name, value in asdict(self).items():
            if name == "cpu" or (name == "cpu_time_s" and value is None):
                continue
            if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"Limits.{name} must be a positive number, got {value!r}")
        if self.cpu is not None and (not isinstance(self.cpu, int) or self.cpu < 0):
            raise ValueError(f"Limits.cpu must be a CPU number >= 0, got {self.cpu!r}")

    @property
    def cpu_seconds(self) -> int:
        """RLIMIT_CPU soft limit in whole seconds (at least 1)."""
        return max(
            1, math.ceil(self.cpu_time_s if self.cpu_time_s is not None else self.time_limit_s)
        )

    def rlimits(self, tree_limits_processes: bool = False) -> dict[str, int]:
        """The per-process limits the harness applies to itself before importing the submission.

        RLIMIT_NPROC is left out when the tree's cgroup limits processes: it counts every
        process of the sandbox user, so concurrent runs would share it.
        """
        limits = {
            "address_space_bytes": int(self.memory_limit_mb * MB),
            "cpu_seconds": self.cpu_seconds,
            "processes": int(self.max_processes),
            "open_files": int(self.max_open_files),
            "file_bytes": int(self.max_output_mb * MB),
        }
        if tree_limits_processes:
            del limits["processes"]
        return limits

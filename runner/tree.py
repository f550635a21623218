"""The submission's whole process tree: its CPU time, memory and processes, limited together.

Two ways to do it, with the same face:

- ``CgroupTree``: a control group per run (``cgroups``). The kernel holds memory (resident
  pages, /tmp files and page cache together) and the number of processes and threads to
  the limits and pins the group to its CPU; CPU time is exact and includes exited
  processes. The runner checks, between and during calls, whether the kernel killed a
  process for memory and whether the CPU time is over the limit.
- ``ProcfsTree``: where no cgroup can be made (no root, no delegation). The runner samples
  the tree from /proc every ``PROCFS_INTERVAL_S``: the sum of its processes' proportional
  set sizes, their CPU time and threads; over a limit, it kills the tree. A burst shorter
  than the interval can pass unseen, and memory may overshoot until the next sample.

Either way the runner kills the whole tree over a limit and reports it with ``Violation``.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from dataclasses import dataclass

from fivesigma.runner.cgroups import Cgroup, CgroupUnavailable, find_hierarchy
from fivesigma.runner.limits import MB, Limits
from fivesigma.runner.procfs import descendants, tree_usage

log = logging.getLogger(__name__)

CGROUP_INTERVAL_S = 0.05
PROCFS_INTERVAL_S = 0.2
ACCOUNTING = ("auto", "cgroup", "procfs")
BWRAP_PROCESSES = 2  # bwrap and its init in the PID namespace, not the submission's


@dataclass(frozen=True)
class Violation:
    """A limit the tree went over: ``what`` is "memory", "cpu" or "processes"; ``peak_mb`` the
    tree's peak memory (MiB) when it is the memory limit."""

    what: str
    peak_mb: float = 0.0


class _Tree:
    """What both kinds of tree share: the rate limit of check() and closing as a context."""

    interval_s: float
    violation: Violation | None = None
    _last_check: float = 0.0

    def _due(self, force: bool) -> bool:
        now = time.monotonic()
        if self.violation is not None or not (force or now - self._last_check >= self.interval_s):
            return False
        self._last_check = now
        return True

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


class CgroupTree(_Tree):
    """The tree as a control group: the kernel limits it, the runner reads its counters."""

    interval_s = CGROUP_INTERVAL_S

    def __init__(self, group: Cgroup, limits: Limits):
        self.group, self.limits = group, limits
        self.name = group.hierarchy.name
        self.enforces_processes = True

    def command(self, argv: list[str]) -> list[str]:
        return self.group.enter_command(argv)

    def started(self, root_pid: int) -> None:
        pass

    def cpu_seconds(self) -> float:
        return self.group.cpu_seconds()

    def peak_memory_mb(self) -> float:
        return self.group.peak_memory_bytes() / MB

    def check(self, force: bool = False) -> Violation | None:
        """The first limit broken so far (the kernel's OOM kills, the CPU time), else None.
        Looks again only every interval_s, unless ``force``."""
        if self._due(force):
            try:
                self.group.memory_bytes()  # a sample, for kernels without memory.peak
                if self.group.oom_kills() > 0:
                    self.violation = Violation("memory", self.peak_memory_mb())
                elif self.group.cpu_seconds() > self.limits.cpu_seconds:
                    self.violation = Violation("cpu")
            except OSError:
                pass  # the group is being removed
        return self.violation

    def kill(self) -> None:
        self.group.kill()

    def close(self) -> None:
        self.group.close()


class ProcfsTree(_Tree):
    """The tree as seen in /proc below the launched process, sampled every PROCFS_INTERVAL_S."""

    name = "procfs"
    interval_s = PROCFS_INTERVAL_S
    enforces_processes = False  # RLIMIT_NPROC stops a fork bomb; sampling is too slow for it

    def __init__(self, limits: Limits):
        self.limits = limits
        self.root_pid: int | None = None
        self._peak_bytes = 0

    def command(self, argv: list[str]) -> list[str]:
        return argv

    def started(self, root_pid: int) -> None:
        self.root_pid = root_pid

    def _sample(self):
        usage = tree_usage(self.root_pid)
        self._peak_bytes = max(self._peak_bytes, usage.memory_bytes, usage.peak_process_bytes)
        return usage

    def cpu_seconds(self) -> float:
        return self._sample().cpu_seconds

    def peak_memory_mb(self) -> float:
        """The largest tree total sampled (frozen once a limit is broken: the reason quotes it)."""
        if self.root_pid is not None and self.violation is None:
            self._sample()
        return self._peak_bytes / MB

    def check(self, force: bool = False) -> Violation | None:
        """The first limit broken so far (sum of memory, CPU time, threads), else None."""
        if self._due(force) and self.root_pid is not None:
            usage = self._sample()
            if usage.memory_bytes > self.limits.memory_limit_mb * MB:
                self.violation = Violation("memory", self._peak_bytes / MB)
            elif usage.cpu_seconds > self.limits.cpu_seconds:
                self.violation = Violation("cpu")
            elif usage.tasks > self.limits.max_processes + BWRAP_PROCESSES:
                self.violation = Violation("processes")
        return self.violation

    def kill(self) -> None:
        """SIGKILL the tree (in bubblewrap, killing bwrap alone would end its PID namespace;
        unconfined, processes that left the process group are reached this way)."""
        if self.root_pid is None:
            return
        for pid in descendants(self.root_pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def open_tree(accounting: str, limits: Limits, cpu: int) -> CgroupTree | ProcfsTree:
    """The accounting of one run: ``"cgroup"`` (CgroupUnavailable when none can be made),
    ``"procfs"``, or ``"auto"``: a cgroup when one can be made, else procfs."""
    if accounting not in ACCOUNTING:
        raise ValueError(f"accounting must be one of {', '.join(ACCOUNTING)}, got {accounting!r}")
    if accounting == "procfs":
        return ProcfsTree(limits)
    hierarchy = find_hierarchy()
    if hierarchy is None:
        if accounting == "cgroup":
            raise CgroupUnavailable(
                "no writable cgroup hierarchy with the memory and pids controllers (v2) or "
                "memory, cpuacct and pids (v1): run the worker as root or in a delegated cgroup"
            )
        return ProcfsTree(limits)
    try:
        group = Cgroup.create(
            hierarchy, int(limits.memory_limit_mb * MB), limits.max_processes + BWRAP_PROCESSES, cpu
        )
    except CgroupUnavailable as exc:
        if accounting == "cgroup":
            raise
        log.warning("%s; accounting the submission's processes from /proc instead", exc)
        return ProcfsTree(limits)
    return CgroupTree(group, limits)

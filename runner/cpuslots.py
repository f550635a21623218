"""One timed job per CPU, across every process of the machine: a lock file per CPU.

A directory holds ``cpu<N>.lock`` for each CPU the worker may use. Whoever runs a timed job
(or any other heavy task that should keep off the timed CPUs, such as scoring) takes an
exclusive ``flock`` on one of them for the job's duration; a job finding every CPU taken
waits for one to be released rather than sharing. The kernel drops the lock when its
holder exits, so a worker that dies frees its CPU.

    slots = CpuSlots(directory)
    with slots.acquire() as cpu:     # waits for a free CPU
        ...                          # the job runs on ``cpu`` alone
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

POLL_S = 0.05


SHARED_DIRECTORIES = ("/run/lock", "/dev/shm", "/tmp")


def default_directory() -> Path:
    """The lock directory every process of this user on the machine shares when none is
    configured: under /run/lock (or /dev/shm, /tmp), never $TMPDIR, which differs between
    processes (and /tmp may be private to a systemd service)."""
    usable = [d for d in SHARED_DIRECTORIES if os.path.isdir(d) and os.access(d, os.W_OK | os.X_OK)]
    return Path((usable or SHARED_DIRECTORIES[-1:])[0]) / f"fivesigma-cpu-slots-{os.getuid()}"


class NoFreeCpu(TimeoutError):
    """No CPU became free within the time allowed."""


class CpuSlots:
    """The CPUs of this machine as slots for timed jobs, one job per CPU at a time.

    directory: where the lock files live (created 0700 if missing); every process that
        allocates CPUs on this machine must use the same one.
    cpus: the CPUs to hand out; default: those this process may run on.
    """

    def __init__(self, directory: str | Path | None = None, cpus: set[int] | None = None):
        self.directory = Path(directory) if directory is not None else default_directory()
        self.cpus = sorted(cpus if cpus is not None else os.sched_getaffinity(0), reverse=True)
        if not self.cpus:
            raise ValueError("CpuSlots needs at least one CPU")
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)

    def _try(self, cpu: int) -> int | None:
        """An fd holding the lock of ``cpu``, or None when another job holds it."""
        fd = os.open(
            self.directory / f"cpu{cpu}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600
        )
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        return fd

    @contextmanager
    def acquire(self, cpu: int | None = None, timeout_s: float | None = None) -> Iterator[int]:
        """Hold one CPU (``cpu``, or the highest-numbered free one) until the block ends.

        Waits while every candidate is taken; NoFreeCpu after ``timeout_s`` (None: forever).
        ValueError when ``cpu`` is not one of this machine's slots.
        """
        if cpu is not None and cpu not in self.cpus:
            raise ValueError(f"CPU {cpu} is not among the CPUs of this worker {sorted(self.cpus)}")
        candidates = [cpu] if cpu is not None else self.cpus
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while True:
            for candidate in candidates:
                fd = self._try(candidate)
                if fd is not None:
                    try:
                        yield candidate
                    finally:
                        os.close(fd)  # closing the only descriptor releases the lock
                    return
            if deadline is not None and time.monotonic() > deadline:
                raise NoFreeCpu(f"no CPU of {sorted(candidates)} became free in {timeout_s:g} s")
            time.sleep(POLL_S)

    def busy(self) -> set[int]:
        """The CPUs some job holds right now (a snapshot, for monitoring)."""
        taken = set()
        for cpu in self.cpus:
            fd = self._try(cpu)
            if fd is None:
                taken.add(cpu)
            else:
                os.close(fd)
        return taken


@contextmanager
def exclusive_cpu(directory: str | Path | None = None) -> Iterator[int]:
    """Run the calling thread (and the threads and processes it starts) alone on one CPU slot.

    For untimed heavy work on a machine that also times code submissions, such as scoring:
    it waits for a free CPU, so it never shares a CPU with a timed run.
    """
    previous = os.sched_getaffinity(0)
    with CpuSlots(directory).acquire() as cpu:
        os.sched_setaffinity(0, {cpu})
        try:
            yield cpu
        finally:
            os.sched_setaffinity(0, previous)

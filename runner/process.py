"""A process started in the sandbox, seen from the worker: its tree limited, its log kept.

Both kinds of sandboxed process are one of these: a participant's harness
(``session.HarnessProcess`` adds the pipes of the timing protocol) and an organiser's
program (``programs``, which waits for it to exit). The whole process tree is accounted and
limited by ``tree`` (runner.tree), pinned to one CPU, and its stdout and stderr are drained
into a bounded ``LogTail``. Killing it kills the whole sandbox.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import time

from fivesigma.runner.logtail import LogTail
from fivesigma.runner.sandbox import Launch
from fivesigma.runner.tree import CgroupTree, ProcfsTree, Violation


class WallTimeExceeded(Exception):
    """The deadline passed; the process has been killed."""


class TreeLimitExceeded(Exception):
    """The process tree went over a limit (``violation``); it has been killed."""

    def __init__(self, violation: Violation):
        super().__init__(violation.what)
        self.violation = violation


class ConfinedProcess:
    """Start ``launch`` (the child also gets ``pass_fds``, which the caller closes after),
    its tree in ``tree``, pinned to ``cpu``. Use as a context manager."""

    def __init__(
        self,
        launch: Launch,
        tree: CgroupTree | ProcfsTree,
        cpu: int,
        pass_fds: tuple[int, ...] = (),
    ):
        self.cpu, self.tree = cpu, tree
        log_read, log_write = os.pipe()
        self.started = time.monotonic()
        try:
            self.popen = subprocess.Popen(
                tree.command(launch.argv),
                env=launch.env,
                cwd=launch.cwd,
                stdin=subprocess.DEVNULL,
                stdout=log_write,
                stderr=log_write,
                pass_fds=(*pass_fds, *launch.fds),
                start_new_session=True,
            )
        except BaseException:
            os.close(log_read)
            raise
        finally:
            for fd in (log_write, *launch.fds):
                os.close(fd)
        try:
            os.sched_setaffinity(self.popen.pid, {self.cpu})
        except OSError:
            pass  # already gone; the process pins itself as well
        tree.started(self.popen.pid)
        self.log = LogTail(log_read)
        self.returncode: int | None = None
        self.peak_memory_mb = 0.0

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.kill()
        self.log.close()

    def watch(self) -> None:
        """Kill the sandbox and raise TreeLimitExceeded if the tree broke a limit."""
        violation = self.tree.check()
        if violation is not None:
            self.kill()
            raise TreeLimitExceeded(violation)

    def wait(self, deadline: float, also=None) -> int | None:
        """Wait for the process to exit (its return code, as bwrap reports it), checking the
        tree's limits, and ``also()`` if given, every interval meanwhile; kill the sandbox
        and raise WallTimeExceeded past ``deadline``, TreeLimitExceeded over a limit."""
        try:
            exited = os.pidfd_open(self.popen.pid)
        except OSError:
            exited = None  # no pidfd (old kernel): look every interval
        poller = select.poll()
        if exited is not None:
            poller.register(exited, select.POLLIN)
        try:
            while True:
                self._collect(0.0, kill=False)
                if self.returncode is not None:
                    self.note_peak_memory()
                    return self.returncode
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self.kill()
                    raise WallTimeExceeded()
                wait_s = min(remaining, self.tree.interval_s)
                if exited is not None:
                    poller.poll(wait_s * 1000)
                else:
                    time.sleep(wait_s)
                self.watch()
                if also is not None:
                    also()
        finally:
            if exited is not None:
                os.close(exited)

    def note_peak_memory(self) -> None:
        """Fold the tree's peak memory into ``peak_memory_mb`` (read before the tree is gone).

        Never from wait4's rusage: a process started by exec inherits the resident peak of
        the process it replaced, so bwrap's figure would be the worker's own size.
        """
        try:
            self.peak_memory_mb = max(self.peak_memory_mb, self.tree.peak_memory_mb())
        except OSError:
            pass

    def kill(self) -> None:
        """Kill the sandbox (bwrap takes its whole PID namespace with it) and collect it."""
        if self.returncode is not None:
            return
        self.note_peak_memory()
        self.tree.kill()
        try:
            os.killpg(self.popen.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self._collect(None)

    def _collect(self, timeout: float | None, kill: bool = True) -> None:
        """Wait for the process to end (``timeout`` None: for as long as it takes); past the
        timeout, kill it, unless not ``kill``."""
        if self.returncode is not None:
            return
        limit = None if timeout is None else time.monotonic() + timeout
        while True:
            pid, status = os.waitpid(self.popen.pid, 0 if limit is None else os.WNOHANG)
            if pid:
                break
            # only the non-blocking wait (a limit set) comes back without the pid
            if limit is not None and time.monotonic() >= limit:
                if kill:
                    self.kill()
                return
            time.sleep(0.005)
        self.returncode = self.popen.returncode = os.waitstatus_to_exitcode(status)

"""One harness process seen from the worker: start it, exchange frames, time calls, stop it.

All clocks are read here, outside the sandbox: a call is timed from just before the "go"
frame is written to just after the whole result has been read back, and its on-CPU time is
that of the whole process tree (``tree``) over the same span. While waiting on the pipes,
the worker checks the tree's limits every few tens of milliseconds.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import time
from pathlib import Path

from fivesigma.runner.harness.protocol import (
    PREFIX,
    ProtocolError,
    decode_header,
    decode_prefix,
    encode_frame,
    encode_head,
)
from fivesigma.runner.limits import Limits
from fivesigma.runner.process import ConfinedProcess, TreeLimitExceeded, WallTimeExceeded
from fivesigma.runner.sandbox import Bubblewrap, Mounts, Unconfined
from fivesigma.runner.tree import CgroupTree, ProcfsTree

PIPE_BYTES = 1 << 20  # a 120k-hit event's track ids (960 kB) fit in one pipe buffer
GO = encode_frame({"cmd": "go"})
EXIT_GRACE_S = 5.0


class HarnessError(Exception):
    """The harness reported a failure; ``header`` is its error frame."""

    def __init__(self, header: dict):
        super().__init__(header.get("message", ""))
        self.header = header


class HarnessDied(Exception):
    """The harness process ended without reporting why; ``returncode`` as bwrap reports it."""

    def __init__(self, returncode: int | None):
        super().__init__(f"exit status {returncode}")
        self.returncode = returncode


class HarnessProcess(ConfinedProcess):
    """A running ``harness.serve`` process, confined by ``sandbox``, pinned to ``cpu``, its
    process tree accounted and limited by ``tree``. Use as a context manager."""

    def __init__(
        self,
        sandbox: Bubblewrap | Unconfined,
        mounts: Mounts,
        work: Path,
        limits: Limits,
        harness: str,
        cpu: int,
        tree: CgroupTree | ProcfsTree,
    ):
        cmd_read, self._cmd = os.pipe()
        self._results, result_write = os.pipe()
        _widen(self._results)
        _widen(self._cmd)
        os.set_blocking(self._cmd, False)  # a harness that stops reading cannot hold the worker
        rlimits = limits.rlimits(tree_limits_processes=tree.enforces_processes)
        harness_args = ["--harness", harness, "--limits", json.dumps(rlimits)]
        harness_args += [
            "--cmd-fd",
            str(cmd_read),
            "--result-fd",
            str(result_write),
            "--cpu",
            str(cpu),
        ]
        launch = sandbox.launch(mounts, work, int(limits.max_output_mb * 1024 * 1024), harness_args)
        try:
            super().__init__(launch, tree, cpu, pass_fds=(cmd_read, result_write))
        finally:
            for fd in (cmd_read, result_write):
                os.close(fd)

    def __exit__(self, *exc_info) -> None:
        super().__exit__(*exc_info)
        for fd in (self._cmd, self._results):
            try:
                os.close(fd)
            except OSError:
                pass

    # ---- frames ----------------------------------------------------------------------------

    def send(self, header: dict, deadline: float, payload: list[bytes] | None = None) -> None:
        """Write one frame; ``payload`` is a list of byte strings sent one after the other."""
        parts = payload or []
        self._write([encode_head(header, sum(len(p) for p in parts)), *parts], deadline)

    def _write(self, parts: list[bytes], deadline: float) -> None:
        views = [memoryview(p).cast("B") for p in parts if len(p)]
        poller = select.poll()
        poller.register(self._cmd, select.POLLOUT)
        while views:
            try:
                written = os.writev(self._cmd, views)
            except BlockingIOError:
                self._wait(poller, deadline)
                continue
            except OSError:  # BrokenPipeError: the harness is gone
                raise self._died() from None
            while views and written >= len(views[0]):
                written -= len(views.pop(0))
            if views:
                views[0] = views[0][written:]

    def _wait(self, poller: select.poll, deadline: float) -> None:
        """Wait until the pipe is ready, checking the tree's limits meanwhile; kill the sandbox
        and raise WallTimeExceeded or TreeLimitExceeded when one is broken."""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.kill()
                raise WallTimeExceeded()
            if poller.poll(min(remaining, self.tree.interval_s) * 1000):
                return
            self.watch()

    def _read(self, n: int, deadline: float) -> bytearray:
        buffer = bytearray(n)
        view = memoryview(buffer)
        got = 0
        poller = select.poll()
        poller.register(self._results, select.POLLIN)
        while got < n:
            self._wait(poller, deadline)
            k = os.readv(self._results, [view[got:]])
            if k == 0:
                raise self._died()
            got += k
        return buffer  # the bytearray itself: a 1 MB result is not copied again

    def receive(self, deadline: float) -> tuple[dict, bytearray | bytes]:
        """The next frame; HarnessError for an error frame."""
        try:
            header_bytes, payload_bytes = decode_prefix(self._read(PREFIX.size, deadline))
            header = decode_header(self._read(header_bytes, deadline))
        except ProtocolError:
            self.kill()
            raise HarnessError(
                {
                    "stage": "protocol",
                    "message": "the harness pipe was written to by something else",
                }
            ) from None
        payload = self._read(payload_bytes, deadline) if payload_bytes else b""
        if header.get("type") == "error":
            self.finish()  # the harness waits for "exit": its peak memory is read first
            raise HarnessError(header)
        return header, payload

    def expect(self, kind: str, deadline: float) -> tuple[dict, bytearray | bytes]:
        header, payload = self.receive(deadline)
        if header.get("type") != kind:
            self.kill()
            raise HarnessError(
                {
                    "stage": "protocol",
                    "message": f"expected a {kind!r} frame, got {header.get('type')!r}",
                }
            )
        return header, payload

    # ---- the calls -------------------------------------------------------------------------

    def load(self, task: str, files: dict[str, bytes], deadline: float) -> None:
        """Hand one task's input files to the harness through the pipe and have it load them
        (untimed). The sandbox sees no input directory: only the files of the task at hand."""
        header = {"cmd": "load", "task": task, "files": {n: len(b) for n, b in files.items()}}
        self.send(header, deadline, list(files.values()))
        self.expect("ready", deadline)
        self.watch()

    def wait_started(self, deadline: float) -> None:
        """Wait for the harness to run (nothing of the submission has yet)."""
        self.expect("started", deadline)

    def go(self, deadline: float) -> tuple[float, float, dict, bytearray | bytes]:
        """Run the loaded task: (wall seconds, on-CPU seconds of the process tree, header, payload)."""
        cpu_before = self.tree.cpu_seconds()
        start = time.perf_counter()
        self._write([GO], deadline)
        header, payload = self.expect("result", deadline)
        wall = time.perf_counter() - start
        cpu = self.tree.cpu_seconds() - cpu_before
        self.watch()
        return wall, cpu, header, payload

    # ---- the end ---------------------------------------------------------------------------

    def finish(self) -> None:
        """Ask the harness to exit and collect it (killed if it does not exit within a few seconds)."""
        self.note_peak_memory()
        try:
            self.send({"cmd": "exit"}, time.monotonic() + EXIT_GRACE_S)
        except (HarnessDied, WallTimeExceeded, TreeLimitExceeded):
            return
        self._collect(EXIT_GRACE_S)

    def stop(self) -> None:
        """Collect a harness that is exiting on its own."""
        self._collect(EXIT_GRACE_S)

    def _died(self) -> HarnessDied:
        self.stop()
        return HarnessDied(self.returncode)


def _widen(fd: int) -> None:
    try:
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    except OSError:
        pass  # above the system's pipe-max-size: the default buffer only costs a few copies

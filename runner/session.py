"""One harness process seen from the worker: start it, exchange frames, time calls, stop it.

All clocks are read here, outside the sandbox: a call is timed from just before the "go"
frame is written to just after the whole result has been read back.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import signal
import subprocess
import time
from pathlib import Path

from fivesigma.runner.harness.protocol import (
    PREFIX,
    ProtocolError,
    decode_header,
    decode_prefix,
    encode_frame,
)
from fivesigma.runner.limits import Limits
from fivesigma.runner.logtail import LogTail
from fivesigma.runner.procfs import cpu_seconds, only_descendant, peak_rss_mb
from fivesigma.runner.sandbox import Bubblewrap, Mounts, Unconfined

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


class WallTimeExceeded(Exception):
    """The deadline passed; the process has been killed."""


def default_cpu() -> int:
    """The last CPU this worker may run on."""
    return max(os.sched_getaffinity(0))


class HarnessProcess:
    """A running ``harness.serve`` process, confined by ``sandbox``. Use as a context manager."""

    def __init__(
        self,
        sandbox: Bubblewrap | Unconfined,
        mounts: Mounts,
        work: Path,
        limits: Limits,
        harness: str,
    ):
        cmd_read, self._cmd = os.pipe()
        self._results, result_write = os.pipe()
        log_read, log_write = os.pipe()
        _widen(self._results)
        self.cpu = default_cpu() if limits.cpu is None else limits.cpu
        harness_args = ["--harness", harness, "--limits", json.dumps(limits.rlimits())]
        harness_args += [
            "--cmd-fd",
            str(cmd_read),
            "--result-fd",
            str(result_write),
            "--cpu",
            str(self.cpu),
        ]
        launch = sandbox.launch(mounts, work, int(limits.max_output_mb * 1024 * 1024), harness_args)
        self.started = time.monotonic()
        try:
            self.popen = subprocess.Popen(
                launch.argv,
                env=launch.env,
                cwd=launch.cwd,
                stdin=subprocess.DEVNULL,
                stdout=log_write,
                stderr=log_write,
                pass_fds=(cmd_read, result_write, *launch.fds),
                start_new_session=True,
            )
        finally:
            for fd in (cmd_read, result_write, log_write, *launch.fds):
                os.close(fd)
        try:
            os.sched_setaffinity(self.popen.pid, {self.cpu})
        except OSError:
            pass  # already gone; the harness pins itself as well
        self.log = LogTail(log_read)
        self.returncode: int | None = None
        self.peak_memory_mb = 0.0
        self.harness_pid = self.popen.pid

    def __enter__(self) -> HarnessProcess:
        return self

    def __exit__(self, *exc_info) -> None:
        self.kill()
        for fd in (self._cmd, self._results):
            try:
                os.close(fd)
            except OSError:
                pass
        self.log.close()

    # ---- frames ----------------------------------------------------------------------------

    def send(self, header: dict) -> None:
        self._write(encode_frame(header))

    def _write(self, frame: bytes) -> None:
        try:
            os.write(self._cmd, frame)
        except (BrokenPipeError, OSError):
            raise self._died() from None

    def _read(self, n: int, deadline: float) -> bytearray:
        view = memoryview(bytearray(n))
        got = 0
        poller = select.poll()
        poller.register(self._results, select.POLLIN)
        while got < n:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not poller.poll(remaining * 1000):
                self.kill()
                raise WallTimeExceeded()
            k = os.readv(self._results, [view[got:]])
            if k == 0:
                raise self._died()
            got += k
        return view.obj  # the bytearray itself: a 1 MB result is not copied again

    def receive(self, deadline: float) -> tuple[dict, bytearray]:
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

    def expect(self, kind: str, deadline: float) -> tuple[dict, bytes]:
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

    def load(self, task: str, deadline: float) -> None:
        """Have the harness load one task (untimed)."""
        self.send({"cmd": "load", "task": task})
        self.expect("ready", deadline)
        self.note_peak_memory()

    def wait_started(self, deadline: float) -> None:
        """Wait for the harness to run (nothing of the submission has yet) and note its pid."""
        self.expect("started", deadline)
        self.harness_pid = only_descendant(self.popen.pid)

    def go(self, deadline: float) -> tuple[float, float, dict, bytearray]:
        """Run the loaded task: (wall seconds, CPU seconds of the harness's threads, header, payload)."""
        cpu_before = cpu_seconds(self.harness_pid)
        start = time.perf_counter()
        self._write(GO)
        header, payload = self.expect("result", deadline)
        wall = time.perf_counter() - start
        cpu = cpu_seconds(self.harness_pid) - cpu_before
        self.note_peak_memory()
        return wall, cpu, header, payload

    def note_peak_memory(self) -> None:
        """Fold the sandbox's current peak resident memory into ``peak_memory_mb``.

        Read from /proc between calls, never from wait4's rusage: a process started by exec
        inherits the resident peak of the process it replaced, so bwrap's figure would be the
        worker's own size.
        """
        self.peak_memory_mb = max(self.peak_memory_mb, peak_rss_mb(self.popen.pid))

    # ---- the end ---------------------------------------------------------------------------

    def finish(self) -> None:
        """Ask the harness to exit and collect it (killed if it does not exit within a few seconds)."""
        self.note_peak_memory()
        try:
            self.send({"cmd": "exit"})
        except HarnessDied:
            return
        self._collect(EXIT_GRACE_S)

    def stop(self) -> None:
        """Collect a harness that is exiting on its own."""
        self._collect(EXIT_GRACE_S)

    def kill(self) -> None:
        """Kill the sandbox (bwrap takes its whole PID namespace with it) and collect it."""
        if self.returncode is not None:
            return
        self.note_peak_memory()
        try:
            os.killpg(self.popen.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self._collect(None)

    def _died(self) -> HarnessDied:
        self.stop()
        return HarnessDied(self.returncode)

    def _collect(self, timeout: float | None) -> None:
        """Wait for the process to end; kill it after timeout."""
        if self.returncode is not None:
            return
        limit = None if timeout is None else time.monotonic() + timeout
        while True:
            pid, status = os.waitpid(self.popen.pid, 0 if limit is None else os.WNOHANG)
            if pid:
                break
            if time.monotonic() > limit:
                self.kill()
                return
            time.sleep(0.005)
        self.returncode = self.popen.returncode = os.waitstatus_to_exitcode(status)


def _widen(fd: int) -> None:
    try:
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    except OSError:
        pass  # above the system's pipe-max-size: the default buffer only costs a few copies

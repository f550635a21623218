"""Keeps the last lines a sandboxed process writes to stdout/stderr, reading them as they come."""

from __future__ import annotations

import os
import threading

KEEP_BYTES = 64 * 1024
LINE_CHARS = 400


class LogTail:
    """A thread draining a pipe into a bounded buffer, so the writer never blocks on a full pipe."""

    def __init__(self, fd: int):
        self._fd = fd
        self._buffer = bytearray()
        self._lock = threading.Lock()
        self.total_bytes = 0
        self._thread = threading.Thread(target=self._drain, name="sandbox-log", daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        try:
            while chunk := os.read(self._fd, 65536):
                with self._lock:
                    self.total_bytes += len(chunk)
                    self._buffer += chunk
                    if len(self._buffer) > 2 * KEEP_BYTES:
                        del self._buffer[:-KEEP_BYTES]
        finally:
            os.close(self._fd)

    def close(self, timeout: float = 2.0) -> None:
        """Wait for the writers to be gone (end of file)."""
        self._thread.join(timeout)

    def tail(self) -> str:
        """The last KEEP_BYTES bytes written, as text (undecodable bytes replaced)."""
        with self._lock:
            data = bytes(self._buffer[-KEEP_BYTES:])
        return data.decode("utf-8", "replace")

    def text(self, lines: int = 50) -> str:
        """The last ``lines`` lines, each cut at LINE_CHARS characters."""
        with self._lock:
            data = bytes(self._buffer[-KEEP_BYTES:])
        tail = data.decode("utf-8", "replace").splitlines()[-lines:]
        return "\n".join(
            line if len(line) <= LINE_CHARS else line[:LINE_CHARS] + " [...]" for line in tail
        )

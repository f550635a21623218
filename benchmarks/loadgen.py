"""Concurrent clients on loopback with wrk (Debian package ``wrk``): latency, rate, errors.

wrk's event loop in C keeps the load generator off the server's CPU budget, which a pool of
Python client threads on the same two cores would not. A small Lua ``done`` hook prints the
figures as JSON, so nothing depends on wrk's human-readable report.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

WRK = "wrk"
REPORT = """
done = function(summary, latency, requests)
  io.write("WRK-JSON ")
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "max_us": %d, '
    .. '"connect": %d, "read": %d, "write": %d, "timeout": %d, "status": %d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.timeout, summary.errors.status))
end
"""


def available() -> bool:
    return shutil.which(WRK) is not None


def hammer(url: str, clients: int, seconds: float, timeout_s: float = 10.0) -> dict:
    """``clients`` connections asking for ``url`` back to back for ``seconds``.

    Returns requests, errors (no connection, read or write failure, no answer within
    ``timeout_s``, or a status other than 2xx/3xx), p50_s and p99_s latency of the answered
    requests, and rate (requests per second).
    """
    if not available():
        raise RuntimeError(
            "wrk is not installed: apt-get install wrk (platform/services.sh install)"
        )
    with tempfile.TemporaryDirectory(prefix="fivesigma-wrk-") as tmp:
        script = Path(tmp) / "report.lua"
        script.write_text(REPORT)
        run = subprocess.run(
            [
                WRK,
                "--threads",
                str(min(2, clients)),
                "--connections",
                str(clients),
                "--duration",
                f"{seconds:.0f}s",
                "--timeout",
                f"{timeout_s:.0f}s",
                "--script",
                str(script),
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    line = next(x for x in run.stdout.splitlines() if x.startswith("WRK-JSON "))
    figures = json.loads(line.removeprefix("WRK-JSON "))
    errors = sum(figures[k] for k in ("connect", "read", "write", "timeout", "status"))
    return {
        "requests": figures["requests"],
        "errors": errors,
        "p50_s": figures["p50_us"] / 1e6,
        "p99_s": figures["p99_us"] / 1e6,
        "rate": figures["requests"] / (figures["duration_us"] / 1e6),
    }

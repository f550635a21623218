"""A newcomer's first start: ``make run`` in a fresh clone, to the first page and beyond.

The committed HEAD of this checkout is cloned into a temporary folder and ``make run PORT=...``
runs there as a newcomer runs it (a new ``.venv``, pip's cache as this machine has it, a new
``var/``), on a free port. Measured from the moment ``make`` starts:

- the first page: ``GET /`` answers 200 (installation, migrations and listing included);
- all demos ready: every demo's preparation finished and every benchmark submission scored
  (read from the clone's SQLite database);
- the longest silence of a demo's preparation: the largest gap between two of its progress
  lines in the worker's log while it is being prepared (targets: 10 s);
- the second start: Ctrl-C, then ``make run`` again, to the first page.

Targets (the issue "A newcomer's first hour"): first page within 3 minutes on 2 cores,
installation included; a second start within 15 s; no preparation step silent for more than
10 s. The machine may be shared: wall times come with the load average and the CPU time of
the whole process tree. Takes 15 to 30 minutes.
"""

from __future__ import annotations

import contextlib
import os
import re
import resource
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import datetime
from pathlib import Path

from benchmarks.harness import REPO

AREA = "first_start"
FIRST_PAGE_TARGET = 180.0  # seconds
SECOND_START_TARGET = 15.0
SILENCE_TARGET = 10.0
READY_TIMEOUT = 3600.0
LOG_TIME = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}): INFO/[^\]]+\] ([\w-]+) \[")


class MakeRun:
    """``make run PORT=port`` in ``clone``, in its own process group, its output kept."""

    def __init__(self, clone: Path, port: int, log: Path):
        env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
        for name in ("DATABASE_URL", "CELERY_BROKER_URL", "FIVESIGMA_DATA_DIR", "NUMBA_CACHE_DIR"):
            env.pop(name, None)
        ours = str(Path(sys.prefix) / "bin")
        env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if p != ours)
        self.url = f"http://127.0.0.1:{port}/"
        self.started = time.monotonic()
        self.log = open(log, "a")  # noqa: SIM115 - written until the run stops
        self.process = subprocess.Popen(
            ["make", "run", f"PORT={port}"],
            cwd=clone,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: list[tuple[float, str]] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append((time.monotonic() - self.started, line.rstrip("\n")))
            self.log.write(line)
            self.log.flush()

    def seconds_to_first_page(self, timeout: float) -> float:
        while time.monotonic() - self.started < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(f"make run stopped (exit {self.process.returncode})")
            try:
                with urllib.request.urlopen(self.url, timeout=5) as response:
                    if response.status == 200:
                        return time.monotonic() - self.started
            except OSError:
                pass
            time.sleep(0.25)
        raise RuntimeError(f"no page after {timeout:.0f} s")

    def wait_for_line(self, wanted, timeout: float) -> str:
        """The first output line for which ``wanted(line)`` holds, waiting up to ``timeout``
        seconds for it (the script prints its announcement once it has seen the page
        answer, which can be after this process has); "" if none comes."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = next((line for _, line in list(self.lines) if wanted(line)), None)
            if found is not None:
                return found
            time.sleep(0.25)
        return ""

    def stop(self) -> None:
        """Ctrl-C, as in a terminal: SIGINT to the whole process group."""
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            self.process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        # the worker's processes may still be finishing after make has exited (the site's own
        # test allows them 60 s): wait for the last of them to close the output, then kill
        # what is left, so that nothing writes into the clone while it is removed
        self.reader.join(timeout=90)
        if self.reader.is_alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.reader.join(timeout=10)
        self.log.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def demos_ready(database: Path) -> bool:
    """Every demo prepared and every submission scored (or failed)."""
    if not database.exists():
        return False
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5) as db:
            waiting = db.execute(
                "SELECT COUNT(*) FROM challenges_preparation WHERE finished IS NULL"
            ).fetchone()[0]
            prepared = db.execute("SELECT COUNT(*) FROM challenges_preparation").fetchone()[0]
            pending = db.execute(
                "SELECT COUNT(*) FROM challenges_submission WHERE status NOT IN ('finished', 'failed')"
            ).fetchone()[0]
    except sqlite3.OperationalError:  # not migrated yet, or busy
        return False
    return prepared > 0 and waiting == 0 and pending == 0


def longest_silences(lines: list[tuple[float, str]]) -> dict[str, float]:
    """Per demo, the largest gap (s) between two of its progress lines, by the log's clock."""
    seen: dict[str, list[datetime]] = {}
    for _, line in lines:
        match = LOG_TIME.match(line)
        if match:
            stamp = datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S,%f")
            seen.setdefault(match.group(2), []).append(stamp)
    return {
        demo: max(
            ((b - a).total_seconds() for a, b in zip(times[:-1], times[1:], strict=True)),
            default=0.0,
        )
        for demo, times in seen.items()
    }


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def minutes(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def run(table) -> None:
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
    ).stdout.strip()
    with tempfile.TemporaryDirectory(
        prefix="fivesigma-first-start-", ignore_cleanup_errors=True
    ) as tmp:
        clone = Path(tmp) / "fresh"
        subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True)
        port, log = free_port(), Path(tmp) / "make-run.log"
        load_before, cpu_before = os.getloadavg()[0], children_cpu()
        first = MakeRun(clone, port, log)
        try:
            page = first.seconds_to_first_page(timeout=1200)
            load_page = os.getloadavg()[0]
            announced = first.wait_for_line(lambda line: " answers, " in line, timeout=60)
            installed = next(
                (t for t, line in first.lines if "migrating the database" in line), 0.0
            )
            database = clone / "var" / "fivesigma.sqlite3"
            while not demos_ready(database):
                if time.monotonic() - first.started > READY_TIMEOUT:
                    raise RuntimeError("the demos were not ready within an hour")
                time.sleep(2)
            ready = time.monotonic() - first.started
            load_ready = os.getloadavg()[0]
        finally:
            first.stop()
        cpu_first = children_cpu() - cpu_before
        silences = longest_silences(first.lines)

        second = MakeRun(clone, port, log)
        try:
            again = second.seconds_to_first_page(timeout=300)
            load_again = os.getloadavg()[0]
        finally:
            second.stop()

    loads = f"load average {load_before:.1f} at the start, {load_page:.1f} at the first page"
    table.add(
        AREA,
        f"fresh clone ({head}), `make run`: first page answers, wall from `make` (installation "
        f"{minutes(installed)} of it, with pip's cache)",
        f'{minutes(page)} ({loads}); it says so: "{announced.split(". ")[0].strip()}."',
        "< 3 min on 2 cores",
        page < FIRST_PAGE_TARGET,
    )
    table.add(
        AREA,
        "fresh clone, all demos ready in the background: data, starter kits, benchmark rows "
        "scored (full size), wall from `make`; CPU of the whole process tree",
        f"{minutes(ready)} (load average {load_ready:.1f} then); {cpu_first / 60:.1f} min CPU",
    )
    worst = max(silences.values(), default=float("nan"))
    table.add(
        AREA,
        "longest silence of a demo's preparation: gap between two of its progress lines",
        ", ".join(f"{demo} {gap:.1f} s" for demo, gap in sorted(silences.items())) or "none",
        "<= 10 s",
        bool(silences) and worst <= SILENCE_TARGET,
    )
    table.add(
        AREA,
        f"second `make run PORT={port}` (a port other than 8000), first page, wall",
        f"{again:.1f} s (load average {load_again:.1f})",
        "< 15 s",
        again < SECOND_START_TARGET,
    )

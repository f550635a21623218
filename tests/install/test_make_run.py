"""``make run``'s script (platform/dev-serve.sh), run for real on a free port.

The site must answer at once and say so, list the demo challenges as being prepared, a worker
must then prepare them in the background with progress lines, and Ctrl-C must stop it all.
A port already in use is refused with a hint. The demos are the tiny ones, in the test's own
data directory on SQLite with the filesystem broker.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from tests.install.venvs import REPO, clean_environment

SCRIPT = REPO / "platform" / "dev-serve.sh"
pytestmark = pytest.mark.install


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def script_environment(data_dir, port: int) -> dict[str, str]:
    env = clean_environment()
    for name in ("DATABASE_URL", "CELERY_BROKER_URL", "NUMBA_CACHE_DIR"):
        env.pop(name, None)
    env.update(
        FIVESIGMA_DATA_DIR=str(data_dir),
        PORT=str(port),
        DEMO_SIZE="tiny",
        FIVESIGMA_RUN_STARTED=str(int(time.time())),
    )
    return env


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.status == 200
        return response.read().decode()


def test_a_port_in_use_is_refused_with_a_hint(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run(
            ["bash", str(SCRIPT)],
            cwd=REPO,
            env=script_environment(tmp_path, port),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1
    assert f"port {port} is in use" in done.stderr
    assert "make run PORT=8001" in done.stderr
    assert not (tmp_path / "fivesigma.sqlite3").exists()  # nothing was started


def processes_of(data_dir) -> set[int]:
    """Processes started with ``FIVESIGMA_DATA_DIR=data_dir``: the site, the worker, its pool."""
    marker = f"FIVESIGMA_DATA_DIR={data_dir}".encode()
    found = set()
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and marker in (entry / "environ").read_bytes().split(b"\0"):
                found.add(int(entry.name))
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return found


def all_stopped(data_dir, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not processes_of(data_dir):
            return True
        time.sleep(0.5)
    return False


class Output:
    """The lines a process prints, collected as they come."""

    def __init__(self, process: subprocess.Popen):
        self.lines: list[str] = []
        self.thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self.thread.start()

    def _read(self, process) -> None:
        for line in process.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, predicate, timeout: float, what: str) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = next((line for line in self.lines if predicate(line)), None)
            if found is not None:
                return found
            time.sleep(0.2)
        raise AssertionError(f"no {what} after {timeout:.0f} s:\n" + "\n".join(self.lines[-40:]))


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_site_answers_at_once_then_a_worker_prepares_the_demos(tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    process = subprocess.Popen(
        ["bash", str(SCRIPT)],
        cwd=REPO,
        env=script_environment(tmp_path, port),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output = Output(process)
    try:
        announced = output.wait_for(lambda line: " answers, " in line, 300, "first-page line")
        assert announced.startswith(f"fivesigma: {url} answers, ")
        assert any("Demo organiser account created (shown once)" in line for line in output.lines)
        home = get(url)
        assert "HiggsML" in home and "TrackML" in home and "Preparing" in home
        assert "Preparing" in get(url + "c/higgsml/")

        output.wait_for(lambda line: "higgsml [" in line and "step 1 of 5" in line, 300, "progress")
        output.wait_for(
            lambda line: "higgsml [" in line and "] ready: 5 steps" in line, 600, "ready"
        )
        page = get(url + "c/higgsml/")
        assert "Preparing" not in page and "Leaderboard: Main phase" in page
        assert len(processes_of(tmp_path)) >= 4  # the site, the worker and its pool
    finally:
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C in the terminal
        try:
            process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            raise
    assert all_stopped(tmp_path, timeout=60), processes_of(tmp_path)  # TrackML's step too
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as a server binds it
        probe.bind(("127.0.0.1", port))  # nothing listens there any more

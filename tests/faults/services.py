"""What the fault tests start, own and break: Celery workers, a private Redis, a PostgreSQL
database cut off and restored, and a look at a worker's process tree."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
from pathlib import Path

from tests.conftest import REPO, WORKER_COMMAND, wait_for
from tests.postgres import admin_execute

REDIS_SERVER = "/usr/bin/redis-server"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Worker:
    """A Celery worker process (by default WORKER_COMMAND: one task at a time) on ``queues``
    (both by default), in its own session so that it can be killed whole."""

    def __init__(
        self,
        directory: Path,
        name: str,
        env: dict[str, str],
        command: list[str] = WORKER_COMMAND,
        queues: str = "scoring,sandbox",
    ):
        self.log_path = directory / f"{name}.log"
        self._log = open(self.log_path, "w")  # noqa: SIM115 - written by the worker until stopped
        command = list(command)
        command[command.index("-Q") + 1] = queues
        self.popen = subprocess.Popen(
            [*command, "--hostname", f"{name}-{secrets.token_hex(4)}@%h"],
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO), **env},
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.pid = self.popen.pid

    def log(self, tail: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-tail:]

    def wait_ready(self, timeout: float = 120.0) -> None:
        """Until the worker says it is ready to take tasks."""
        try:
            wait_for(
                lambda: " ready." in self.log_path.read_text(errors="replace"),
                timeout=timeout,
                interval=0.2,
                what="the worker to start",
            )
        except AssertionError:
            raise AssertionError(f"worker did not start:\n{self.log()}") from None

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes at once, as the OOM killer or a power cut."""
        os.killpg(self.pid, signal.SIGKILL)
        self.popen.wait()
        self._log.close()

    def stop(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.pid, signal.SIGKILL)
                self.popen.wait()
        self._log.close()


def descendants(pid: int) -> set[int]:
    """Every living process below ``pid``, whatever session it started for itself."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def running(pids: set[int]) -> set[int]:
    """Those of ``pids`` still alive (zombies count as gone)."""
    alive = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.add(pid)
    return alive


class RedisServer:
    """A private redis-server on a free loopback port, without persistence: a restart loses
    every message it held, as a real Redis restarted without AOF or RDB does."""

    def __init__(self, directory: Path):
        self.port = free_port()
        self.directory = directory
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.popen: subprocess.Popen | None = None

    def start(self) -> None:
        import redis

        self.popen = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)

        def answers() -> bool:
            try:
                return client.ping()
            except redis.exceptions.ConnectionError:
                return False

        wait_for(answers, timeout=20, interval=0.05, what="redis-server to answer")

    def stop(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait()

    def pending(self, queue: str) -> int:
        """Messages waiting in ``queue``."""
        import redis

        return redis.Redis.from_url(self.url).llen(queue)


def cut_off(database: str) -> None:
    """Make ``database`` unavailable: refuse new connections, end every open one."""
    admin_execute(
        f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false',
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        f"WHERE datname = '{database}' AND pid <> pg_backend_pid()",
    )


def restore(database: str) -> None:
    admin_execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')

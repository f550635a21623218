"""Machines that share no disk, played by processes on this one: a web process (gunicorn), a
`scoring` worker and `sandbox` workers, each with a data directory of its own, meeting only
through the database, Redis (a private redis-server) and an S3 API server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from tests.conftest import REPO, _database_url, wait_for
from tests.faults.conftest import Workers, cheap_passwords, redis_broker
from tests.faults.services import Worker, free_port
from tests.s3 import S3Server

__all__ = ["cheap_passwords", "redis_broker"]


@pytest.fixture
def s3_server(tmp_path):
    server = S3Server(tmp_path)
    yield server
    server.stop()


class Web:
    """The web process: gunicorn serving the site on a free loopback port."""

    def __init__(self, directory: Path, env: dict[str, str]):
        self.url = f"http://127.0.0.1:{free_port()}"
        self.log_path = directory.parent / "web.log"
        self._log = open(self.log_path, "w")  # noqa: SIM115 - written by gunicorn until stopped
        self.popen = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "fivesigma.wsgi:application",
                "--bind",
                self.url.removeprefix("http://"),
                "--workers",
                "2",
            ],  # fmt: skip
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO), **env},
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self) -> None:
        def answers() -> bool:
            try:
                return requests.get(f"{self.url}/api/challenges/", timeout=5).status_code == 200
            except requests.ConnectionError:
                return False

        try:
            wait_for(answers, timeout=60, interval=0.2, what="the web process to answer")
        except AssertionError:
            raise AssertionError(self.log_path.read_text()[-3000:]) from None

    def stop(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            self.popen.wait(timeout=20)
        self._log.close()


@dataclass
class Machines:
    """Where each role keeps its files (``data_dir``) and what they all share (``shared``)."""

    root: Path
    shared: dict[str, str]
    workers: Workers
    web: Web | None = None
    data_dirs: dict[str, Path] = field(default_factory=dict)

    def data_dir(self, name: str) -> Path:
        directory = self.data_dirs.setdefault(name, self.root / name)
        directory.mkdir(exist_ok=True)
        return directory

    def env(self, name: str) -> dict[str, str]:
        return {**self.shared, "FIVESIGMA_DATA_DIR": str(self.data_dir(name))}

    def start_web(self) -> Web:
        self.web = Web(self.data_dir("web"), self.env("web"))
        return self.web

    def start_worker(self, name: str, queues: str, **env: str) -> Worker:
        return self.workers.start(name, queues=queues, **self.env(name), **env)

    def manage(self, name: str, *args: str) -> subprocess.Popen:
        """``manage.py ARGS`` run on machine ``name`` (started, not waited for)."""
        return subprocess.Popen(
            [sys.executable, "manage.py", *args],
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO), **self.env(name)},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def logs(self) -> str:
        web = self.web.log_path.read_text()[-3000:] if self.web else ""
        return f"{self.workers.logs()}\n--- web.log\n{web}"


@pytest.fixture
def machines(transactional_db, redis_broker, s3_server, tmp_path):
    """Start the machines with ``machines.start_web()`` / ``start_worker``; all stop after."""
    shared = {
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": redis_broker.url,
        "FIVESIGMA_BOOTSTRAP_REPLICAS": "100",
        **s3_server.environment(),
    }
    pool = Machines(tmp_path / "machines", shared, Workers(tmp_path, redis_broker))
    pool.root.mkdir()
    yield pool
    running = [w.popen for w in pool.workers.started] + ([pool.web.popen] if pool.web else [])
    for process in running:  # all told at once, then waited for
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for worker in pool.workers.started:
        worker.stop()
    if pool.web is not None:
        pool.web.stop()

"""Fixtures of the fault tests: a broker of the test's own, workers started on demand.

Each test owns what it breaks. The broker is a private redis-server when the suite runs with
Redis (CELERY_BROKER_URL=redis://...), the filesystem broker in the test's directory
otherwise; the test process publishes to the same broker as its workers.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import _database_url, _reset_broker_connections, require
from tests.faults.services import REDIS_SERVER, RedisServer, Worker


@pytest.fixture(autouse=True)
def cheap_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class Broker:
    url: str
    redis: RedisServer | None = None


def publish_to(url: str, transport_options: dict) -> tuple[str, dict]:
    """Make this process's producer send tasks to ``url``; return what it used before."""
    from fivesigma.celery import app

    before = (app.conf.broker_write_url, app.conf.broker_transport_options)
    app.conf.broker_url = app.conf.broker_read_url = app.conf.broker_write_url = url
    app.conf.broker_transport_options = transport_options
    _reset_broker_connections(app)
    return before


@pytest.fixture
def redis_broker(tmp_path):
    """A private redis-server that the test may stop and start again."""
    require(os.access(REDIS_SERVER, os.X_OK), f"redis-server ({REDIS_SERVER})")
    server = RedisServer(tmp_path)
    server.start()
    before = publish_to(server.url, {})
    yield Broker(server.url, server)
    publish_to(*before)
    server.stop()


@pytest.fixture
def broker(request, tmp_path):
    """Redis (private) when the suite runs with Redis, else the filesystem broker in tmp_path."""
    if os.environ.get("CELERY_BROKER_URL", "").startswith("redis://"):
        yield request.getfixturevalue("redis_broker")
        return
    folders = {
        "data_folder_in": tmp_path / "broker" / "queue",
        "data_folder_out": tmp_path / "broker" / "queue",
        "control_folder": tmp_path / "broker" / "control",
    }
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    before = publish_to(
        "filesystem://", {**{k: str(v) for k, v in folders.items()}, "store_processed": False}
    )
    yield Broker("filesystem://")
    publish_to(*before)


@dataclass
class Workers:
    """Starts workers on the test's database, broker and files; stops them all at the end."""

    directory: Path
    broker: Broker
    started: list[Worker] = field(default_factory=list)

    def start(
        self,
        name: str,
        command: list[str] | None = None,
        queues: str = "scoring,sandbox",
        **env: str,
    ) -> Worker:
        worker = Worker(
            self.directory,
            name,
            {
                "FIVESIGMA_DATA_DIR": str(self.directory),
                "DATABASE_URL": _database_url(),
                "CELERY_BROKER_URL": self.broker.url,
                "FIVESIGMA_BOOTSTRAP_REPLICAS": "100",
                **env,
            },
            **({"command": command} if command else {}),
            queues=queues,
        )
        self.started.append(worker)
        return worker

    def logs(self) -> str:
        return "\n".join(f"--- {w.log_path.name}\n{w.log()}" for w in self.started)


@pytest.fixture
def workers(transactional_db, broker, tmp_path):
    pool = Workers(tmp_path, broker)
    yield pool
    for worker in pool.started:
        worker.stop()

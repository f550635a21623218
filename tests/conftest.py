"""Fixtures shared by the whole suite: isolated storage, eager tasks, a real worker process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import postgres

REPO = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() == "true"
# A real Celery worker on both queues, one task at a time (tests add --hostname when needed).
WORKER_COMMAND = [
    sys.executable, "-m", "celery", "-A", "fivesigma", "worker", "-Q", "scoring,sandbox",
    "--concurrency", "1", "--pool", "prefork", "--loglevel", "INFO",
    "--without-mingle", "--without-gossip",
]  # fmt: skip


def require(condition: bool, what: str) -> None:
    """Skip when a service is missing on a developer machine; fail in CI, where it must exist."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{what} is required in CI but is missing")
    pytest.skip(f"{what} is not available here")


@pytest.fixture(autouse=True)
def isolated_storage(settings, tmp_path):
    """Every test writes its files under its own temporary directory."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.DATA_DIR = tmp_path
    yield tmp_path


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Tests create many users; a cheap hasher keeps that fast (production keeps Django's default)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def eager_tasks(transactional_db):
    """Run Celery tasks in-process, right after the transaction that queued them commits."""
    from fivesigma.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture
def throwaway_postgres(transactional_db) -> str:
    """A new, migrated PostgreSQL database on the running server (tests/postgres.py), made the
    default one of this process and of the threads started during the test; dropped after,
    even when the test left it refusing connections. Yields its name.

    Without a reachable server: a skip on a developer machine, a failure in CI.
    """
    import secrets

    import dj_database_url
    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command
    from django.db import connections
    from django.db.utils import load_backend

    require(postgres.postgres_available(), "PostgreSQL (FIVESIGMA_TEST_POSTGRES_URL)")
    name = f"fivesigma_throwaway_{secrets.token_hex(4)}"
    postgres.admin_execute(f'CREATE DATABASE "{name}"')
    original_params, original = connections.settings["default"], connections["default"]
    params = connections.configure_settings(
        {"default": dj_database_url.parse(postgres.database_url(name), conn_max_age=0)}
    )["default"]
    connections.settings["default"] = params  # read by the connections of new threads
    connections["default"] = load_backend(params["ENGINE"]).DatabaseWrapper(params, "default")
    ContentType.objects.clear_cache()
    try:
        call_command("migrate", verbosity=0)
        yield name
    finally:
        connections["default"].close()
        connections.settings["default"], connections["default"] = original_params, original
        ContentType.objects.clear_cache()
        postgres.drop_database(name)


def _database_url() -> str:
    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def celery_worker_process(transactional_db, settings, tmp_path):
    """A real, separate Celery worker process on both queues, sharing the test database.

    Uses the configured broker (Redis when CELERY_BROKER_URL says so, the filesystem broker
    otherwise) and the test's media directory. Yields the Popen; stops the worker after.
    """
    from fivesigma.celery import app

    broker = os.environ.get("CELERY_BROKER_URL", "filesystem://")
    if broker.startswith("redis://"):
        import redis

        try:
            redis.Redis.from_url(broker).ping()
        except redis.exceptions.ConnectionError:
            require(False, f"Redis at {broker}")
    env = {
        **os.environ,
        "FIVESIGMA_DATA_DIR": str(tmp_path),
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": broker,
        "PYTHONPATH": str(REPO),
    }
    if broker == "filesystem://":
        folders = {
            "data_folder_in": tmp_path / "broker" / "queue",
            "data_folder_out": tmp_path / "broker" / "queue",
            "control_folder": tmp_path / "broker" / "control",
        }
        for folder in folders.values():
            folder.mkdir(parents=True, exist_ok=True)
        app.conf.broker_transport_options = {
            **{k: str(v) for k, v in folders.items()},
            "store_processed": False,
        }
        _reset_broker_connections(app)
    worker = spawn_worker(tmp_path / "worker.log", env)
    yield worker
    os.killpg(worker.pid, signal.SIGTERM)
    try:
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
    worker.log_file.close()


def spawn_worker(log_path: Path, env: dict) -> subprocess.Popen:
    """Start WORKER_COMMAND in its own session with ``env``, logging to ``log_path``."""
    log = open(log_path, "w")  # noqa: SIM115 - the worker writes it until stopped
    worker = subprocess.Popen(
        WORKER_COMMAND,
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    worker.log_path, worker.log_file = log_path, log
    return worker


def _reset_broker_connections(app) -> None:
    """Make the producer reconnect, so it picks up the broker options set for this test.

    kombu keeps connection and producer pools in process-wide groups keyed by the broker
    URL: all of them are closed and forgotten, so no later test draws from a closed pool.
    """
    from kombu import pools

    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


def wait_for(predicate, timeout: float = 60.0, interval: float = 0.2, what: str = "condition"):
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")

"""The running PostgreSQL server, reached as its admin (URL in FIVESIGMA_TEST_POSTGRES_URL, a
role with CREATEDB): for the tests that need a PostgreSQL database of their own whatever
database the rest of the suite runs on (the ``throwaway_postgres`` fixture in
tests/conftest.py)."""

from __future__ import annotations

import os

ADMIN_POSTGRES_URL = os.environ.get(
    "FIVESIGMA_TEST_POSTGRES_URL", "postgres://fivesigma:fivesigma@127.0.0.1:5432/fivesigma"
)


def postgres_available() -> bool:
    import psycopg

    try:
        with psycopg.connect(ADMIN_POSTGRES_URL, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


def admin_execute(*statements: str) -> None:
    """Run ``statements`` on the admin database, each in autocommit (CREATE/DROP DATABASE)."""
    import psycopg

    with psycopg.connect(ADMIN_POSTGRES_URL, autocommit=True, connect_timeout=5) as admin:
        for statement in statements:
            admin.execute(statement)


def drop_database(name: str, timeout_s: float = 30.0) -> None:
    """Drop database ``name``, ending this role's sessions on it first.

    ``DROP DATABASE ... WITH (FORCE)`` needs the right to end every session, which a role with
    only CREATEDB lacks when an autovacuum worker happens to be on the database; a plain DROP
    asks autovacuum to leave, so it is retried until the last session has gone.
    """
    import time

    import psycopg

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            admin_execute(
                f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false',
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                f"WHERE datname = '{name}' AND usename = current_user "
                "AND pid <> pg_backend_pid()",
                f'DROP DATABASE IF EXISTS "{name}"',
            )
            return
        except psycopg.errors.ObjectInUse:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def database_url(name: str) -> str:
    """The admin URL with its database name replaced by ``name``."""
    base, _, _ = ADMIN_POSTGRES_URL.rpartition("/")
    return f"{base}/{name}"

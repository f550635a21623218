"""Production settings are safe: deploy checks pass, a missing SECRET_KEY stops start-up."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import REPO


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    unwanted = {
        "SECRET_KEY",
        "DJANGO_DEBUG",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
    }  # the browser tests set the last
    clean = {k: v for k, v in os.environ.items() if k not in unwanted}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_checks_pass_with_production_settings(tmp_path):
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        FIVESIGMA_ENV="production",
        SECRET_KEY="k" * 20 + "a-long-random-production-secret-key-value",
        ALLOWED_HOSTS="challenges.example.org",
        FIVESIGMA_DATA_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = _manage(
        "check", FIVESIGMA_ENV="production", ALLOWED_HOSTS="x", FIVESIGMA_DATA_DIR=str(tmp_path)
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr

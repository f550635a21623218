"""Helpers of the program tests: participants submitting through the API, the worker's step
run in-process, and the programs run by hand outside the sandbox on the same files."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.response import Response
from rest_framework.test import APIClient

from fivesigma.challenges.engine import worker
from fivesigma.challenges.models import Phase, Score, Submission
from tests.builders.users import make_user


@pytest.fixture(autouse=True)
def quick(settings):
    """Cheap passwords; upload rates counted per test."""
    from django.core.cache import cache

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()


def participant(name: str = "alice") -> APIClient:
    client = APIClient()
    user = make_user(name)
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def submit(
    client: APIClient, phase: Phase, name: str, content: bytes, status: int = 201
) -> Submission | Response:
    """Upload through the API, whose reply must have ``status``: the created submission (not
    yet run), or for a refusal the reply (its content says why)."""
    stream = io.BytesIO(content)
    stream.name = name
    url = f"/api/challenges/{phase.challenge.slug}/phases/{phase.key}/submissions/"
    reply = client.post(url, {"file": stream}, format="multipart")
    assert reply.status_code == status, reply.content
    if status != 201:
        return reply
    return Submission.objects.get(uid=reply.json()["uid"])


def processed(submission: Submission) -> Submission:
    """The worker's step for ``submission``, in this process; the submission after it."""
    worker.process(submission.pk)
    submission.refresh_from_db()
    return submission


def stored_scores(submission: Submission) -> dict[str, dict]:
    """{subset: details} of the submission's current scores (every named number)."""
    rows = Score.objects.filter(submission=submission, current=True)
    return {row.subset: {**row.details, "score": row.value} for row in rows}


def by_hand(script: Path, *folders: Path) -> subprocess.CompletedProcess:
    """Run a program script with this Python, outside the sandbox, on host folders."""
    return subprocess.run(
        [sys.executable, str(script), *map(str, folders)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def scores_json(output: Path) -> dict:
    return json.loads((output / "scores.json").read_text())

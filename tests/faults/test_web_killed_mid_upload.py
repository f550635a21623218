"""A web process SIGKILLed while an upload arrives: the part received stays in the upload
spool under the data directory (not in the system's temporary directory), and the sweep run
at the web service's start removes it, leaving a file still being written alone."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from rest_framework.authtoken.models import Token

from fivesigma.challenges.engine import bundles
from tests.builders.higgsml_files import write_ams_bundle
from tests.builders.users import make_user
from tests.conftest import REPO, _database_url, wait_for
from tests.faults.services import free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SENT = 18 * 1024**2  # bytes of the file that arrive before the kill
DECLARED = 178 * 1024**2  # what the request says it will send


def start_web(tmp_path: Path, port: int) -> subprocess.Popen:
    log = open(tmp_path / "web.log", "w")  # noqa: SIM115 - written by gunicorn until killed
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "fivesigma.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--timeout", "120"],
        cwd=REPO,
        env={
            **os.environ,
            "PYTHONPATH": str(REPO),
            "FIVESIGMA_DATA_DIR": str(tmp_path),
            "DATABASE_URL": _database_url(),
        },
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip


def spooled(directory: Path) -> list[Path]:
    return [p for p in directory.iterdir() if p.is_file()] if directory.is_dir() else []


def test_an_upload_cut_by_a_killed_web_process_is_swept(transactional_db, settings, tmp_path):
    write_ams_bundle(tmp_path / "bundle")
    phase = bundles.load(tmp_path / "bundle").phases.get()
    token = Token.objects.create(user=make_user("alice")).key
    spool = tmp_path / "tmp" / "uploads"  # FILE_UPLOAD_TEMP_DIR of the web process
    settings.FILE_UPLOAD_TEMP_DIR = str(spool)
    port = free_port()
    web = start_web(tmp_path, port)
    try:
        wait_for(
            lambda: socket.socket().connect_ex(("127.0.0.1", port)) == 0,
            timeout=60,
            what="gunicorn to listen",
        )
        boundary = "----fivesigma-test"
        preamble = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="big.csv"\r\nContent-Type: text/csv\r\n\r\nEventId,RankOrder,Class\r\n'
        ).encode()
        path = f"/api/challenges/{phase.challenge.slug}/phases/{phase.key}/submissions/"
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Token {token}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
            f"Content-Length: {DECLARED}\r\n\r\n"
        ).encode()
        client = socket.create_connection(("127.0.0.1", port))
        client.sendall(head + preamble)
        row = b"350000,1,s\r\n" * 8192
        for _ in range(SENT // len(row)):
            client.sendall(row)
        wait_for(
            lambda: any(p.stat().st_size > SENT // 2 for p in spooled(spool)),
            timeout=60,
            what="the upload to be spooled under the data directory",
        )
        os.killpg(web.pid, signal.SIGKILL)
        web.wait()
        client.close()
    finally:
        if web.poll() is None:
            os.killpg(web.pid, signal.SIGKILL)
            web.wait()

    left = spooled(spool)
    assert len(left) == 1 and left[0].stat().st_size > SENT // 2, left
    # another upload, still arriving at another web process: written to a moment ago
    arriving = spool / "tmparriving.upload.csv"
    arriving.write_bytes(b"EventId\n")
    # the web service starts again some minutes later: its start sweeps the spool
    old = time.time() - settings.FIVESIGMA_UPLOAD_SPOOL_MAX_AGE_S - 1
    os.utime(left[0], (old, old))
    call_command("sweep_upload_spool")
    assert spooled(spool) == [arriving]

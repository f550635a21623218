"""Interrupted downloads resume from the ``.part`` file with an HTTP Range request, and the
checksum is still checked: against the site (live server), and against a small server of
the test's own that breaks connections off mid-file."""

from __future__ import annotations

import hashlib
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
import requests

from fivesigma.challenges.client import remote
from fivesigma.challenges.client.__main__ import main
from fivesigma.challenges.client.remote import Api, ClientError


@pytest.fixture(autouse=True)
def no_pause(monkeypatch):
    monkeypatch.setattr(remote, "RESUME_PAUSE_S", 0.0)


@pytest.fixture
def exchanges(monkeypatch):
    """Every (Range header sent, status answered) of the client's calls during the test."""
    seen: list[tuple[str | None, int]] = []
    send = requests.Session.request

    def recording(session, method, url, **kwargs):
        response = send(session, method, url, **kwargs)
        seen.append(((kwargs.get("headers") or {}).get("Range"), response.status_code))
        return response

    monkeypatch.setattr(requests.Session, "request", recording)
    return seen


def part_of(target, sha256: str):
    return target.with_name(f"{target.name}.{sha256[:16]}.part")


def test_download_resumes_from_the_part_file(site, logged_in, tmp_path, exchanges, capsys):
    content = (site.bundle / "data" / "test.csv").read_bytes()
    sha = hashlib.sha256(content).hexdigest()
    out = tmp_path / "data"
    out.mkdir()
    half = len(content) // 2
    part_of(out / "test.csv", sha).write_bytes(content[:half])
    older = out / "test.csv.0123456789abcdef.part"  # left by a version of the file gone since
    older.write_bytes(b"stale")
    assert main(["download", "tiny-higgs", "--out", str(out)]) == 0
    assert (out / "test.csv").read_bytes() == content
    assert sorted(p.name for p in out.iterdir()) == ["test.csv"]
    assert (f"bytes={half}-", 206) in exchanges
    assert [status for header, status in exchanges if header] == [206]


def test_a_damaged_part_fails_the_checksum_and_the_file_is_fetched_whole(
    site, logged_in, tmp_path, exchanges, capsys
):
    content = (site.bundle / "data" / "test.csv").read_bytes()
    sha = hashlib.sha256(content).hexdigest()
    out = tmp_path / "data"
    out.mkdir()
    part_of(out / "test.csv", sha).write_bytes(b"X" * 40)
    assert main(["download", "tiny-higgs", "--out", str(out)]) == 0
    assert (out / "test.csv").read_bytes() == content
    assert "fails its checksum; downloading it whole" in capsys.readouterr().out
    assert exchanges[-2:] == [("bytes=40-", 206), (None, 200)]  # the file, then again whole


class Flaky(BaseHTTPRequestHandler):
    """Serves ``content`` with single byte ranges; the first ``cuts`` answers stop after
    ``keep`` bytes of their body and close the connection."""

    content = b""
    cuts = 0
    keep = 0
    ranges: list[tuple[str | None, str | None]] = []

    def do_GET(self):  # noqa: N802 - http.server's name
        cls = type(self)
        asked = self.headers.get("Range")
        cls.ranges.append((asked, self.headers.get("If-Range")))
        start = int(re.fullmatch(r"bytes=(\d+)-", asked).group(1)) if asked else 0
        body = cls.content[start:]
        self.send_response(206 if asked else 200)
        if asked:
            self.send_header(
                "Content-Range", f"bytes {start}-{len(cls.content) - 1}/{len(cls.content)}"
            )
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if cls.cuts > 0:
            cls.cuts -= 1
            self.wfile.write(body[: cls.keep])
            self.close_connection = True
            return
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def flaky():
    content = np.random.default_rng(5).integers(0, 256, 3 * remote.CHUNK // 2, np.uint8).tobytes()
    handler = type("Handler", (Flaky,), {"content": content, "ranges": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield handler, f"http://127.0.0.1:{server.server_address[1]}/file"
    server.shutdown()
    server.server_close()


def test_a_download_cut_off_mid_file_resumes_until_complete(flaky, tmp_path):
    handler, url = flaky
    handler.cuts, handler.keep = 3, 2 * remote.READ_CHUNK
    step = handler.keep
    sha = hashlib.sha256(handler.content).hexdigest()
    target = tmp_path / "events.bin"
    Api("http://127.0.0.1").download(url, target, len(handler.content), sha)
    assert target.read_bytes() == handler.content
    assert handler.ranges == [
        (None, None),
        (f"bytes={step}-", f'"{sha}"'),
        (f"bytes={2 * step}-", f'"{sha}"'),
        (f"bytes={3 * step}-", f'"{sha}"'),
    ]


def test_a_download_cut_off_too_often_keeps_its_bytes_for_the_next_run(flaky, tmp_path):
    handler, url = flaky
    handler.cuts, handler.keep = remote.RESUME_ATTEMPTS, remote.READ_CHUNK
    sha = hashlib.sha256(handler.content).hexdigest()
    target = tmp_path / "events.bin"
    api = Api("http://127.0.0.1")
    with pytest.raises(ClientError, match="run the same command again to resume"):
        api.download(url, target, len(handler.content), sha)
    kept = part_of(target, sha)
    assert kept.read_bytes() == handler.content[: remote.READ_CHUNK * remote.RESUME_ATTEMPTS]
    assert not target.exists()
    api.download(url, target, len(handler.content), sha)  # the next run
    assert target.read_bytes() == handler.content
    assert handler.ranges[-1] == (
        f"bytes={remote.READ_CHUNK * remote.RESUME_ATTEMPTS}-",
        f'"{sha}"',
    )
    assert not kept.exists()


def test_a_server_that_ignores_the_range_gets_the_file_rewritten_whole(flaky, tmp_path):
    handler, url = flaky
    sha = hashlib.sha256(handler.content).hexdigest()
    target = tmp_path / "events.bin"
    part_of(target, sha).write_bytes(handler.content[:5000])

    def whole(self):
        type(self).ranges.append((self.headers.get("Range"), None))
        self.send_response(200)
        self.send_header("Content-Length", str(len(handler.content)))
        self.end_headers()
        self.wfile.write(handler.content)

    handler.do_GET = whole
    Api("http://127.0.0.1").download(url, target, len(handler.content), sha)
    assert target.read_bytes() == handler.content
    assert handler.ranges == [("bytes=5000-", None)]

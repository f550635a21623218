"""The site's REST API over ``requests``: JSON calls, streamed downloads and uploads with progress."""

from __future__ import annotations

import glob
import hashlib
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import requests
from tqdm import tqdm

CHUNK = 1024 * 1024
TIMEOUT_S = 60
# Bytes read from the network at a time: a connection that breaks off loses at most these.
READ_CHUNK = 64 * 1024
RESUME_ATTEMPTS = 5  # tries of one download before asking to run the command again
RESUME_PAUSE_S = 2.0


class ClientError(Exception):
    """A failed call, with the server's reason when it gave one (``status``: the HTTP status)."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class BrokenOff(Exception):
    """A download whose connection ended before the whole file arrived (it can resume)."""


class Api:
    """Calls to one site; ``token`` authenticates as ``Authorization: Token <token>``."""

    def __init__(self, url: str, token: str | None = None):
        self.url = url.rstrip("/")
        self.session = requests.Session()
        self.session.headers["Accept"] = "application/json"
        if token:
            self.session.headers["Authorization"] = f"Token {token}"

    def endpoint(self, path: str) -> str:
        return (
            path
            if path.startswith(("http://", "https://"))
            else f"{self.url}/api/{path.lstrip('/')}"
        )

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        url = self.endpoint(path)
        try:
            response = self.session.request(method, url, timeout=TIMEOUT_S, **kwargs)
        except requests.ConnectionError as error:
            raise ClientError(f"Cannot reach {self.url} ({type(error).__name__}).") from None
        except requests.Timeout:
            raise ClientError(f"{self.url} did not answer within {TIMEOUT_S} s.") from None
        if response.status_code >= 400:
            raise ClientError(reason(response), response.status_code)
        return response

    def get(self, path: str, **params):
        return self.request("GET", path, params=params or None).json()

    def post(self, path: str, data: dict):
        return self.request("POST", path, data=data).json()

    def post_json(self, path: str, data: dict):
        return self.request("POST", path, json=data).json()

    def pages(self, path: str, **params) -> Iterator[dict]:
        """Every result of a paginated list, page after page."""
        page = self.get(path, **params)
        while True:
            yield from page["results"]
            if not page.get("next"):
                return
            page = self.get(page["next"])

    def download(self, url: str, target: Path, size: int, sha256: str) -> None:
        """Stream ``url`` into ``target`` with a progress bar, keeping the bytes in
        ``TARGET.<sha256 prefix>.part`` until their SHA-256 is checked.

        A download that breaks off resumes from the bytes kept: an HTTP Range request whose
        If-Range names the published checksum, so that a file changed since is sent whole. It
        resumes here up to RESUME_ATTEMPTS times, and on the next run of the command. A
        resumed file whose checksum fails (its first part was damaged) is fetched whole once
        more before giving up.
        """
        partial = target.with_name(f"{target.name}.{sha256[:16]}.part")
        for stale in target.parent.glob(f"{glob.escape(target.name)}.*.part"):
            if stale != partial:  # bytes of an older version of the file
                stale.unlink()
        attempt = 0
        while True:
            attempt += 1
            try:
                digest, resumed = self._fetch(url, partial, size, sha256, target.name)
            except BrokenOff as error:
                kept = partial.stat().st_size if partial.exists() else 0
                if attempt >= RESUME_ATTEMPTS:
                    raise ClientError(
                        f"{target.name}: the download broke off {attempt} times, the last after "
                        f"{kept} of {size} bytes ({error}); they are kept in {partial.name}: "
                        "run the same command again to resume."
                    ) from None
                tqdm.write(f"{target.name}: broke off after {kept} bytes ({error}); resuming")
                time.sleep(RESUME_PAUSE_S)
                continue
            if digest == sha256:
                break
            partial.unlink()
            if resumed and attempt < RESUME_ATTEMPTS:
                tqdm.write(
                    f"{target.name}: the resumed file fails its checksum; downloading it whole"
                )
                continue
            raise ClientError(
                f"{target.name}: the downloaded bytes have SHA-256 {digest}, "
                f"not the published {sha256}; the file was not kept. Try again."
            )
        partial.replace(target)

    def _fetch(
        self, url: str, partial: Path, size: int, sha256: str, label: str
    ) -> tuple[str, bool]:
        """Bring ``partial`` up to the whole file (``size`` bytes): ask only for the bytes it
        lacks, or for all when the server sends all. Returns the SHA-256 of its bytes and
        whether bytes kept from before were used. Raises BrokenOff when the stream breaks off."""
        have = partial.stat().st_size if partial.exists() else 0
        if have >= size:
            if have == size:
                return file_sha256(partial), True
            partial.unlink()
            have = 0
        headers = {"Range": f"bytes={have}-", "If-Range": f'"{sha256}"'} if have else {}
        try:
            response = self.request("GET", url, stream=True, headers=headers)
        except ClientError as error:
            if error.status != 416:
                raise
            partial.unlink()  # the server's file is shorter than the bytes kept: start again
            have, response = 0, self.request("GET", url, stream=True)
        if response.status_code == 206:
            if first_byte(response) != have:
                response.close()
                raise ClientError(
                    f"{url} answered Content-Range {response.headers.get('Content-Range')!r} "
                    f"to a request for bytes {have}-"
                )
            digest = sha256_state(partial)
        else:  # 200: the whole file
            have, digest = 0, hashlib.sha256()
        with (
            response,
            open(partial, "ab" if have else "wb") as out,
            tqdm(total=size, initial=have, unit="B", unit_scale=True, desc=label) as bar,
        ):
            try:
                for chunk in response.iter_content(READ_CHUNK):
                    out.write(chunk)
                    digest.update(chunk)
                    bar.update(len(chunk))
            except requests.RequestException as error:  # cut, or fewer bytes than announced
                raise BrokenOff(type(error).__name__) from error
        return digest.hexdigest(), have > 0

    def upload(self, path: str, file: Path, fields: dict[str, str]) -> requests.Response:
        """POST ``file`` as multipart field ``file`` with ``fields``, showing upload progress."""
        with (
            open(file, "rb") as stream,
            tqdm(total=file.stat().st_size, unit="B", unit_scale=True, desc=file.name) as bar,
        ):
            body = MultipartBody(stream, file.name, fields, bar.update)
            return self.request(
                "POST",
                path,
                data=body,
                headers={
                    "Content-Type": f"multipart/form-data; boundary={body.boundary}",
                    "Content-Length": str(len(body)),
                },
            )


class MultipartBody:
    """A multipart/form-data body read from an open file in chunks, never held in memory whole."""

    def __init__(self, stream, filename: str, fields: dict[str, str], progress):
        self.boundary = uuid.uuid4().hex
        self.stream, self.progress = stream, progress
        quoted = filename.replace('"', "%22").replace("\r", "").replace("\n", "")
        head = "".join(
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            for name, value in fields.items()
        )
        head += (
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="file"; filename="{quoted}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        )
        self.head = head.encode()
        self.tail = f"\r\n--{self.boundary}--\r\n".encode()
        stream.seek(0, 2)
        self.file_size = stream.tell()
        stream.seek(0)
        self.parts = [self.head, None, self.tail]

    def __len__(self) -> int:
        return len(self.head) + self.file_size + len(self.tail)

    def read(self, size: int = -1) -> bytes:
        size = CHUNK if size is None or size < 0 else size
        while self.parts:
            part = self.parts[0]
            if part is None:
                chunk = self.stream.read(size)
                if chunk:
                    self.progress(len(chunk))
                    return chunk
                self.parts.pop(0)
                continue
            self.parts.pop(0)
            if part:
                return part
        return b""


def file_sha256(path: Path) -> str:
    """SHA-256 hex digest of a file, read in chunks."""
    return sha256_state(path).hexdigest()


def sha256_state(path: Path):
    """A SHA-256 hash object fed with a file's bytes, to be fed more."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest


def first_byte(response: requests.Response) -> int | None:
    """Where a 206 answer's bytes start in the file (its Content-Range), None if it does not say."""
    match = re.fullmatch(r"bytes (\d+)-\d+/(\d+|\*)", response.headers.get("Content-Range", ""))
    return int(match.group(1)) if match else None


def reason(response: requests.Response) -> str:
    """The server's explanation of a refused call, in one readable message."""
    try:
        data = response.json()
    except ValueError:
        return f"HTTP {response.status_code} from {response.url}"
    if response.status_code == 401:
        return "The site refused the token; run `fivesigma login` again."
    if response.status_code == 429:
        wait = response.headers.get("Retry-After")
        return "Too many uploads" + (f"; try again in {wait} s." if wait else "; try again later.")
    if isinstance(data, dict) and "detail" in data:
        return str(data["detail"])
    if isinstance(data, dict):
        return "; ".join(
            f"{key}: {' '.join(map(str, v)) if isinstance(v, list) else v}"
            for key, v in data.items()
        )
    return str(data)

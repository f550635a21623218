"""The site's REST API over ``requests``: JSON calls, streamed downloads and uploads with progress."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import requests
from tqdm import tqdm

CHUNK = 1024 * 1024
TIMEOUT_S = 60


class ClientError(Exception):
    """A failed call, with the server's reason when it gave one (``status``: the HTTP status)."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


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
        """Stream ``url`` into ``target`` with a progress bar; check the SHA-256 before keeping it."""
        partial = target.with_name(target.name + ".part")
        digest = hashlib.sha256()
        response = self.request("GET", url, stream=True)
        with (
            response,
            open(partial, "wb") as out,
            tqdm(total=size, unit="B", unit_scale=True, desc=target.name, leave=True) as bar,
        ):
            for chunk in response.iter_content(CHUNK):
                out.write(chunk)
                digest.update(chunk)
                bar.update(len(chunk))
        if digest.hexdigest() != sha256:
            partial.unlink()
            raise ClientError(
                f"{target.name}: the downloaded bytes have SHA-256 {digest.hexdigest()}, "
                f"not the published {sha256}; the file was not kept. Try again."
            )
        partial.replace(target)

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
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


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

"""Files through Django's storage API: checksums on the way in, streams on the way out.

Local disk by default, any S3-compatible store in production (``FIVESIGMA_STORAGE=s3``).
Nothing here assumes that two processes share a disk: the web process streams any byte
range of a stored file straight from the store (``StoredFile``), and a worker that needs a
real path (the sandbox mounts input data; pandas reads solutions) gets one from
``local_path``: the file itself on local storage, a checksum-verified copy in a cache under
the worker's own data directory otherwise.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage

CHUNK = 1024 * 1024


class StoredFileCorrupt(Exception):
    """A stored file whose bytes do not have the checksum recorded when it was stored."""


def sha256_of(stream: BinaryIO) -> tuple[str, int]:
    """SHA-256 hex digest and size in bytes of a stream, read in chunks, rewound after."""
    digest = hashlib.sha256()
    size = 0
    stream.seek(0)
    while chunk := stream.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    stream.seek(0)
    return digest.hexdigest(), size


def store(stream: BinaryIO, name: str) -> tuple[str, str, int]:
    """Save ``stream`` under storage path ``name``; return (stored name, sha256, size)."""
    sha, size = sha256_of(stream)
    stored = default_storage.save(name, File(stream, name=Path(name).name))
    return stored, sha, size


class StoredFile:
    """A stored file opened for reading one byte range, on any storage.

    ``size`` is the whole file's, in bytes. Iterating yields the bytes from ``start`` to
    ``stop`` (all of them unless ``select`` narrowed it), at most CHUNK bytes at a time; on S3
    that is one ranged GET streamed as it arrives, never the whole object copied to a local
    disk first (as django-storages' own file object does when read). ``close`` releases the
    file: a streaming response calls it when the client is done or gone.
    """

    def __init__(self, field_file):
        self.name = field_file.name
        self._handle = field_file.storage.open(field_file.name, "rb")  # S3: one HEAD, no body
        self.size = self._handle.size
        self.start, self.stop = 0, self.size

    def select(self, start: int, stop: int) -> None:
        """Read bytes ``start`` to ``stop - 1`` only (0 <= start <= stop <= size)."""
        if not 0 <= start <= stop <= self.size:
            raise ValueError(f"{self.name}: bytes {start}-{stop} are not within 0-{self.size}")
        self.start, self.stop = start, stop

    def __iter__(self) -> Iterator[bytes]:
        if self.stop == self.start:
            return
        remote = getattr(self._handle, "obj", None)  # S3: the object, read by byte range
        if remote is not None:
            body = remote.get(Range=f"bytes={self.start}-{self.stop - 1}")["Body"]
            try:
                yield from body.iter_chunks(CHUNK)
            finally:
                body.close()
            return
        self._handle.seek(self.start)
        left = self.stop - self.start
        while left > 0 and (chunk := self._handle.read(min(CHUNK, left))):
            left -= len(chunk)
            yield chunk

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> StoredFile:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def local_path(field_file, sha256: str = "") -> Path:
    """A path on this machine holding the stored file's bytes.

    On local storage, the stored file itself. On remote storage, a copy under
    ``DATA_DIR/cache/<sha256>/``, fetched once, checked against ``sha256`` when given (a
    mismatch raises StoredFileCorrupt and keeps nothing) and readable by every user (the
    sandbox reads inputs as an unprivileged one). Processes fetching the same file at once
    each write a file of their own and the last rename wins, with the same bytes.
    """
    try:
        return Path(field_file.path)
    except NotImplementedError:
        pass
    key = sha256 or hashlib.sha256(field_file.name.encode()).hexdigest()
    target = Path(settings.DATA_DIR) / "cache" / key / Path(field_file.name).name
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".part")
    try:
        digest = hashlib.sha256()
        with os.fdopen(handle, "wb") as out, StoredFile(field_file) as stored:
            for chunk in stored:
                out.write(chunk)
                digest.update(chunk)
        if sha256 and digest.hexdigest() != sha256:
            raise StoredFileCorrupt(
                f"{field_file.name}: the stored bytes have SHA-256 {digest.hexdigest()}, "
                f"not the {sha256} recorded when the file was stored"
            )
        os.chmod(partial, 0o644)
        os.replace(partial, target)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return target


def place(source: Path, target: Path) -> None:
    """Put ``source``'s bytes at ``target`` at once: a hard link (no second copy of a large
    file), else a copy renamed into place, so that no reader ever sees a half-written file.
    A target that exists already is left as it is."""
    if target.exists():
        return
    try:
        os.link(source, target)
        return
    except FileExistsError:
        return  # another process placed it first
    except OSError:
        pass  # another file system: copy
    handle, partial = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out, open(source, "rb") as src:
            shutil.copyfileobj(src, out, CHUNK)
        os.chmod(partial, 0o644)
        os.replace(partial, target)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise

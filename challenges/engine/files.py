"""Files through Django's storage API: checksums on the way in, streams on the way out.

Local disk by default, any S3-compatible store in production. Workers that need a real path
(the sandbox mounts input data; pandas reads solutions) get one from ``local_path``, which
returns the file itself on local storage and a checksum-keyed cached copy otherwise.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage

CHUNK = 1024 * 1024


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


def local_path(field_file, sha256: str = "") -> Path:
    """A path on this machine holding the stored file's bytes."""
    try:
        return Path(field_file.path)
    except NotImplementedError:  # remote storage: keep a copy keyed by checksum
        cache = (
            Path(settings.DATA_DIR)
            / "cache"
            / (sha256 or hashlib.sha256(field_file.name.encode()).hexdigest())
        )
        target = cache / Path(field_file.name).name
        if not target.exists():
            cache.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(target.suffix + ".part")
            with field_file.open("rb") as src, open(partial, "wb") as dst:
                shutil.copyfileobj(src, dst, CHUNK)
            partial.rename(target)
        return target

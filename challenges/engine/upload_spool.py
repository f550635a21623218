"""Uploads spooled to disk while they arrive: Django writes an upload larger than
``FILE_UPLOAD_MAX_MEMORY_SIZE`` to ``FILE_UPLOAD_TEMP_DIR`` (``<data dir>/tmp/uploads``) and
deletes it when the request ends; a bundle being loaded is unpacked in a scratch folder
there too (``scratch_folder``). A web process killed in the middle leaves its file or folder
behind (tens to hundreds of MB); ``sweep`` deletes those, at the web service's start
(``manage.py sweep_upload_spool``) and every 10 minutes from Celery beat.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from pathlib import Path

from django.conf import settings

log = logging.getLogger(__name__)
SCRATCH_PREFIX = "fivesigma-bundle-"


def scratch_folder() -> tempfile.TemporaryDirectory:
    """A temporary folder in the spool for unpacking a bundle, removed when closed (and by
    ``sweep`` when its process was killed first)."""
    spool = Path(settings.FILE_UPLOAD_TEMP_DIR)
    spool.mkdir(parents=True, exist_ok=True)
    return tempfile.TemporaryDirectory(prefix=SCRATCH_PREFIX, dir=spool)


def sweep(max_age_s: float | None = None) -> dict[str, int]:
    """Delete the spooled files and bundle scratch folders untouched for ``max_age_s`` seconds
    (default ``FIVESIGMA_UPLOAD_SPOOL_MAX_AGE_S``, longer than any request may last: an
    upload being received is written to all the time). Returns how many files and folders
    and how many bytes went."""
    max_age_s = settings.FIVESIGMA_UPLOAD_SPOOL_MAX_AGE_S if max_age_s is None else max_age_s
    spool = Path(settings.FILE_UPLOAD_TEMP_DIR)
    removed = {"files": 0, "bytes": 0}
    if not spool.is_dir():
        return removed
    cutoff = time.time() - max_age_s
    for entry in spool.iterdir():
        try:
            status = entry.lstat()
            if entry.is_symlink() or status.st_mtime > cutoff:
                continue
            if entry.is_dir() and entry.name.startswith(SCRATCH_PREFIX):
                size = sum(f.lstat().st_size for f in entry.rglob("*") if f.is_file())
                shutil.rmtree(entry)
            elif entry.is_file():
                size = status.st_size
                entry.unlink()
            else:
                continue
        except FileNotFoundError:  # its request ended meanwhile
            continue
        removed["files"] += 1
        removed["bytes"] += size
    if removed["files"]:
        log.warning(
            "removed %d abandoned upload file(s) or bundle folder(s), %d bytes, from %s",
            removed["files"],
            removed["bytes"],
            spool,
        )
    return removed

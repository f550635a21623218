"""Uploads spooled to disk while they arrive: Django writes an upload larger than
``FILE_UPLOAD_MAX_MEMORY_SIZE`` to ``FILE_UPLOAD_TEMP_DIR`` (``<data dir>/tmp/uploads``) and
deletes it when the request ends. A web process killed in the middle leaves its file
behind (tens to hundreds of MB); ``sweep`` deletes those, at the web service's start
(``manage.py sweep_upload_spool``) and every 10 minutes from Celery beat.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from django.conf import settings

log = logging.getLogger(__name__)


def sweep(max_age_s: float | None = None) -> dict[str, int]:
    """Delete the spooled files untouched for ``max_age_s`` seconds (default
    ``FIVESIGMA_UPLOAD_SPOOL_MAX_AGE_S``, longer than any request may last: an upload being
    received is written to all the time). Returns how many files and bytes went."""
    max_age_s = settings.FIVESIGMA_UPLOAD_SPOOL_MAX_AGE_S if max_age_s is None else max_age_s
    spool = Path(settings.FILE_UPLOAD_TEMP_DIR)
    removed = {"files": 0, "bytes": 0}
    if not spool.is_dir():
        return removed
    cutoff = time.time() - max_age_s
    for entry in spool.iterdir():
        try:
            status = entry.lstat()
            if not entry.is_file() or entry.is_symlink() or status.st_mtime > cutoff:
                continue
            entry.unlink()
        except FileNotFoundError:  # its request ended meanwhile
            continue
        removed["files"] += 1
        removed["bytes"] += status.st_size
    if removed["files"]:
        log.warning(
            "removed %d abandoned upload file(s), %d bytes, from %s",
            removed["files"],
            removed["bytes"],
            spool,
        )
    return removed

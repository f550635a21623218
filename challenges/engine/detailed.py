"""The detailed results a scoring program leaves beside its scores, kept in storage.

Every file the program wrote to its output folder other than ``scores.json`` / ``scores.txt``
(an HTML page, images, ``charts.json``) is stored under ``detailed/<submission uid>/<name>``
and listed in ``run_report["program"]["detailed"]``; the submission page shows them from
there (through ``storage_name``). Only regular files are kept (never a link, which could point
at the worker's own files), named with letters, digits and ``. _ - /`` (no ``..``), at most
MAX_FILES of them and MAX_BYTES in all; what is skipped is said in ``notes``.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from django.core.files.storage import default_storage

from fivesigma.challenges.engine import stored_files
from fivesigma.challenges.models import Submission

MAX_FILES = 50
MAX_BYTES = 20 * 1024 * 1024
SCORES_FILES = ("scores.json", "scores.txt")
SAFE_NAME = re.compile(r"^[A-Za-z0-9._/-]{1,200}$")


def storage_name(submission: Submission, name: str) -> str:
    """Where the detailed result ``name`` of ``submission`` is kept in storage."""
    return f"detailed/{submission.uid}/{name}"


def store(submission: Submission, output_dir: Path, notes: list[str] | None = None) -> list[str]:
    """Store the detailed results in ``output_dir`` (replacing the submission's earlier
    ones); their names, sorted. What is skipped, and why, is appended to ``notes``."""
    notes = notes if notes is not None else []
    remove(submission)
    kept: list[str] = []
    total = 0
    for name, path, info in _regular_files(Path(output_dir), notes):
        if name in SCORES_FILES:
            continue
        if not SAFE_NAME.match(name) or ".." in name.split("/"):
            notes.append(
                f"detailed results: '{name[:100]}' skipped (letters, digits, . _ - / only)"
            )
        elif len(kept) >= MAX_FILES:
            notes.append(f"detailed results: '{name}' skipped (at most {MAX_FILES} files)")
        elif total + info.st_size > MAX_BYTES:
            notes.append(
                f"detailed results: '{name}' skipped (at most {MAX_BYTES // 2**20} MB in all)"
            )
        else:
            target = storage_name(submission, name)
            default_storage.delete(target)  # left by a scoring that did not finish
            with open(path, "rb") as stream:
                stored_files.store(stream, target)
            kept.append(name)
            total += info.st_size
    return kept


def remove(submission: Submission) -> None:
    """Delete the detailed results stored for ``submission`` by an earlier scoring."""
    earlier = (submission.run_report or {}).get("program", {}).get("detailed", [])
    for name in earlier:
        default_storage.delete(storage_name(submission, name))


def _regular_files(root: Path, notes: list[str]):
    """(name relative to root, path, lstat) of every regular file below root, sorted by
    name; links and special files are noted and skipped, never followed."""
    found = []
    for directory, folders, names in os.walk(root):
        folders.sort()
        for name in sorted(names) + [f for f in folders if Path(directory, f).is_symlink()]:
            path = Path(directory, name)
            info = path.lstat()
            relative = path.relative_to(root).as_posix()
            if stat.S_ISREG(info.st_mode):
                found.append((relative, path, info))
            else:
                notes.append(f"detailed results: '{relative[:100]}' skipped (not a regular file)")
    return sorted(found, key=lambda entry: entry[0])

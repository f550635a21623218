"""Checks that need the bundle's files: a path names a file (or folder) inside the bundle, a
page is UTF-8 text, a solution is readable by its metric and splits as declared, a program
folder says how it runs.

The schema's validators call these with the bundle's ``Context`` (given to pydantic as the
validation context); each failure raises a ``PydanticCustomError`` of type ``bundle`` whose
message is the problem, so it is listed with its field like any other.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import nh3
from pydantic_core import PydanticCustomError

from fivesigma.challenges.engine.bundles.reading import unpack_archive

MAX_FILES = 10_000  # in one folder of data, each stored as a file of the phase
MAX_NAME_CHARS = 300  # of a stored file's path (DataFile.name)


@dataclass
class Context:
    """What the checks of one bundle share: its folder, a scratch folder for the zips it holds
    (programs, data), and the bytes those may still unpack to."""

    root: Path
    scratch: Path | None = None
    bytes_left: int = 0
    unpacked: dict[Path, Path] = field(default_factory=dict)
    written_as: dict[Path, str] = field(
        default_factory=dict
    )  # a checked folder: its path in the bundle

    def name(self, folder: Path) -> str:
        """How the bundle writes ``folder`` (which may have been unpacked from a zip)."""
        return self.written_as.get(folder, folder.name)

    def __post_init__(self):
        self.root = self.root.resolve()


def fail(message: str, at: str | None = None) -> NoReturn:
    """Report ``message`` for the field being checked (or for its part ``at``)."""
    context = {"message": message}
    if at is not None:
        context["at"] = at
    raise PydanticCustomError("bundle", "{message}", context)


def inside(rel, context: Context | None, kind: str = "file") -> Path:
    """The bundle's ``rel`` as a resolved path: a file (``kind='file'``), a folder
    (``'folder'``), or either (``'any'``). Without a context (the field reference) the path
    is returned as written."""
    if not isinstance(rel, str) or not rel.strip():
        fail("needs a path inside the bundle")
    if context is None:
        return Path(rel)
    path = (context.root / rel).resolve()
    if not path.is_relative_to(context.root):
        fail(f"'{rel}' points outside the bundle")
    if kind == "folder" and not path.is_dir():
        fail(f"directory '{rel}' does not exist in the bundle")
    if kind == "file" and not path.is_file():
        fail(f"file '{rel}' does not exist in the bundle")
    if kind == "any" and not path.exists():
        fail(f"'{rel}' does not exist in the bundle")
    return path


def folder_or_zip(rel, context: Context | None) -> Path:
    """A folder of the bundle, or a zip unpacked into the scratch folder (once), as Codabench
    unpacks it: the zip's top is the folder's."""
    path = inside(rel, context, "any")
    if context is None:
        return path
    if path.is_dir():
        context.written_as[path] = rel
        return path
    if path not in context.unpacked:
        if context.scratch is None:
            fail(f"'{rel}' is a file; a folder (or a .zip of one) is needed here")
        target = context.scratch / f"unpacked-{len(context.unpacked)}"
        from fivesigma.challenges.engine.bundles.problems import BundleError

        try:
            context.bytes_left -= unpack_archive(path, target, context.bytes_left, rel)
        except BundleError as error:
            fail("; ".join(error.problems))
        context.unpacked[path] = target
        context.written_as[context.unpacked[path]] = rel
    return context.unpacked[path]


def files_under(folder: Path, rel: str) -> list[tuple[Path, str]]:
    """Every file below ``folder`` with its name relative to it (``public/truth.csv``), in
    order; a link, or a folder with no file, is refused."""
    found = []
    for directory, folders, names in os.walk(folder):
        here = Path(directory)
        for name in sorted(folders + names):
            if (here / name).is_symlink():
                fail(
                    f"'{rel}' holds a link ({(here / name).relative_to(folder)}); links are not allowed"
                )
        folders.sort()
        found += [(here / n, (here / n).relative_to(folder).as_posix()) for n in sorted(names)]
    found = [(p, name) for p, name in found if not _is_clutter(name)]
    if not found:
        fail(f"directory '{rel}' is empty")
    if len(found) > MAX_FILES:
        fail(f"'{rel}' holds {len(found)} files; at most {MAX_FILES} (zip them)")
    for _, name in found:
        if len(name) > MAX_NAME_CHARS:
            fail(f"'{rel}' holds a file whose path is longer than {MAX_NAME_CHARS} characters")
    return found


def _is_clutter(name: str) -> bool:
    """Files an archiver adds that are no part of the data (macOS resource forks, .DS_Store)."""
    parts = name.split("/")
    return parts[0] == "__MACOSX" or parts[-1] in (".DS_Store", "Thumbs.db")


def page(path: Path, rel: str) -> str:
    """A page's text: Markdown as written, HTML sanitised (no script, no event handler)."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        fail(f"'{rel}' is not UTF-8 text ({error.reason} at byte {error.start})")
    if path.suffix.lower() in (".html", ".htm"):
        text = nh3.clean(text)
    return text


def solution(metric, path: Path, split: dict) -> None:
    """The solution is readable by the metric and splits into public and private as declared."""
    from fivesigma.challenges.engine.solutions import with_usage
    from fivesigma.scoring.validation import SubmissionError

    try:
        with_usage(metric.read_solution(path), split)
    except (SubmissionError, ValueError, KeyError, TypeError) as error:
        fail(f"{path.name}: {error}", at="solution")

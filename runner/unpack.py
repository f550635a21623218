"""Safe unpacking of a code submission zip.

Every member is checked before anything is written: no absolute paths, no ``..``
components, no symbolic links or special files, at most ``max_files`` members and at most
``max_bytes`` once unpacked. The byte count is enforced again while writing, since the sizes
declared in a zip header can lie (zip bombs).
"""

from __future__ import annotations

import lzma
import stat
import struct
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from fivesigma.runner.limits import MB

ENTRY_POINT = "submission.py"
CHUNK_BYTES = 1 << 20
NAME_MAX = 255  # bytes of one path component (Linux NAME_MAX)
PATH_MAX = 1024  # bytes of a member's path, leaving room under PATH_MAX for the destination
# What Python's zipfile raises on a damaged archive besides BadZipFile: offsets past the end
# (OSError, ValueError), an unknown version or method (NotImplementedError), an encrypted
# member (RuntimeError), a damaged stream (zlib, lzma, EOFError), a short header (struct),
# a name that is not the UTF-8 it claims (UnicodeDecodeError, a ValueError).
DAMAGED_ZIP = (
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
    struct.error,
    EOFError,
    OSError,
    ValueError,
    NotImplementedError,
    RuntimeError,
)


class SubmissionRejected(Exception):
    """The zip cannot be run; the message is written for the participant."""


def unpack_submission(zip_path: Path, destination: Path, *, max_files: int, max_bytes: int) -> Path:
    """Unpack ``zip_path`` into the new directory ``destination``; return the model directory.

    The model directory is the one holding ``submission.py``: the zip's root, or its single
    top-level folder when the participant zipped a folder. Raises SubmissionRejected.
    """
    unpack_zip(zip_path, destination, max_files=max_files, max_bytes=max_bytes)
    return _model_dir(destination)


def unpack_zip(zip_path: Path, destination: Path, *, max_files: int, max_bytes: int) -> Path:
    """Unpack ``zip_path`` as it is into the new directory ``destination`` (every folder
    and file readable by the sandbox's user); return ``destination``. Raises SubmissionRejected."""
    try:
        archive = zipfile.ZipFile(zip_path)
    except DAMAGED_ZIP as exc:
        raise SubmissionRejected(f"the submission is not a readable zip archive ({exc})") from None
    with archive:
        members = [(info, member_parts(info)) for info in archive.infolist()]
        if len(members) > max_files:
            raise SubmissionRejected(
                f"the zip holds {len(members)} entries, more than the {max_files} allowed"
            )
        declared = sum(info.file_size for info, _ in members)
        if declared > max_bytes:
            raise SubmissionRejected(
                f"the zip unpacks to {declared / MB:.1f} MB, more than the {max_bytes / MB:.0f} MB allowed"
            )
        destination.mkdir(mode=0o755)
        destination.chmod(0o755)  # readable by the unprivileged sandbox user, whatever the umask
        written = 0
        for info, parts in members:
            written = extract_member(
                archive, info, destination.joinpath(*parts), written, max_bytes
            )
    return destination


def member_parts(info: zipfile.ZipInfo) -> tuple[str, ...]:
    """The path components of a member, refusing anything that could leave the destination."""
    name = info.filename
    kind = stat.S_IFMT(info.external_attr >> 16)
    if kind == stat.S_IFLNK:
        raise SubmissionRejected(
            f"the zip entry {name!r} is a symbolic link; links are not allowed"
        )
    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        raise SubmissionRejected(f"the zip entry {name!r} is not a regular file or folder")
    if "\0" in name:
        raise SubmissionRejected(f"the zip entry {name!r} has a NUL character in its name")
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or (path.parts and path.parts[0].endswith(":")):
        raise SubmissionRejected(f"the zip entry {name!r} has an absolute path")
    if ".." in path.parts:
        raise SubmissionRejected(f"the zip entry {name!r} points outside the archive (..)")
    parts = tuple(p for p in path.parts if p not in ("", "."))
    if not parts:
        raise SubmissionRejected(f"the zip entry {name!r} has an empty path")
    if len("/".join(parts).encode()) > PATH_MAX or any(len(p.encode()) > NAME_MAX for p in parts):
        shown = name if len(name) <= 80 else name[:80] + "..."
        raise SubmissionRejected(
            f"the zip entry {shown!r} has a name longer than the file system allows "
            f"({NAME_MAX} bytes a folder or file, {PATH_MAX} in all)"
        )
    return parts


def extract_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, written: int, max_bytes: int
) -> int:
    """Write one member under its checked path; return the running total of bytes written."""
    try:
        if info.is_dir():
            target.mkdir(mode=0o755, parents=True, exist_ok=True)
            return written
        target.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
        with open(target, "xb") as sink:
            for chunk in _chunks(archive, info):
                written += len(chunk)
                if written > max_bytes:
                    raise SubmissionRejected(
                        f"the zip unpacks to more than the {max_bytes / MB:.0f} MB allowed "
                        "(its entries declare smaller sizes than they hold)"
                    )
                sink.write(chunk)
        executable = (info.external_attr >> 16) & 0o111
        target.chmod(0o755 if executable else 0o644)
    except FileExistsError:
        raise SubmissionRejected(
            f"the zip holds {info.filename!r} twice, or as both a file and a folder"
        ) from None
    except NotADirectoryError:
        raise SubmissionRejected(
            f"the zip entry {info.filename!r} is inside something that is a file"
        ) from None
    return written


def _chunks(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """The member's bytes; a damaged member is refused (errors writing them are not caught
    here: a full disk is the platform's fault, not the zip's)."""
    try:
        with archive.open(info) as source:
            while chunk := source.read(CHUNK_BYTES):
                yield chunk
    except DAMAGED_ZIP as exc:
        raise SubmissionRejected(
            f"the zip entry {info.filename!r} cannot be read ({exc})"
        ) from None


def _model_dir(root: Path) -> Path:
    if (root / ENTRY_POINT).is_file():
        return root
    entries = list(root.iterdir())
    if len(entries) == 1 and (entries[0] / ENTRY_POINT).is_file():
        return entries[0]
    raise SubmissionRejected(f"the zip has no {ENTRY_POINT} at its root")

"""How a fuzzer's bytes become a file, and back (the seed corpus is written with the encoders).

The first byte of an input chooses how the rest is used, so that mutations of the bytes reach
the CSV parser through a valid gzip or zip wrapper as well as through damaged ones:

* submissions (``submission_file``): bits 0-1 wrap the rest as it is, in gzip, in a zip, or in
  a zip under a folder with a second, hidden member; bit 2 hands it over as a stream that cannot
  seek (as a streamed upload);
* zips (``zip_archive``): bit 0 clear, the rest is the archive byte for byte; set, the rest is a
  list of entries (``encode_entries``) built into a valid archive, so that names, kinds and
  contents are mutated without breaking the zip structure.
"""

from __future__ import annotations

import gzip
import io
import stat
import warnings
import zipfile
from dataclasses import dataclass

CONTAINERS = ("plain", "gzip", "zip", "zip in a folder")
UNSEEKABLE = 4
ENTRIES = 1
KINDS = ("file", "folder", "link", "fifo")
DEFLATED = 4
EXECUTABLE = 8
MODES = {
    "file": stat.S_IFREG | 0o644,
    "folder": stat.S_IFDIR | 0o755,
    "link": stat.S_IFLNK | 0o777,
    "fifo": stat.S_IFIFO | 0o644,
}


class Unseekable(io.RawIOBase):
    """A read-only stream without seek or tell, as an upload streamed from the network."""

    def __init__(self, data: bytes):
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def zipped(members: dict[str, bytes]) -> bytes:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for name, content in members.items():
            out.writestr(name, content)
    return archive.getvalue()


def submission_file(data: bytes) -> tuple[io.IOBase, str]:
    """The stream and file name a submission reader is given for the fuzzer's ``data``."""
    flags, payload = (data[0], data[1:]) if data else (0, b"")
    container = CONTAINERS[flags & 3]
    if container == "gzip":
        payload, name = gzip.compress(payload, mtime=0), "submission.csv.gz"
    elif container == "zip":
        payload, name = zipped({"submission.csv": payload}), "submission.zip"
    elif container == "zip in a folder":
        members = {"results/submission.csv": payload, "__MACOSX/._submission.csv": b"\0"}
        payload, name = zipped(members), "submission.zip"
    else:
        name = "submission.csv"
    stream = Unseekable(payload) if flags & UNSEEKABLE else io.BytesIO(payload)
    return stream, name


def encode_submission(content: bytes, container: str = "plain", seekable: bool = True) -> bytes:
    """The fuzzer input that ``submission_file`` turns into ``content`` in ``container``."""
    flags = CONTAINERS.index(container) | (0 if seekable else UNSEEKABLE)
    return bytes([flags]) + content


@dataclass(frozen=True)
class Entry:
    """One zip member: its name, kind (file, folder, link, fifo), bytes (a link's target)."""

    name: str
    content: bytes = b""
    kind: str = "file"
    deflated: bool = True
    executable: bool = False


def encode_entries(entries: list[Entry]) -> bytes:
    """Each entry as: flags (kind, deflated, executable), name length, name (UTF-8), content
    length (2 bytes, big-endian), content."""
    out = bytearray([ENTRIES])
    for entry in entries:
        name = entry.name.encode()[:255]
        flags = KINDS.index(entry.kind) | (DEFLATED * entry.deflated)
        out += bytes([flags | (EXECUTABLE * entry.executable), len(name)]) + name
        out += len(entry.content[:65535]).to_bytes(2, "big") + entry.content[:65535]
    return bytes(out)


def decode_entries(payload: bytes) -> list[Entry]:
    """The entries ``encode_entries`` wrote; a record cut short ends the list."""
    entries, at = [], 0
    while at + 2 <= len(payload):
        flags, name_length = payload[at], payload[at + 1]
        name = payload[at + 2 : at + 2 + name_length].decode("utf-8", "replace")
        at += 2 + name_length
        size = int.from_bytes(payload[at : at + 2], "big")
        content = payload[at + 2 : at + 2 + size]
        at += 2 + size
        entries.append(
            Entry(name, content, KINDS[flags & 3], bool(flags & DEFLATED), bool(flags & EXECUTABLE))
        )
    return entries


def build_zip(entries: list[Entry]) -> bytes:
    """A well-formed archive of ``entries`` (duplicate names kept, as a hand-made zip may have)."""
    archive = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(archive, "w") as out:
        warnings.simplefilter("ignore")  # "Duplicate name": wanted here
        for entry in entries:
            name = entry.name + ("/" if entry.kind == "folder" and entry.name[-1:] != "/" else "")
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            mode = MODES[entry.kind] | (0o111 if entry.executable else 0)
            info.external_attr = mode << 16
            info.compress_type = zipfile.ZIP_DEFLATED if entry.deflated else zipfile.ZIP_STORED
            out.writestr(info, entry.content)
    return archive.getvalue()


def zip_archive(data: bytes) -> bytes:
    """The zip file's bytes for the fuzzer's ``data``."""
    if data and data[0] & ENTRIES:
        return build_zip(decode_entries(data[1:]))
    return data[1:]


def encode_raw_zip(archive: bytes) -> bytes:
    """The fuzzer input that ``zip_archive`` turns into ``archive`` unchanged."""
    return b"\0" + archive

"""Reading a CSV table from a path or an upload: plain, gzip or a zip holding one CSV.

The compression is recognised from the magic bytes (the name suffix is only a fallback for
empty files) and decompressed bytes are capped so that a small archive cannot expand into an
unbounded one (a decompression bomb). A compressed file is first decompressed as a stream
and counted, keeping nothing, and parsed only if it stays under the cap: a bomb is refused
in constant memory (a 2 GiB gzip bomb took 2.2 GB of memory when pandas parsed it up to the
cap), at the cost of decompressing a valid file twice.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import re
import shutil
import tempfile
import zipfile
from collections import Counter
from pathlib import Path
from typing import BinaryIO, Protocol

import pandas as pd

from fivesigma.runner.unpack import DAMAGED_ZIP
from fivesigma.scoring.validation import SubmissionError, examples

DEFAULT_MAX_BYTES = 1024**3  # decompressed; a metric option (max_bytes) may raise it
MAX_HEADER_BYTES = 64 * 1024
# The first CSV record: cells outside quotes, and quoted cells (which may hold line ends and
# doubled quotes), up to the first line end outside quotes.
HEADER_RECORD = re.compile(rb'[^"\r\n]*(?:"[^"]*"[^"\r\n]*)*')
GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"


class ByteReader(Protocol):
    """What is read from a (decompressed) stream: a plain file, a gzip stream, a zip member."""

    def read(self, size: int = -1, /) -> bytes: ...


class _Capped(io.RawIOBase):
    """A read-only stream that fails with a clear message after ``limit`` bytes."""

    def __init__(self, stream: ByteReader, limit: int, name: str):
        self._stream = stream
        self._left = limit
        self._limit = limit
        self._name = name

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = _read(self._stream, min(len(buffer), self._left + 1), self._name)
        if len(data) > self._left:
            raise _too_large(self._limit, self._name)
        self._left -= len(data)
        buffer[: len(data)] = data
        return len(data)


def _read(stream: ByteReader, size: int, name: str) -> bytes:
    try:
        return stream.read(size)
    except DAMAGED_ZIP as error:  # gzip's damage too (BadGzipFile, zlib, EOFError)
        raise SubmissionError(
            [f"the file is damaged and cannot be decompressed ({error})"], name
        ) from None


def _too_large(limit: int, name: str) -> SubmissionError:
    return SubmissionError(
        [
            f"the file holds more than {limit / 1024**3:.3g} GiB of data once decompressed, the largest accepted"
        ],
        name,
    )


def read_csv(
    source, name: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES, **pandas_options
) -> pd.DataFrame:
    """Read one CSV table from ``source`` (a path or a binary file-like object).

    Accepts plain CSV, gzip-compressed CSV and a zip archive holding exactly one ``.csv``.
    Raises :class:`SubmissionError` naming the file when it is empty, damaged, not a CSV
    table, or larger than ``max_bytes`` once decompressed.
    """
    name = name or (
        Path(source).name
        if isinstance(source, str | os.PathLike)
        else getattr(source, "name", None) or "submission"
    )
    name = Path(str(name)).name
    with _open(source) as raw:
        raw = _rewindable(raw)
        start = raw.tell()
        with _decompressed(raw, name) as stream:
            if stream is not raw:
                _count(stream, max_bytes, name)
        raw.seek(start)
        with _decompressed(raw, name) as stream:
            capped = io.BufferedReader(_Capped(stream, max_bytes, name), 1 << 20)
            head = capped.read(MAX_HEADER_BYTES + 1)
            _check_header(head, name)
            text = io.TextIOWrapper(
                io.BufferedReader(_Prefixed(head, capped), 1 << 20),
                encoding="utf-8-sig",
                errors="strict",
            )
            try:
                return pd.read_csv(text, skipinitialspace=False, **pandas_options)
            except SubmissionError:
                raise
            except pd.errors.EmptyDataError:
                raise SubmissionError(
                    ["the file is empty; it must start with a header line"], name
                ) from None
            except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as error:
                raise SubmissionError(
                    [f"the file is not a readable CSV table: {_first_line(error)}"], name
                ) from None


def _count(stream: ByteReader, max_bytes: int, name: str) -> None:
    """Read ``stream`` to its end, keeping nothing; SubmissionError past ``max_bytes``."""
    total = 0
    while chunk := _read(stream, 1 << 20, name):
        total += len(chunk)
        if total > max_bytes:
            raise _too_large(max_bytes, name)


def _rewindable(raw: BinaryIO) -> BinaryIO:
    """``raw``, or a temporary copy of it when it cannot seek (it is read twice)."""
    if hasattr(raw, "seekable") and raw.seekable():
        return raw
    spool = tempfile.TemporaryFile()
    shutil.copyfileobj(raw, spool)
    spool.seek(0)
    return spool


def _check_header(head: bytes, name: str) -> None:
    """Refuse a header record (``head`` starts the file; quoted names may span lines) longer
    than MAX_HEADER_BYTES or naming a column twice. pandas renames repeated names in time
    quadratic in their number (30,000 copies of one name take 13 s of CPU), so they are
    refused before it sees them."""
    record = HEADER_RECORD.match(head)
    assert record is not None  # the pattern matches any start, the empty one included
    end = record.end()
    if len(head) > MAX_HEADER_BYTES and head[end : end + 1] not in (b"\r", b"\n"):
        raise SubmissionError(
            [
                f"the header line is longer than {MAX_HEADER_BYTES // 1024} KiB; it holds the column names only"
            ],
            name,
        )
    try:
        header = head[:end].decode("utf-8-sig")
    except UnicodeDecodeError:
        return  # pandas refuses a file that is not UTF-8 before it reads a name
    try:
        names = next(csv.reader(io.StringIO(header, newline="")), [])
    except csv.Error as error:
        raise SubmissionError([f"the header line is not readable CSV ({error})"], name) from None
    repeated = [n for n, count in Counter(names).items() if count > 1 and n != ""]
    if repeated:
        raise SubmissionError(
            [f"the header names column(s) {examples(repeated)} more than once"], name
        )


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


class _open:
    """Context manager giving a seekable-or-not binary stream for a path or a file-like object."""

    def __init__(self, source):
        self._source = source
        self._owned = None

    def __enter__(self) -> BinaryIO:
        if isinstance(self._source, str | os.PathLike):
            self._owned = open(self._source, "rb")  # noqa: SIM115 - closed in __exit__
            return self._owned
        if hasattr(self._source, "seek") and getattr(self._source, "seekable", lambda: True)():
            self._source.seek(0)
        return self._source

    def __exit__(self, *exc) -> None:
        if self._owned is not None:
            self._owned.close()


class _Prefixed(io.RawIOBase):
    """``prefix`` followed by the rest of ``stream``: lets a non-seekable upload be peeked at."""

    def __init__(self, prefix: bytes, stream: BinaryIO):
        self._prefix = prefix
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._prefix:
            n = min(len(buffer), len(self._prefix))
            buffer[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _peek(raw: BinaryIO, size: int) -> tuple[bytes, BinaryIO]:
    """The first ``size`` bytes of ``raw`` and a stream that still starts at the beginning."""
    if hasattr(raw, "seekable") and raw.seekable():
        start = raw.tell()
        head = raw.read(size)
        raw.seek(start)
        return head, raw
    head = raw.read(size)
    return head, io.BufferedReader(_Prefixed(head, raw))


def _shown(head: bytes) -> str:
    """A file's first bytes for a message: as text when they are plain text, else in hex."""
    if head.isascii() and all(c.isprintable() or c in "\r\n\t" for c in head.decode("ascii")):
        return repr(head.decode("ascii"))
    return head.hex(" ")


class _decompressed:
    """Context manager: the decompressed byte stream of ``raw`` (gzip, zip or plain)."""

    def __init__(self, raw: BinaryIO, name: str):
        self._raw = raw
        self._name = name
        self._closers: list = []

    def __enter__(self) -> ByteReader:
        head, raw = _peek(self._raw, 16)
        if head[:2] == GZIP_MAGIC:
            stream = gzip.GzipFile(fileobj=raw, mode="rb")
            self._closers.append(stream)
            return stream
        if head[:4] in (ZIP_MAGIC, EMPTY_ZIP_MAGIC):
            return self._zip_member(raw)
        for suffix, kind in ((".zip", "a zip archive"), (".gz", "gzip-compressed")):
            if self._name.lower().endswith(suffix):
                raise SubmissionError(
                    [
                        f"the file is named {suffix} but is not {kind} (it starts with {_shown(head)}); "
                        f"upload the CSV file itself, or compress it as {suffix}"
                    ],
                    self._name,
                )
        return raw

    def _zip_member(self, raw: BinaryIO) -> ByteReader:
        if not (hasattr(raw, "seekable") and raw.seekable()):
            spool = tempfile.TemporaryFile()
            self._closers.append(spool)
            shutil.copyfileobj(raw, spool)
            spool.seek(0)
            raw = spool
        try:
            archive = zipfile.ZipFile(raw)
        except DAMAGED_ZIP as error:
            raise SubmissionError([f"the zip archive is damaged ({error})"], self._name) from None
        self._closers.append(archive)
        members = [
            info
            for info in archive.infolist()
            if not info.filename.endswith("/")  # a folder (ZipInfo.is_dir fails on an empty name)
            and not info.filename.startswith("__MACOSX/")
            and not Path(info.filename).name.startswith(".")
        ]
        tables = [info for info in members if info.filename.lower().endswith(".csv")]
        if len(tables) != 1:
            listed = ", ".join(info.filename for info in members) or "nothing"
            raise SubmissionError(
                [f"the zip archive must hold exactly one .csv file; it holds {listed}"], self._name
            )
        try:
            member = archive.open(tables[0])
        except DAMAGED_ZIP as error:
            raise SubmissionError(
                [f"cannot open {tables[0].filename} in the zip archive ({error})"], self._name
            ) from None
        self._closers.append(member)
        self._name = f"{self._name}:{tables[0].filename}"
        return member

    def __exit__(self, *exc) -> None:
        for closer in reversed(self._closers):
            closer.close()

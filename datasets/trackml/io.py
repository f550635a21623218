"""Readers and writers of the official TrackML files, in every released variant.

Per event ``eventNNNNNNNNN-{hits,cells,particles,truth}.csv``, the training sample's
``eventNNNNNNNNN-blacklist_{hits,particles}.csv`` and one ``detectors.csv``; plain, gzip or
bzip2 (recognised by content, whatever the name). Readers check every official column and
its type and raise :class:`FormatError` naming the file, the column and the first bad row;
64-bit particle ids are read exactly. Variants accepted: the throughput phase's
``particle_type`` column, a row-index column written by pandas (empty header name) or one
without a header field, trailing delimiters, a byte-order mark, columns in any order and
any unknown extra column, which is kept as read.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import re
import zlib
from collections.abc import Iterable
from itertools import islice
from pathlib import Path

import numpy as np
import pandas as pd

from fivesigma.datasets.trackml.detector_geometry import DETECTOR_COLUMNS, detectors_frame

INT, FLOAT32, FLOAT64, PARTICLE_ID = "int64", "float32", "float64", "particle_id"

SCHEMAS: dict[str, dict[str, str]] = {
    "hits": {
        "hit_id": INT, "x": FLOAT32, "y": FLOAT32, "z": FLOAT32,
        "volume_id": INT, "layer_id": INT, "module_id": INT,
    },
    "cells": {"hit_id": INT, "ch0": INT, "ch1": INT, "value": FLOAT32},
    "particles": {
        "particle_id": PARTICLE_ID, "vx": FLOAT32, "vy": FLOAT32, "vz": FLOAT32,
        "px": FLOAT32, "py": FLOAT32, "pz": FLOAT32, "q": INT, "nhits": INT,
    },
    "truth": {
        "hit_id": INT, "particle_id": PARTICLE_ID, "tx": FLOAT32, "ty": FLOAT32,
        "tz": FLOAT32, "tpx": FLOAT32, "tpy": FLOAT32, "tpz": FLOAT32, "weight": FLOAT64,
    },
    "blacklist_hits": {"hit_id": INT},
    "blacklist_particles": {"particle_id": PARTICLE_ID},
    "detectors": {
        name: (INT if name.endswith("_id") else FLOAT64) for name in DETECTOR_COLUMNS
    },
}  # fmt: skip
# columns only some releases have: checked and typed when present
OPTIONAL: dict[str, dict[str, str]] = {"particles": {"particle_type": INT}}  # PDG code

PARTS = ("hits", "cells", "particles", "truth")
BLACKLIST_PARTS = ("blacklist_hits", "blacklist_particles")
EVENT_PARTS = PARTS + BLACKLIST_PARTS
SUFFIXES = (".csv", ".csv.gz", ".csv.bz2")
EVENT_PATTERN = re.compile(rf"^(event\d{{9}})-({'|'.join(EVENT_PARTS)})\.csv(\.gz|\.bz2)?$")
MAGIC = {b"\x1f\x8b": ("gzip", gzip.open), b"BZh": ("bz2", bz2.open)}


class FormatError(ValueError):
    """A file does not follow the official layout; the message names file, column and row."""


def event_prefix(directory: str | Path, event_id: int) -> Path:
    """``directory/eventNNNNNNNNN``, the prefix of an event's files."""
    return Path(directory) / f"event{event_id:09d}"


def _part_path(prefix: str | Path, part: str) -> Path:
    names = [Path(f"{prefix}-{part}{suffix}") for suffix in SUFFIXES]
    found = [path for path in names if path.exists()]
    if not found:
        tried = ", ".join(path.name for path in names)
        raise FileNotFoundError(f"no {part} file for {prefix}: looked for {tried}")
    if len(found) > 1:
        raise FormatError(f"{prefix}: more than one {part} file ({found[0]}, {found[1]}); keep one")
    return found[0]


def _error(path: Path, column: str, row: int, value, expected: str) -> FormatError:
    shown = "an empty value" if pd.isna(value) else f"'{value}'"
    return FormatError(
        f"{path}: column {column!r}, row {row + 1} (line {row + 2}): {shown} is not {expected}"
    )


def _check_column(values: pd.Series, path: Path, column: str, kind: str) -> np.ndarray:
    """The column converted to its official dtype, or FormatError at the first bad value."""
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64 if kind == PARTICLE_ID else kind)
    if kind == PARTICLE_ID:
        ids = values.to_numpy()
        if values.dtype.kind == "u" or (values.dtype.kind == "i" and (ids >= 0).all()):
            return ids.astype(np.int64) if (ids <= np.iinfo(np.int64).max).all() else ids
        text = values.astype(str).str.strip()
        ok = text.str.fullmatch(r"\+?\d{1,20}").to_numpy(bool).copy()
        ok[ok] = [int(t) < 1 << 64 for t in text[ok]]
        if ok.all():
            return _check_column(
                pd.Series(np.asarray(text, dtype=str).astype(np.uint64)), path, column, kind
            )
        row = int(np.flatnonzero(~ok)[0])
        raise _error(path, column, row, values.iloc[row], "an unsigned 64-bit integer")
    if kind == INT:
        if values.dtype.kind in "iu":
            return values.to_numpy().astype(np.int64)
        if values.dtype.kind == "f":  # integers written as 3.0 pass, 2.5 or empty do not
            numbers = values.to_numpy()
            bad = ~np.isfinite(numbers) | (numbers != np.round(numbers))
            if not bad.any():
                return numbers.astype(np.int64)
        else:
            bad = ~values.astype(str).str.strip().str.fullmatch(r"[+-]?\d+").to_numpy(bool)
        expected = "an integer"
    else:
        if values.dtype.kind in "fiu":
            return values.to_numpy().astype(kind)
        bad = pd.to_numeric(values, errors="coerce").isna().to_numpy() & values.notna().to_numpy()
        expected = "a number"
    row = int(np.flatnonzero(bad | values.isna().to_numpy())[0])
    raise _error(path, column, row, values.iloc[row], expected)


def _first_rows(path: Path, opener) -> list[list[str]]:
    """The header and the first data row as lists of fields (either may be missing)."""
    with opener(path, "rt", encoding="utf-8-sig", newline="") as handle:
        return list(islice(csv.reader(handle), 2))


def _column_names(path: Path, header: list[str], part: str) -> list[str]:
    """Header names, stripped; unnamed ones numbered; an official name twice is an error."""
    known = SCHEMAS[part].keys() | OPTIONAL.get(part, {}).keys()
    names, seen = [], set()
    for k, raw in enumerate(header):
        name = raw.strip() or f"Unnamed: {k}"
        if name in seen and name in known:
            raise FormatError(f"{path}: column {name!r} appears more than once")
        copy, n = name, 0
        while copy in seen:  # an unknown name repeated: name.1, name.2, ...
            n += 1
            copy = f"{name}.{n}"
        seen.add(copy)
        names.append(copy)
    return names


def _read_frame(path: Path, part: str) -> pd.DataFrame:
    """The file as read by pandas, official columns still unchecked, row indices dropped."""
    with open(path, "rb") as handle:
        magic = handle.read(3)
    compression, opener = next(
        ((kind, opener) for start, (kind, opener) in MAGIC.items() if magic.startswith(start)),
        (None, open),
    )
    rows = _first_rows(path, opener)
    if not rows or not rows[0]:
        raise FormatError(f"{path}: empty file, no header line")
    header = rows[0]
    names = _column_names(path, header, part)
    extra_field = len(rows) == 2 and len(rows[1]) == len(header) + 1
    trailing_delimiter = extra_field and not rows[1][-1].strip()
    options = {
        "header": 0,
        "names": names,
        "compression": compression,
        "encoding": "utf-8-sig",
        # one more field per row than header names: a row index without a header field
        # (read as the index, dropped) or a delimiter at the end of every line (ignored)
        "index_col": 0 if extra_field and not trailing_delimiter else False,
    }
    if PARTICLE_ID in SCHEMAS[part].values():
        try:
            frame = pd.read_csv(path, dtype={"particle_id": np.uint64}, **options)
        except (ValueError, OverflowError):  # a bad particle id: read it as text to find the row
            frame = pd.read_csv(path, dtype={"particle_id": str}, **options)
    else:
        frame = pd.read_csv(path, **options)
    unnamed = [name for raw, name in zip(header, names, strict=True) if not raw.strip()]
    row_index = unnamed[:1] if not header[0].strip() else []  # written by DataFrame.to_csv()
    empty = [name for name in unnamed[len(row_index) :] if frame[name].isna().all()]
    return frame.drop(columns=row_index + empty).reset_index(drop=True)


def _convert(frame: pd.DataFrame, path: Path, part: str) -> pd.DataFrame:
    """Official columns checked and typed; unknown columns kept as read, in file order."""
    schema = SCHEMAS[part]
    missing = [c for c in schema if c not in frame.columns]
    if missing:
        plural = "s" if len(missing) > 1 else ""
        raise FormatError(
            f"{path}: missing column{plural} {', '.join(map(repr, missing))} "
            f"(a {part} file has {', '.join(schema)}; this one has "
            f"{', '.join(map(str, frame.columns))})"
        )
    kinds = {**OPTIONAL.get(part, {}), **schema}
    return pd.DataFrame(
        {
            column: (
                _check_column(frame[column], path, column, kinds[column])
                if column in kinds
                else frame[column].to_numpy()
            )
            for column in frame.columns
        }
    )


def read_table(path: str | Path, part: str) -> pd.DataFrame:
    """Read one official file (``part`` names its layout) and validate it."""
    if part not in SCHEMAS:
        raise ValueError(f"unknown part {part!r}; choose from {', '.join(SCHEMAS)}")
    path = Path(path)
    try:
        frame = _read_frame(path, part)
    except (
        pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, csv.Error,
        OSError, EOFError, zlib.error,
    ) as err:  # fmt: skip
        raise FormatError(f"{path}: not a readable CSV file ({err})") from err
    return _convert(frame, path, part)


def read_event(prefix: str | Path, parts: Iterable[str] = PARTS) -> tuple[pd.DataFrame, ...]:
    """Read the files of one event (``prefix`` like ``DIR/event000001000``), one frame per part.

    ``parts`` are any of ``hits, cells, particles, truth, blacklist_hits,
    blacklist_particles`` (the blacklists come with the training sample).
    """
    parts = tuple(parts)
    unknown = [p for p in parts if p not in EVENT_PARTS]
    if unknown:
        raise ValueError(f"unknown event parts {unknown}; choose from {EVENT_PARTS}")
    return tuple(read_table(_part_path(prefix, part), part) for part in parts)


def read_detectors(path: str | Path) -> pd.DataFrame:
    """Read and validate a ``detectors.csv`` (plain or compressed, with or without a row index)."""
    return read_table(path, "detectors")


def write_detectors(path: str | Path) -> Path:
    """Write the simulated detector's module table to ``path``."""
    path = Path(path)
    detectors_frame().to_csv(path, index=False)
    return path


def write_event(
    prefix: str | Path, tables: dict[str, pd.DataFrame], parts: Iterable[str]
) -> list[Path]:
    """Write the given parts of an event as ``prefix-<part>.csv``; returns the paths."""
    written = []
    for part in parts:
        path = Path(f"{prefix}-{part}.csv")
        tables[part].to_csv(path, index=False)
        written.append(path)
    return written


def list_events(directory: str | Path) -> list[str]:
    """Sorted prefixes (``DIR/eventNNNNNNNNN``) of the events with any file in ``directory``."""
    directory = Path(directory)
    names = {
        match.group(1)
        for entry in directory.iterdir()
        if (match := EVENT_PATTERN.match(entry.name))
    }
    return [str(directory / name) for name in sorted(names)]

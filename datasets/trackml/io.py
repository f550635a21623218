"""Readers and writers of the official TrackML files (plain ``.csv`` or ``.csv.gz``).

Per event, ``eventNNNNNNNNN-{hits,cells,particles,truth}.csv`` and one ``detectors.csv``.
Readers check every column and its type and raise :class:`FormatError` naming the file,
the column and the first bad row; 64-bit particle ids are read exactly.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from fivesigma.datasets.trackml.detector import DETECTOR_COLUMNS, detectors_frame

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
    "detectors": {
        name: (INT if name.endswith("_id") else FLOAT64) for name in DETECTOR_COLUMNS
    },
}  # fmt: skip

PARTS = ("hits", "cells", "particles", "truth")
EVENT_PATTERN = re.compile(r"^(event\d{9})-(hits|cells|particles|truth)\.csv(\.gz)?$")


class FormatError(ValueError):
    """A file does not follow the official layout; the message names file, column and row."""


def event_prefix(directory: str | Path, event_id: int) -> Path:
    """``directory/eventNNNNNNNNN``, the prefix of an event's files."""
    return Path(directory) / f"event{event_id:09d}"


def _part_path(prefix: str | Path, part: str) -> Path:
    base = f"{prefix}-{part}.csv"
    for candidate in (Path(base), Path(base + ".gz")):
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"no {part} file for {prefix}: looked for {base} and {base}.gz")


def _error(path: Path, column: str, row: int, value, expected: str) -> FormatError:
    shown = "an empty value" if pd.isna(value) else f"'{value}'"
    return FormatError(
        f"{path}: column {column!r}, row {row + 1} (line {row + 2}): {shown} is not {expected}"
    )


def _check_column(values: pd.Series, path: Path, column: str, kind: str) -> np.ndarray:
    """The column converted to its official dtype, or FormatError at the first bad value."""
    if kind == PARTICLE_ID:
        ids = values.to_numpy()
        if values.dtype.kind == "u":
            return ids.astype(np.int64) if (ids <= np.iinfo(np.int64).max).all() else ids
        text = values.astype(str).str.strip()
        ok = text.str.fullmatch(r"\+?\d{1,20}").to_numpy(bool).copy()
        ok[ok] = [int(t) < 1 << 64 for t in text[ok]]
        row = int(np.flatnonzero(~ok)[0]) if not ok.all() else 0
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


def _convert(frame: pd.DataFrame, path: Path, schema: dict[str, str]) -> pd.DataFrame:
    missing = [c for c in schema if c not in frame.columns]
    extra = [c for c in frame.columns if c not in schema]
    if missing or extra:
        raise FormatError(
            f"{path}: columns {list(frame.columns)} do not match the official "
            f"{list(schema)} (missing {missing}, unexpected {extra})"
        )
    return pd.DataFrame(
        {
            column: _check_column(frame[column], path, column, kind)
            for column, kind in schema.items()
        }
    )


def read_table(path: str | Path, part: str) -> pd.DataFrame:
    """Read one official file (``part`` names its schema) and validate it."""
    path = Path(path)
    schema = SCHEMAS[part]
    try:
        try:
            frame = pd.read_csv(
                path, dtype={"particle_id": np.uint64} if part in ("particles", "truth") else None
            )
        except (ValueError, OverflowError):  # a bad particle id: read it as text to find the row
            frame = pd.read_csv(path, dtype={"particle_id": str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError) as err:
        raise FormatError(f"{path}: not a readable CSV file ({err})") from err
    return _convert(frame, path, schema)


def read_event(prefix: str | Path, parts: Iterable[str] = PARTS) -> tuple[pd.DataFrame, ...]:
    """Read the files of one event (``prefix`` like ``DIR/event000001000``), one frame per part."""
    parts = tuple(parts)
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        raise ValueError(f"unknown event parts {unknown}; choose from {PARTS}")
    return tuple(read_table(_part_path(prefix, part), part) for part in parts)


def read_detectors(path: str | Path) -> pd.DataFrame:
    """Read and validate a ``detectors.csv`` (or ``.csv.gz``)."""
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

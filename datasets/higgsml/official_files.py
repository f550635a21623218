"""Write a simulated dataset as the official files: CERN Open Data, Kaggle training/test, solution.

Files written in ``out_dir``:
- ``atlas-higgs-challenge-2014-v2.csv``: every event, all 35 columns (CERN Open Data layout).
- ``training.csv``: KaggleSet t; EventId, 30 features, Weight (= KaggleWeight), Label.
- ``test.csv``: KaggleSet b and v in EventId order; EventId and the 30 features.
- ``solution.csv`` (hidden from participants): the rows of test.csv with EventId, Label,
  Weight (= KaggleWeight), KaggleSet and Usage (Public for b, Private for v).
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np
import pandas as pd

from fivesigma.datasets.higgsml import csvwriter
from fivesigma.datasets.higgsml.layout import (
    CATEGORIES,
    CERN_COLUMNS,
    SOLUTION_COLUMNS,
    TEST_COLUMNS,
    TRAINING_COLUMNS,
    USAGE,
)
from fivesigma.datasets.higgsml.simulation import Progress, simulate

FILE_NAMES = {
    "cern": "atlas-higgs-challenge-2014-v2.csv",
    "training": "training.csv",
    "test": "test.csv",
    "solution": "solution.csv",
}
_LABELS = list(dict.fromkeys(v for values in CATEGORIES.values() for v in values))
_CHUNK_ROWS = 100_000


def column_kind(column: str) -> int:
    """Number format of an official column (see :mod:`datasets.higgsml.csvwriter`)."""
    if column in ("EventId", "PRI_jet_num"):
        return csvwriter.INTEGER
    if column in CATEGORIES:
        return csvwriter.CATEGORY
    if column in ("Weight", "KaggleWeight"):
        return csvwriter.SIGNIFICANT15
    return csvwriter.DECIMAL3


def _numeric_matrix(frame: pd.DataFrame) -> np.ndarray:
    """All columns as float64 (n x c), categories as codes into the label table."""
    numeric = [c for c in frame.columns if c not in CATEGORIES]
    values = np.empty((len(frame), frame.shape[1]))
    positions = [frame.columns.get_loc(c) for c in numeric]
    values[:, positions] = frame[numeric].to_numpy(dtype=np.float64)
    for column in frame.columns:
        if column in CATEGORIES:
            codes = pd.Categorical(frame[column], categories=_LABELS).codes
            if (codes < 0).any():
                raise ValueError(f"column {column!r} holds values outside {CATEGORIES[column]}")
            values[:, frame.columns.get_loc(column)] = codes
    return values


def label_table(names=_LABELS):
    """The CATEGORY strings ``names`` as the (table, lengths) pair the CSV formatter reads."""
    width = max(len(label) for label in names)
    labels = np.zeros((len(names), width), dtype=np.uint8)
    for k, label in enumerate(names):
        labels[k, : len(label)] = np.frombuffer(label.encode(), dtype=np.uint8)
    return labels, np.array([len(label) for label in names], dtype=np.int64)


def write_rows(path, header, matrix, rows, columns, kinds=None, labels=None) -> Path:
    """Write ``matrix[rows][:, columns]`` under ``header`` names; the file appears complete.

    ``kinds`` (one csvwriter format per column) default to those of the official columns,
    ``labels`` (a :func:`label_table`) to the official categories.
    """
    path = Path(path)
    if kinds is None:
        kinds = [column_kind(c) for c in header]
    kinds = np.array(kinds, dtype=np.int64)
    labels, lengths = label_table() if labels is None else labels
    partial = path.with_name(path.name + ".partial")
    opener = gzip.open if path.suffix == ".gz" else open
    buffer = np.empty(csvwriter.buffer_size((_CHUNK_ROWS, len(header))), dtype=np.uint8)
    with opener(partial, "wb") as out:
        out.write((",".join(header) + "\n").encode())
        for start in range(0, len(rows), _CHUNK_ROWS):
            chunk = rows[start : start + _CHUNK_ROWS]
            out.write(csvwriter.format_rows(matrix, kinds, labels, lengths, chunk, columns, buffer))
    os.replace(partial, path)
    return path


def generate(out_dir, seed: int = 0, n_events: int = 818238, progress: Progress | None = None):
    """Simulate ``n_events`` events and write the official files in ``out_dir``.

    Returns ``{"cern": path, "training": path, "test": path, "solution": path}``.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    events = simulate(n_events, seed, progress).events
    events = events.assign(Usage=events["KaggleSet"].map(USAGE))
    matrix = _numeric_matrix(events)
    position = {column: j for j, column in enumerate(events.columns)}
    kaggle = {**position, "Weight": position["KaggleWeight"]}  # Kaggle files carry KaggleWeight
    kaggle_set = events["KaggleSet"].to_numpy()
    every = np.arange(len(events))
    training, test = (
        np.flatnonzero(kaggle_set == "t"),
        np.flatnonzero(np.isin(kaggle_set, ["b", "v"])),
    )
    files = {
        "cern": (CERN_COLUMNS, every, position),
        "training": (TRAINING_COLUMNS, training, kaggle),
        "test": (TEST_COLUMNS, test, kaggle),
        "solution": (SOLUTION_COLUMNS, test, kaggle),
    }
    paths = {}
    for name, (header, rows, columns) in files.items():
        if progress:
            progress(f"writing {FILE_NAMES[name]}")
        indices = np.array([columns[c] for c in header], dtype=np.int64)
        paths[name] = write_rows(out_dir / FILE_NAMES[name], header, matrix, rows, indices)
    return paths

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

from datasets.higgsml import csvwriter
from datasets.higgsml.layout import (
    CATEGORIES,
    CERN_COLUMNS,
    SOLUTION_COLUMNS,
    TEST_COLUMNS,
    TRAINING_COLUMNS,
    USAGE,
)
from datasets.higgsml.simulation import Progress, simulate

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
    values = np.empty((len(frame), frame.shape[1]))
    for j, column in enumerate(frame.columns):
        if column in CATEGORIES:
            codes = pd.Categorical(frame[column], categories=_LABELS).codes
            if (codes < 0).any():
                raise ValueError(f"column {column!r} holds values outside {CATEGORIES[column]}")
            values[:, j] = codes
        else:
            values[:, j] = frame[column].to_numpy(dtype=np.float64)
    return values


def write_csv(frame: pd.DataFrame, path) -> Path:
    """Write ``frame`` (official column names) in the official number formats; .gz compresses.

    The file appears under its name only once complete.
    """
    path = Path(path)
    kinds = np.array([column_kind(c) for c in frame.columns], dtype=np.int64)
    width = max(len(label) for label in _LABELS)
    labels = np.zeros((len(_LABELS), width), dtype=np.uint8)
    for k, label in enumerate(_LABELS):
        labels[k, : len(label)] = np.frombuffer(label.encode(), dtype=np.uint8)
    lengths = np.array([len(label) for label in _LABELS], dtype=np.int64)
    partial = path.with_name(path.name + ".partial")
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(partial, "wb") as out:
        out.write((",".join(frame.columns) + "\n").encode())
        for start in range(0, len(frame), _CHUNK_ROWS):
            chunk = _numeric_matrix(frame.iloc[start : start + _CHUNK_ROWS])
            out.write(csvwriter.format_rows(chunk, kinds, labels, lengths).tobytes())
    os.replace(partial, path)
    return path


def generate(out_dir, seed: int = 0, n_events: int = 818238, progress: Progress | None = None):
    """Simulate ``n_events`` events and write the official files in ``out_dir``.

    Returns ``{"cern": path, "training": path, "test": path, "solution": path}``.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    events = simulate(n_events, seed, progress).events
    kaggle = events.assign(Weight=events["KaggleWeight"])
    training = kaggle[kaggle["KaggleSet"] == "t"]
    test = kaggle[kaggle["KaggleSet"].isin(["b", "v"])]
    solution = test.assign(Usage=test["KaggleSet"].map(USAGE))
    tables = {
        "cern": events[list(CERN_COLUMNS)],
        "training": training[list(TRAINING_COLUMNS)],
        "test": test[list(TEST_COLUMNS)],
        "solution": solution[list(SOLUTION_COLUMNS)],
    }
    paths = {}
    for name, table in tables.items():
        if progress:
            progress(f"writing {FILE_NAMES[name]}")
        paths[name] = write_csv(table, out_dir / FILE_NAMES[name])
    return paths

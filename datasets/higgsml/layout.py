"""The official HiggsML file layouts and a validating reader for them.

Layouts (detected from the header):
- CERN Open Data ``atlas-higgs-challenge-2014-v2.csv``: EventId, 30 features, Weight, Label,
  KaggleSet, KaggleWeight.
- Kaggle ``training.csv``: EventId, 30 features, Weight, Label.
- Kaggle ``test.csv``: EventId, 30 features.
- Platform solution file ``solution.csv``: EventId, Label, Weight, KaggleSet, Usage.
Plain or gzip-compressed (by the ``.gz`` suffix, as pandas decides).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from fivesigma.datasets.higgsml.features import FEATURES

CERN_COLUMNS = ("EventId", *FEATURES, "Weight", "Label", "KaggleSet", "KaggleWeight")
TRAINING_COLUMNS = ("EventId", *FEATURES, "Weight", "Label")
TEST_COLUMNS = ("EventId", *FEATURES)
SOLUTION_COLUMNS = ("EventId", "Label", "Weight", "KaggleSet", "Usage")
LAYOUTS = {
    "cern": CERN_COLUMNS,
    "training": TRAINING_COLUMNS,
    "test": TEST_COLUMNS,
    "solution": SOLUTION_COLUMNS,
}
INTEGER_COLUMNS = ("EventId", "PRI_jet_num")
CATEGORIES = {
    "Label": ("s", "b"),
    "KaggleSet": ("t", "b", "v", "u"),
    "Usage": ("Public", "Private", "Unused", "Training"),
}
USAGE = {"t": "Training", "b": "Public", "v": "Private", "u": "Unused"}


class FormatError(ValueError):
    """A HiggsML file does not follow its official layout; the message names file, column, row."""


def detect_layout(path, header: list[str]) -> str:
    """Name of the layout whose columns are exactly ``header``, in order."""
    for name, columns in LAYOUTS.items():
        if tuple(header) == columns:
            return name
    best = min(LAYOUTS.values(), key=lambda cols: len(set(cols) ^ set(header)))
    missing = [c for c in best if c not in header]
    unknown = [c for c in header if c not in best]
    if missing or unknown:
        detail = (
            f"missing column {missing[0]!r}" if missing else f"unexpected column {unknown[0]!r}"
        )
    else:
        detail = "columns out of the official order"
    raise FormatError(
        f"{path}: {detail}; not a HiggsML layout (expected the columns of the CERN Open Data, "
        "Kaggle training, Kaggle test or solution file)"
    )


def _row(position: int) -> str:
    return f"row {position + 1} (line {position + 2})"


def _check_numeric(path, frame: pd.DataFrame, column: str, integer: bool) -> pd.Series:
    raw = frame[column]
    values = pd.to_numeric(raw, errors="coerce")
    bad = values.isna().to_numpy().copy()
    if integer:
        bad |= values.to_numpy(dtype=np.float64, na_value=0.0) % 1 != 0
    if bad.any():
        first = int(np.argmax(bad))
        kind = "an integer" if integer else "a number"
        raise FormatError(
            f"{path}: column {column!r}, {_row(first)}: expected {kind}, got {raw.iloc[first]!r}"
        )
    return values.astype(np.int64) if integer else values.astype(np.float64)


def read_events(path) -> pd.DataFrame:
    """Read a HiggsML file in any official layout (plain or .gz) and validate it.

    Returns a DataFrame with the file's columns in order: EventId and PRI_jet_num as int64,
    features and weights as float64 (undefined values stay -999.0), Label / KaggleSet /
    Usage as strings. Raises :class:`FormatError` naming the file, the column and the first
    offending row when the layout, a type or a category is wrong.
    """
    path = Path(path)
    try:
        header = pd.read_csv(path, nrows=0).columns.tolist()
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise FormatError(f"{path}: cannot read a CSV header ({exc})") from exc
    detect_layout(path, header)
    dtypes = {c: (str if c in CATEGORIES else np.float64) for c in header}
    try:
        frame = pd.read_csv(path, dtype=dtypes, na_filter=False)
    except (ValueError, OverflowError, pd.errors.ParserError):
        frame = _read_as_text(path)
    for column in header:
        if column in CATEGORIES:
            _check_categories(path, frame, column)
        elif frame[column].dtype.kind != "f" or column in INTEGER_COLUMNS:
            frame[column] = _check_numeric(path, frame, column, column in INTEGER_COLUMNS)
    _check_values(path, frame)
    return frame


def _read_as_text(path) -> pd.DataFrame:
    """Fallback read of every field as text, to locate the offending value."""
    try:
        return pd.read_csv(path, dtype=str, na_filter=False)
    except pd.errors.ParserError as exc:
        raise FormatError(f"{path}: malformed CSV ({exc})") from exc


def _check_categories(path, frame: pd.DataFrame, column: str) -> None:
    allowed = CATEGORIES[column]
    bad = ~frame[column].isin(allowed).to_numpy()
    if bad.any():
        first = int(np.argmax(bad))
        raise FormatError(
            f"{path}: column {column!r}, {_row(first)}: expected one of {', '.join(allowed)}, "
            f"got {frame[column].iloc[first]!r}"
        )


def _check_values(path, frame: pd.DataFrame) -> None:
    """Physical sanity checks that the official files pass: finite values, jet count 0-3."""
    for column in frame.columns:
        if frame[column].dtype.kind == "f":
            bad = ~np.isfinite(frame[column].to_numpy())
            if bad.any():
                first = int(np.argmax(bad))
                raise FormatError(f"{path}: column {column!r}, {_row(first)}: value is not finite")
    if "PRI_jet_num" in frame:
        bad = ~frame["PRI_jet_num"].between(0, 3).to_numpy()
        if bad.any():
            first = int(np.argmax(bad))
            raise FormatError(
                f"{path}: column 'PRI_jet_num', {_row(first)}: expected 0, 1, 2 or 3, "
                f"got {frame['PRI_jet_num'].iloc[first]}"
            )

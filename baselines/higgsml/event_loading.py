"""HiggsML events as the baselines use them: ids, the 30 features, truth and weights.

Files are read with ``datasets.higgsml.read_events``, so the released ``training.csv`` and
``test.csv`` of the challenge work exactly as the generated ones do.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from fivesigma.datasets.higgsml import FEATURES, read_events


@dataclass
class Events:
    """Events of one file. ``labels`` (1 signal, 0 background) and ``weights`` are ``None``
    for a test file, which carries features only."""

    path: Path
    event_ids: np.ndarray
    features: pd.DataFrame
    labels: np.ndarray | None = None
    weights: np.ndarray | None = None

    def subset(self, rows: np.ndarray) -> Events:
        """The events at positions ``rows``."""
        return Events(
            self.path,
            self.event_ids[rows],
            self.features.iloc[rows],
            None if self.labels is None else self.labels[rows],
            None if self.weights is None else self.weights[rows],
        )

    def truth(self) -> tuple[np.ndarray, np.ndarray]:
        """(labels, weights) of training events; ValueError for test events, which have none."""
        if self.labels is None or self.weights is None:
            raise ValueError(f"{self.path}: these events have no Label and Weight (a test file)")
        return self.labels, self.weights

    def class_totals(self) -> tuple[float, float]:
        """Sum of weights of signal and of background events."""
        labels, weights = self.truth()
        return float(weights[labels == 1].sum()), float(weights[labels == 0].sum())


def load_events(path: str | Path, with_truth: bool) -> Events:
    """Read a training file (``with_truth``: needs Weight and Label) or a test file.

    Any official layout is read (``datasets.higgsml.read_events`` checks it and raises a
    ``FormatError``, a ``ValueError``, naming file, column and row); the features are the
    30 official columns in the official order. Given the CERN Open Data file as training
    file, its training rows (KaggleSet t) are used with their KaggleWeight.
    """
    path = Path(path)
    frame = read_events(path)
    if "PRI_jet_num" not in frame.columns:
        raise ValueError(f"{path}: a solution file holds no features; give a training or test file")
    if with_truth and "KaggleSet" in frame.columns:  # CERN Open Data file: its training rows
        frame = frame[frame["KaggleSet"] == "t"].assign(Weight=frame["KaggleWeight"])
    events = Events(path, frame["EventId"].to_numpy(), frame[list(FEATURES)])
    if with_truth:
        missing = [c for c in ("Weight", "Label") if c not in frame.columns]
        if missing:
            raise ValueError(f"{path}: a training file needs the column(s) {', '.join(missing)}")
        labels = (frame["Label"].to_numpy() == "s").astype(np.int8)
        events.labels, events.weights = labels, frame["Weight"].to_numpy(dtype=np.float64)
        if labels.min() == labels.max():
            raise ValueError(f"{path}: the training file holds only one class (Label s or b)")
    return events

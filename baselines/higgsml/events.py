"""HiggsML events as the baselines use them: ids, the 30 features, truth and weights.

Files are read with ``datasets.higgsml.read_events``, so the released ``training.csv`` and
``test.csv`` of the challenge work exactly as the generated ones do.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from datasets.higgsml import read_events

NOT_FEATURES = ("EventId", "Weight", "Label", "KaggleSet", "KaggleWeight")


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

    def class_totals(self) -> tuple[float, float]:
        """Sum of weights of signal and of background events."""
        return float(self.weights[self.labels == 1].sum()), float(
            self.weights[self.labels == 0].sum()
        )


def load_events(path: str | Path, with_truth: bool) -> Events:
    """Read a training file (``with_truth``: needs Weight and Label) or a test file."""
    path = Path(path)
    frame = read_events(path)
    feature_columns = [c for c in frame.columns if c not in NOT_FEATURES]
    if "EventId" not in frame.columns:
        raise ValueError(f"{path}: no EventId column")
    events = Events(path, frame["EventId"].to_numpy(), frame[feature_columns])
    if with_truth:
        missing = [c for c in ("Weight", "Label") if c not in frame.columns]
        if missing:
            raise ValueError(f"{path}: a training file needs the column(s) {', '.join(missing)}")
        events.labels = (frame["Label"].to_numpy() == "s").astype(np.int8)
        events.weights = frame["Weight"].to_numpy(dtype=np.float64)
        if events.labels.min() == events.labels.max():
            raise ValueError(f"{path}: the training file holds only one class (Label s or b)")
    return events


def check_same_features(train: Events, test: Events) -> None:
    """Raise a clear error if the test file's features differ from the training file's."""
    if list(train.features.columns) != list(test.features.columns):
        only_train = sorted(set(train.features.columns) - set(test.features.columns))
        only_test = sorted(set(test.features.columns) - set(train.features.columns))
        raise ValueError(
            f"{test.path}: feature columns differ from {train.path} "
            f"(missing: {only_train or 'none'}; unexpected: {only_test or 'none'}; "
            "the order must match too)"
        )

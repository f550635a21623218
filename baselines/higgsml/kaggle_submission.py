"""Writing a Kaggle-format HiggsML submission: EventId, RankOrder, Class."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def rank_order(scores: np.ndarray) -> np.ndarray:
    """RankOrder of each event: a permutation of 1..N, N for the most signal-like score.

    Ties keep the order of the input, so the result is always a permutation.
    """
    order = np.argsort(np.asarray(scores), kind="stable")
    ranks = np.empty(len(order), dtype=np.int64)
    ranks[order] = np.arange(1, len(order) + 1)
    return ranks


def submission_frame(event_ids: np.ndarray, scores: np.ndarray, threshold: float) -> pd.DataFrame:
    """One row per event: its id, its rank, and Class 's' where the score exceeds ``threshold``."""
    scores = np.asarray(scores)
    return pd.DataFrame(
        {
            "EventId": np.asarray(event_ids),
            "RankOrder": rank_order(scores),
            "Class": np.where(scores > threshold, "s", "b"),
        }
    )


def write_submission(
    path: str | Path, event_ids: np.ndarray, scores: np.ndarray, threshold: float
) -> pd.DataFrame:
    """Write the submission CSV at ``path`` and return it as a DataFrame."""
    frame = submission_frame(event_ids, scores, threshold)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    return frame

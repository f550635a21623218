"""A local validation split of a HiggsML training file, scored like the server scores.

The held-out events become a test file and a solution file, so that
``python -m fivesigma.scoring score ams --solution ... --submission ...`` gives the same kind of
number the leaderboard shows. Solution weights are scaled so each class sums to its total
over the whole training file (as the official KaggleWeight does), and the held-out events
are shared at random between a public and a private subset, as the leaderboard's are.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from fivesigma.baselines.higgsml.cross_validation import renormalise
from fivesigma.baselines.higgsml.event_loading import Events, load_events


def write_validation_split(
    train_path: str | Path, out_dir: str | Path, fraction: float = 0.2, seed: int = 0
) -> list[Path]:
    """Hold out ``fraction`` of the training events, stratified by class.

    Writes ``out_dir``/training.csv (the kept events: EventId, features, Weight, Label),
    ``out_dir``/test.csv (EventId and features of the held-out events) and
    ``out_dir``/solution.csv (EventId, Label, Weight, KaggleSet, Usage: the platform's
    solution layout).
    Returns the three paths.
    """
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"--fraction must lie strictly between 0 and 1, got {fraction}")
    events = load_events(train_path, with_truth=True)
    labels, _ = events.truth()
    is_held = np.zeros(len(labels), dtype=bool)
    rng = np.random.default_rng(seed)
    for cls in (0, 1):
        members = rng.permutation(np.flatnonzero(labels == cls))
        is_held[members[: round(fraction * len(members))]] = True
    kept, held = events.subset(np.flatnonzero(~is_held)), events.subset(np.flatnonzero(is_held))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / "training.csv", out_dir / "test.csv", out_dir / "solution.csv"]
    _with_ids(kept).assign(Weight=kept.truth()[1], Label=_label_letters(kept)).to_csv(
        paths[0], index=False
    )
    _with_ids(held).to_csv(paths[1], index=False)
    held_labels, held_weights = held.truth()
    public = np.random.default_rng(seed).random(len(held_labels)) < 0.5
    solution = pd.DataFrame(
        {
            "EventId": held.event_ids,
            "Label": _label_letters(held),
            "Weight": renormalise(held_labels, held_weights, events.class_totals()),
            "KaggleSet": np.where(public, "b", "v"),
            "Usage": np.where(public, "Public", "Private"),
        }
    )
    solution.to_csv(paths[2], index=False)
    return paths


def _with_ids(events: Events) -> pd.DataFrame:
    return events.features.reset_index(drop=True).assign(EventId=events.event_ids)[
        ["EventId", *events.features.columns]
    ]


def _label_letters(events: Events) -> np.ndarray:
    return np.where(events.truth()[0] == 1, "s", "b")

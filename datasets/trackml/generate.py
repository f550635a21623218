"""A complete TrackML-style challenge dataset on disk.

Layout under ``out_dir``: ``detectors.csv``; ``train/`` with all four files per event;
``test/`` with hits and cells (what participants see); ``test_truth/`` with truth and
particles (hidden); ``solution.csv``, the hidden test truth with a leading event_id column.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from tqdm import tqdm

from fivesigma.datasets.trackml.io import PARTS, event_prefix, write_detectors, write_event
from fivesigma.datasets.trackml.simulate import DEFAULT_PILEUP, simulate_event
from fivesigma.scoring.kernels.weighted_accuracy import SOLUTION_COLUMNS


def generate(
    out_dir,
    seed: int = 0,
    n_train: int = 10,
    n_test: int = 5,
    pileup: float = DEFAULT_PILEUP,
    first_event_id: int = 1000,
    progress: bool = False,
) -> dict:
    """Simulate and write ``n_train`` training and ``n_test`` test events; returns the paths.

    Training events are numbered from ``first_event_id``, test events follow them. The
    returned dict has ``detectors`` and ``solution`` (paths) and ``train``, ``test``,
    ``test_truth`` (lists of written file paths).
    """
    if n_train < 0 or n_test < 0:
        raise ValueError(f"event counts must be >= 0, got n_train={n_train}, n_test={n_test}")
    out = Path(out_dir)
    dirs = {name: out / name for name in ("train", "test", "test_truth")}
    for directory in dirs.values():
        directory.mkdir(parents=True, exist_ok=True)
    written: dict = {"detectors": write_detectors(out / "detectors.csv")}
    written.update({name: [] for name in dirs})
    solution = []
    event_ids = range(first_event_id, first_event_id + n_train + n_test)
    for k, event_id in enumerate(
        tqdm(event_ids, desc="events", unit="event", disable=not progress)
    ):
        tables = simulate_event(event_id, seed, pileup)
        if k < n_train:
            written["train"] += write_event(event_prefix(dirs["train"], event_id), tables, PARTS)
            continue
        written["test"] += write_event(
            event_prefix(dirs["test"], event_id), tables, ("hits", "cells")
        )
        written["test_truth"] += write_event(
            event_prefix(dirs["test_truth"], event_id), tables, ("truth", "particles")
        )
        solution.append(tables["truth"].assign(event_id=event_id)[list(SOLUTION_COLUMNS)])
    solution_path = out / "solution.csv"
    frame = (
        pd.concat(solution, ignore_index=True)
        if solution
        else pd.DataFrame(columns=list(SOLUTION_COLUMNS))
    )
    frame.to_csv(solution_path, index=False)
    written["solution"] = solution_path
    return written

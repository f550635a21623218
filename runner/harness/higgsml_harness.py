"""HiggsML harness: ``Model.fit(X, y, weights)`` on training.csv, then ``Model.predict(X)`` on test.csv.

X is a DataFrame of the 30 feature columns (GeV, radians; -999.0 where undefined), y is 1
for signal and 0 for background, weights the ``Weight`` column. ``predict`` returns one score
per test event, larger = more signal-like. The runner writes the Kaggle submission
``EventId,RankOrder,Class``: RankOrder 1..N by increasing score (N = most signal-like) and
Class ``s`` for the top fraction ``getattr(model, "signal_fraction", 0.15)`` of events.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd

PER_EVENT_TIMING = False
DEFAULT_SIGNAL_FRACTION = 0.15
NOT_FEATURES = ["EventId", "Weight", "Label", "KaggleSet", "KaggleWeight"]
FILES = {"fit": "training.csv", "predict": "test.csv"}


def features(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=NOT_FEATURES, errors="ignore")


# ---- outside the sandbox -------------------------------------------------------------------


def list_tasks(input_dir: Path) -> list[str]:
    for name in FILES.values():
        if not (Path(input_dir) / name).is_file():
            raise ValueError(f"{input_dir}: {name} is missing")
    return ["fit", "predict"]


def task_files(task: str, input_dir: Path) -> dict[str, Path]:
    """The file the sandbox receives for a stage: training.csv for fit, test.csv for predict."""
    return {"data": Path(input_dir) / FILES[task]}


def check_result(task: str, payload: bytes, meta: dict, input_dir: Path):
    """For predict: (EventId array, scores, signal fraction) after checking them; None for fit."""
    if task == "fit":
        return None
    event_ids = pd.read_csv(Path(input_dir) / FILES["predict"], usecols=["EventId"])[
        "EventId"
    ].to_numpy()
    if len(payload) != 8 * len(event_ids):
        raise ValueError(
            f"predict returned {len(payload) / 8:g} scores for {len(event_ids)} test events"
        )
    scores = np.frombuffer(payload, dtype="<f8")
    fraction = meta.get("signal_fraction")
    if not isinstance(fraction, float) or not 0.0 < fraction <= 1.0:
        raise ValueError(f"Model.signal_fraction must be a number in (0, 1], got {fraction!r}")
    return event_ids, scores, fraction


def write_submission(results: dict, path: Path) -> int:
    """Write ``EventId,RankOrder,Class``; return the number of test events."""
    event_ids, scores, fraction = results["predict"]
    n = len(scores)
    rank_order = np.empty(n, dtype=np.int64)
    rank_order[np.argsort(scores, kind="stable")] = np.arange(1, n + 1)
    n_signal = int(round(fraction * n))
    label = np.where(rank_order > n - n_signal, "s", "b")
    pd.DataFrame({"EventId": event_ids, "RankOrder": rank_order, "Class": label}).to_csv(
        path, index=False
    )
    return n


# ---- inside the sandbox --------------------------------------------------------------------


def load_task(task: str, files: dict):
    frame = pd.read_csv(io.BytesIO(files["data"]))
    if task == "fit":
        y = (frame["Label"] == "s").to_numpy(dtype=np.int64)
        return task, features(frame), y, frame["Weight"].to_numpy(dtype=np.float64)
    return task, features(frame)


def call(model, loaded):
    task, *arguments = loaded
    return model.fit(*arguments) if task == "fit" else model.predict(*arguments)


def encode(output, loaded, model) -> tuple[bytes, dict]:
    """Nothing for fit; for predict the scores as little-endian float64 and the signal fraction."""
    if loaded[0] == "fit":
        return b"", {}
    n_events = len(loaded[1])
    scores = np.asarray(output)
    if scores.ndim != 1 or len(scores) != n_events:
        raise ValueError(
            f"predict must return one score per test event ({n_events}), got shape {scores.shape}"
        )
    if scores.dtype.kind not in "biuf":
        raise ValueError(f"predict must return numeric scores, got dtype {scores.dtype}")
    scores = scores.astype("<f8")
    if not np.isfinite(scores).all():
        raise ValueError("predict returned NaN or infinite scores")
    fraction = getattr(model, "signal_fraction", DEFAULT_SIGNAL_FRACTION)
    try:
        fraction = float(fraction)
    except (TypeError, ValueError):
        raise ValueError(f"Model.signal_fraction must be a number, got {fraction!r}") from None
    return scores.tobytes(), {"signal_fraction": fraction}

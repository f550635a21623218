"""TrackML harness: ``Model.predict_one_event(event_id, hits, cells)``, one event at a time.

Input directory: ``eventNNNNNNNNN-hits.csv`` (hit_id, x, y, z [mm], volume_id, layer_id,
module_id) and ``eventNNNNNNNNN-cells.csv`` (hit_id, ch0, ch1, value) per event. The model
returns one integer track id (>= 0) per hit, in the order of the hits DataFrame; the runner
writes ``event_id,hit_id,track_id`` rows for every hit of every event.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

PER_EVENT_TIMING = True
HITS_FILE = re.compile(r"^(event\d{9})-hits\.csv$")


def event_id(task: str) -> int:
    """The integer event id of a task name such as ``event000001000``."""
    return int(task.removeprefix("event"))


# ---- outside the sandbox -------------------------------------------------------------------


def list_tasks(input_dir: Path) -> list[str]:
    """The events of the input directory, in order; each needs a hits and a cells file."""
    input_dir = Path(input_dir)
    tasks = sorted(m.group(1) for p in input_dir.iterdir() if (m := HITS_FILE.match(p.name)))
    if not tasks:
        raise ValueError(f"{input_dir}: no eventNNNNNNNNN-hits.csv files")
    for task in tasks:
        if not (input_dir / f"{task}-cells.csv").is_file():
            raise ValueError(f"{input_dir}: {task}-hits.csv has no {task}-cells.csv next to it")
    return tasks


def task_files(task: str, input_dir: Path) -> dict[str, Path]:
    """The files the sandbox receives for one event, by name."""
    return {part: Path(input_dir) / f"{task}-{part}.csv" for part in ("hits", "cells")}


def check_result(task: str, payload: bytes, meta: dict, input_dir: Path) -> pd.DataFrame:
    """The submission rows of one event, after checking one track id >= 0 per hit."""
    hits_path = Path(input_dir) / f"{task}-hits.csv"
    hit_ids = pd.read_csv(hits_path, usecols=["hit_id"])["hit_id"].to_numpy()
    if len(payload) != 8 * len(hit_ids):
        raise ValueError(f"{task}: received {len(payload) / 8:g} track ids for {len(hit_ids)} hits")
    track_ids = np.frombuffer(payload, dtype="<i8")
    if len(track_ids) and track_ids.min() < 0:
        raise ValueError(f"{task}: track ids must be >= 0, found {track_ids.min()}")
    return pd.DataFrame({"event_id": event_id(task), "hit_id": hit_ids, "track_id": track_ids})


def write_submission(results: dict[str, pd.DataFrame], path: Path) -> int:
    """Write ``event_id,hit_id,track_id`` for every event; return the number of events."""
    pd.concat([results[task] for task in sorted(results)]).to_csv(path, index=False)
    return len(results)


# ---- inside the sandbox --------------------------------------------------------------------


def load_task(task: str, files: dict) -> tuple[int, pd.DataFrame, pd.DataFrame]:
    """The event's DataFrames from the contents of its hits and cells files."""
    hits = pd.read_csv(io.BytesIO(files["hits"]))
    cells = pd.read_csv(io.BytesIO(files["cells"]))
    return event_id(task), hits, cells


def call(model, loaded):
    return model.predict_one_event(*loaded)


def encode(output, loaded, model) -> tuple[memoryview, dict]:
    """The track ids as little-endian int64 bytes (not copied), after checking their shape and type."""
    n_hits = len(loaded[1])
    track_ids = np.asarray(output)
    if track_ids.ndim != 1:
        raise ValueError(
            f"predict_one_event must return one track id per hit (a 1-D array), got shape {track_ids.shape}"
        )
    if len(track_ids) != n_hits:
        raise ValueError(f"predict_one_event returned {len(track_ids)} track ids for {n_hits} hits")
    if track_ids.dtype.kind not in "iu":
        raise ValueError(
            f"predict_one_event must return integer track ids, got dtype {track_ids.dtype}"
        )
    return np.ascontiguousarray(track_ids, dtype="<i8").data.cast("B"), {}

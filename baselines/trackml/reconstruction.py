"""Run a tracker over a directory of TrackML events: submission file, accuracy and timing.

Reads ``eventNNNNNNNNN-hits.csv`` (and ``-cells.csv`` when present) through
``datasets.trackml``, so the real released files work as well as generated ones; when a
``-truth.csv`` lies next to the hits, each event is scored with ``scoring.kernels.weighted_accuracy``.
"""

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from fivesigma.datasets.trackml import list_events, read_event
from fivesigma.scoring.kernels.weighted_accuracy import score_event
from fivesigma.scoring.throughput import throughput_score

from .dbscan import reconstruct_dbscan
from .seeded import reconstruct_seeded

METHODS = ("dbscan", "seeded")


def reconstruct_event(hits, method: str = "seeded", cells=None) -> np.ndarray:
    """Track id per hit (int64 array in the order of ``hits``; 0 collects unassigned hits).

    ``hits``: table with hit_id, x, y, z (mm), volume_id, layer_id, module_id.
    ``method``: "seeded" (triplet seeding and road following) or "dbscan" (clustering of
    unrolled helices). ``cells`` (hit_id, ch0, ch1, value) is optional and used by
    "seeded" to read track angles from pixel cluster shapes.
    """
    if method == "seeded":
        labels = reconstruct_seeded(hits, cells)
    elif method == "dbscan":
        labels = reconstruct_dbscan(hits)
    else:
        raise ValueError(f"unknown method {method!r}; choose from {', '.join(METHODS)}")
    return np.asarray(labels, dtype=np.int64)


def event_files(input_dir) -> list[Path]:
    """Prefixes (``DIR/eventNNNNNNNNN``) of the events with a hits file in ``input_dir``."""
    input_dir = Path(input_dir)
    if not input_dir.is_dir():
        raise FileNotFoundError(f"{input_dir}: no such directory")
    prefixes = [Path(p) for p in list_events(input_dir)]
    prefixes = [p for p in prefixes if _has_part(p, "hits")]
    if not prefixes:
        raise FileNotFoundError(f"{input_dir}: no eventNNNNNNNNN-hits.csv files")
    return prefixes


def _has_part(prefix: Path, part: str) -> bool:
    return any(Path(f"{prefix}-{part}.csv{ext}").exists() for ext in ("", ".gz"))


def _warm_up(method: str, hits, cells) -> None:
    """Compile or load the numba kernels on a slice of an event, so timings exclude that."""
    if method == "seeded":
        reconstruct_event(hits.iloc[:2000], method, None if cells is None else cells)


def run(
    method: str,
    input_dir,
    out_path,
    n_events: int | None = None,
    report: Callable[[str], None] | None = None,
) -> dict:
    """Reconstruct every event of ``input_dir`` (the first ``n_events``) into ``out_path``.

    Writes ``event_id,hit_id,track_id`` rows. Returns a dict with ``method``, ``events``
    (one dict per event: event_id, n_hits, seconds, cpu_seconds, accuracy or None),
    ``mean_seconds``, ``mean_cpu_seconds`` and, when truth was found for every event,
    ``mean_accuracy`` and ``throughput_score``. Seconds are wall-clock seconds spent in
    the reconstruction call only (reading, writing and scoring excluded; numba compilation
    is done beforehand); CPU seconds are this process's processor time in the same call,
    which a busy machine inflates less.
    ``report``, when given, receives one line per event.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose from {', '.join(METHODS)}")
    prefixes = event_files(input_dir)[:n_events]
    rows, events = [], []
    for k, prefix in enumerate(prefixes):
        event_id = int(prefix.name.removeprefix("event"))
        (hits,) = read_event(prefix, parts=("hits",))
        cells = read_event(prefix, parts=("cells",))[0] if _has_part(prefix, "cells") else None
        if k == 0:
            _warm_up(method, hits, cells)
        start, cpu_start = time.perf_counter(), time.process_time()
        track_id = reconstruct_event(hits, method, cells)
        seconds = time.perf_counter() - start
        cpu_seconds = time.process_time() - cpu_start
        submission = pd.DataFrame({"hit_id": hits["hit_id"].to_numpy(), "track_id": track_id})
        accuracy = None
        if _has_part(prefix, "truth"):
            (truth,) = read_event(prefix, parts=("truth",))
            accuracy = score_event(truth, submission)
        events.append(
            {
                "event_id": event_id,
                "n_hits": len(hits),
                "seconds": seconds,
                "cpu_seconds": cpu_seconds,
                "accuracy": accuracy,
            }
        )
        rows.append(submission.assign(event_id=event_id))
        if report:
            shown = "no truth" if accuracy is None else f"accuracy {accuracy:.4f}"
            report(
                f"event {event_id}: {len(hits)} hits, {shown}, {seconds:.3f} s"
                f" ({cpu_seconds:.3f} s CPU)"
            )
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    frame = pd.concat(rows, ignore_index=True)[["event_id", "hit_id", "track_id"]]
    frame.to_csv(out_path, index=False)
    mean_seconds = float(np.mean([e["seconds"] for e in events]))
    summary: dict[str, object] = {
        "method": method,
        "events": events,
        "mean_seconds": mean_seconds,
        "mean_cpu_seconds": float(np.mean([e["cpu_seconds"] for e in events])),
    }
    accuracies = [e["accuracy"] for e in events if e["accuracy"] is not None]
    if len(accuracies) == len(events):
        mean_accuracy = float(np.mean(accuracies))
        summary["mean_accuracy"] = mean_accuracy
        summary["throughput_score"] = float(throughput_score(mean_accuracy, mean_seconds))
    return summary

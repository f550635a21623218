"""A tiny TrackML-like bundle with a code phase: straight tracks a simple model can find."""

from __future__ import annotations

import textwrap
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

RADII_MM = np.array([32.0, 72.0, 116.0, 172.0, 260.0, 360.0])

# A model that finds straight tracks from the origin by their direction (phi, z/r).
STRAIGHT_TRACK_MODEL = """
import numpy as np

class Model:
    def __init__(self, model_dir):
        self.model_dir = model_dir

    def predict_one_event(self, event_id, hits, cells):
        r = np.hypot(hits.x.to_numpy(), hits.y.to_numpy())
        phi = np.round(np.arctan2(hits.y.to_numpy(), hits.x.to_numpy()), 2)
        cot = np.round(hits.z.to_numpy() / r, 2)
        _, track = np.unique(np.stack([phi, cot], axis=1), axis=0, return_inverse=True)
        return track.ravel().astype(np.int64)
"""


def straight_event(event_id: int, n_particles: int, rng: np.random.Generator):
    """hits, cells and truth (with event_id) of one event of straight tracks from the origin."""
    phi = rng.choice(np.linspace(-3.0, 3.0, 300), n_particles, replace=False)
    cot = rng.choice(np.linspace(-1.5, 1.5, 61), n_particles)
    rows = []
    for particle, (p, c) in enumerate(zip(phi, cot, strict=True), start=1):
        for layer, r in enumerate(RADII_MM):
            rows.append((particle, r * np.cos(p), r * np.sin(p), r * c, 2 * (layer + 1)))
    order = rng.permutation(len(rows))
    table = np.array(rows)[order]
    hit_id = np.arange(1, len(rows) + 1)
    hits = pd.DataFrame(
        {
            "hit_id": hit_id,
            "x": table[:, 1],
            "y": table[:, 2],
            "z": table[:, 3],
            "volume_id": 8,
            "layer_id": table[:, 4].astype(int),
            "module_id": 1,
        }
    )
    cells = pd.DataFrame({"hit_id": hit_id, "ch0": 1, "ch1": 1, "value": 0.5})
    particle = table[:, 0].astype(np.int64) * 4503599627370496  # 64-bit ids, as the real files
    truth = pd.DataFrame(
        {
            "event_id": event_id,
            "hit_id": hit_id,
            "particle_id": particle,
            "tx": hits.x,
            "ty": hits.y,
            "tz": hits.z,
            "tpx": 1.0,
            "tpy": 0.5,
            "tpz": 0.2,
            "weight": 1.0 / len(rows),
        }
    )
    return hits, cells, truth


def write_tracking_bundle(
    root: Path, n_events: int = 3, n_particles: int = 40, seed: int = 4
) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    (root / "data" / "test").mkdir(parents=True, exist_ok=True)
    truths = []
    for event_id in range(1000, 1000 + n_events):
        hits, cells, truth = straight_event(event_id, n_particles, rng)
        hits.to_csv(root / "data" / "test" / f"event{event_id:09d}-hits.csv", index=False)
        cells.to_csv(root / "data" / "test" / f"event{event_id:09d}-cells.csv", index=False)
        truths.append(truth)
    solution = pd.concat(truths, ignore_index=True)
    solution.to_csv(root / "data" / "solution.csv", index=False)
    (root / "challenge.yaml").write_text(
        textwrap.dedent("""\
        version: 1
        slug: tiny-tracks
        title: Tiny tracks
        phases:
          - key: throughput
            title: Throughput
            start: 2020-01-01T00:00:00Z
            end: 2099-01-01T00:00:00Z
            kind: code
            metric: throughput
            solution: data/solution.csv
            split: {by: event, column: event_id, public_fraction: 0.34, seed: 1}
            code: {harness: trackml, input: data/test, time_limit_s: 120, memory_limit_mb: 2048}
        """)
    )
    return solution


def model_zip(path: Path, source: str = STRAIGHT_TRACK_MODEL) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("submission.py", source)
    return path

"""TrackML-like files: a code-phase bundle of straight tracks a simple model can find, and a
toy solution and submission (helix-like particles) scored for their diagnostics."""

from __future__ import annotations

import textwrap
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


def write_trackml_event(directory: Path, event_id: int, n_hits: int, seed: int = 0) -> None:
    """A tiny event of random hits (no tracks) in the official TrackML file format, hits and
    cells, written into ``directory`` (positions in mm)."""
    rng = np.random.default_rng(seed + event_id)
    hit_id = np.arange(1, n_hits + 1)
    hits = pd.DataFrame(
        {
            "hit_id": hit_id,
            "x": rng.normal(0, 300, n_hits),
            "y": rng.normal(0, 300, n_hits),
            "z": rng.normal(0, 1000, n_hits),
            "volume_id": 8,
            "layer_id": 2 * rng.integers(1, 5, n_hits),
            "module_id": rng.integers(1, 100, n_hits),
        }
    )
    cells = pd.DataFrame(
        {"hit_id": hit_id, "ch0": rng.integers(0, 100, n_hits), "ch1": 3, "value": 0.1}
    )
    hits.to_csv(directory / f"event{event_id:09d}-hits.csv", index=False)
    cells.to_csv(directory / f"event{event_id:09d}-cells.csv", index=False)


def write_tracking_bundle(
    root: Path, n_events: int = 3, n_particles: int = 40, seed: int = 4
) -> pd.DataFrame:
    """Write a bundle with one code phase (harness ``trackml``, metric ``throughput``) into
    ``root``; return its solution (the truth of every event)."""
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


def toy_solution(seed: int = 0, n_events: int = 3, n_particles: int = 12) -> pd.DataFrame:
    """Three events of twelve helix-like particles with six hits each (mm, GeV); event 1 is
    public, events 2 and 3 private."""
    rng = np.random.default_rng(seed)
    rows = []
    for event in range(1, n_events + 1):
        hit = 0
        for particle in range(n_particles):
            pt = rng.uniform(0.3, 6.0)
            phi = rng.uniform(-np.pi, np.pi)
            eta = rng.uniform(-2.5, 2.5)
            pz = pt * np.sinh(eta)
            for radius in RADII_MM:
                hit += 1
                bend = radius / (pt * 2000.0)
                rows.append(
                    {
                        "event_id": event,
                        "hit_id": hit,
                        "particle_id": 4503599627370496 + 1000 * event + particle,
                        "tx": radius * np.cos(phi + bend),
                        "ty": radius * np.sin(phi + bend),
                        "tz": radius * np.sinh(eta),
                        "tpx": pt * np.cos(phi + 2 * bend),
                        "tpy": pt * np.sin(phi + 2 * bend),
                        "tpz": pz,
                        "weight": 1.0,
                        "Usage": "Public" if event == 1 else "Private",
                    }
                )
    frame = pd.DataFrame(rows)
    frame["weight"] /= frame.groupby("event_id")["weight"].transform("sum")
    return frame


def toy_submission(
    solution: pd.DataFrame, seed: int = 1, split_fraction: float = 0.25
) -> pd.DataFrame:
    """Tracks = particles, except a random quarter whose outer hits go to a track of their own."""
    rng = np.random.default_rng(seed)
    track = pd.factorize(solution["particle_id"])[0] + 1
    split = rng.random(track.max() + 1) < split_fraction
    outer = solution.groupby("particle_id").cumcount().to_numpy() >= 3
    track = np.where(split[track] & outer, track + 10_000, track)
    return pd.DataFrame(
        {"event_id": solution["event_id"], "hit_id": solution["hit_id"], "track_id": track}
    )


def toy_diagnostics(metric_key: str, **context) -> tuple[dict, dict]:
    """(scores per subset, diagnostics per subset) of the toy submission under ``metric_key``,
    scored by the scoring package."""
    from fivesigma.scoring import registry

    solution = toy_solution()
    result = registry.get(metric_key).evaluate(
        solution, toy_submission(solution), n_bootstrap=20, **context
    )
    scores = {subset: result[subset] for subset in ("public", "private")}
    return scores, result["diagnostics"]

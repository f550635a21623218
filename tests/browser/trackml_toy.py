"""A toy TrackML solution and submission, scored by the scoring package for its diagnostics.

Three events of twelve helix-like particles with six hits each (mm, GeV); event 1 is
public, events 2 and 3 private. The submission finds most particles and splits a few.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

RADII_MM = np.array([32.0, 72.0, 116.0, 172.0, 260.0, 360.0])


def toy_solution(seed: int = 0, n_events: int = 3, n_particles: int = 12) -> pd.DataFrame:
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


def diagnostics(metric_key: str, **context) -> tuple[dict, dict]:
    """(scores per subset, diagnostics per subset) of the toy submission under ``metric_key``."""
    from fivesigma.scoring import registry

    solution = toy_solution()
    result = registry.get(metric_key).evaluate(
        solution, toy_submission(solution), n_bootstrap=20, **context
    )
    scores = {subset: result[subset] for subset in ("public", "private")}
    return scores, result["diagnostics"]

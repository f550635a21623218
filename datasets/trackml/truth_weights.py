"""Per-hit truth weights of the TrackML accuracy score (REFERENCE.md section 2).

weight = w_pt(particle pT) * w_order(rank of the hit along the particle), normalised so the
event's weights sum to 1; zero for noise, particles with fewer than 4 hits and secondaries.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fivesigma.datasets.trackml import barcode

ORDER_PROFILE = np.array([10, 8, 6, 5, 3, 3, 3, 5, 6], dtype=np.float64)
MAX_ORDERED_HITS = 20
MIN_HITS = 4


def pt_weight(pt: np.ndarray) -> np.ndarray:
    """w_pt of transverse momenta pt (GeV): 0 below 0.05, 0.2 to 0.5, linear to 1.0 at 3."""
    pt = np.asarray(pt, dtype=np.float64)
    ramp = 0.2 + 0.8 * (pt - 0.5) / 2.5
    return np.where(pt < 0.05, 0.0, np.where(pt < 0.5, 0.2, np.where(pt < 3.0, ramp, 1.0)))


def order_weights(n_hits: int) -> np.ndarray:
    """w_order of a particle's hits 0..n_hits-1 ordered by |tz - vz|, summing to 1."""
    n = min(n_hits, MAX_ORDERED_HITS)
    supports = np.arange(len(ORDER_PROFILE)) * (n - 1) / (len(ORDER_PROFILE) - 1)
    w = np.interp(np.arange(n), supports, ORDER_PROFILE)
    out = np.zeros(n_hits)
    out[:n] = w / w.sum()
    return out


_ORDER_TABLE = np.zeros((MAX_ORDERED_HITS + 1, MAX_ORDERED_HITS))
for _n in range(1, MAX_ORDERED_HITS + 1):
    _ORDER_TABLE[_n, :_n] = order_weights(_n)


def hit_weights(
    hit_particle: np.ndarray,
    hit_distance: np.ndarray,
    particle_pt: np.ndarray,
    particle_secondary: np.ndarray,
) -> np.ndarray:
    """Normalised weights of an event's hits.

    hit_particle: row of each hit's particle in the particle arrays, -1 for noise;
    hit_distance: |tz - vz| of each hit (mm); particle_pt: pT (GeV) of each particle;
    particle_secondary: True for particles not from a primary vertex.
    """
    hit_particle = np.asarray(hit_particle, dtype=np.int64)
    weights = np.zeros(len(hit_particle))
    signal = np.flatnonzero(hit_particle >= 0)
    if len(signal) == 0:
        return weights
    owner = hit_particle[signal]
    order = np.lexsort((hit_distance[signal], owner))
    sorted_owner = owner[order]
    starts = np.flatnonzero(np.r_[True, sorted_owner[1:] != sorted_owner[:-1]])
    counts = np.diff(np.r_[starts, len(sorted_owner)])
    n_of_hit = np.repeat(counts, counts)
    rank = np.arange(len(sorted_owner)) - np.repeat(starts, counts)
    w_order = np.where(
        rank < MAX_ORDERED_HITS,
        _ORDER_TABLE[
            np.minimum(n_of_hit, MAX_ORDERED_HITS), np.minimum(rank, MAX_ORDERED_HITS - 1)
        ],
        0.0,
    )
    w_pt = pt_weight(particle_pt)[sorted_owner]
    keep = (n_of_hit >= MIN_HITS) & ~np.asarray(particle_secondary, dtype=bool)[sorted_owner]
    weights[signal[order]] = np.where(keep, w_pt * w_order, 0.0)
    total = weights.sum()
    return weights / total if total > 0 else weights


def event_weights(truth: pd.DataFrame, particles: pd.DataFrame) -> np.ndarray:
    """Weights of the truth rows from the truth and particles tables of one event.

    The particle's hit count is taken from the truth table, pT from (px, py) and the
    secondary flag from the generation bits of particle_id.
    """
    pid = truth["particle_id"].to_numpy()
    known = particles["particle_id"].to_numpy()
    signal = pid != 0
    row = np.full(len(pid), -1, dtype=np.int64)
    if signal.any():
        sorter = np.argsort(known, kind="stable")
        pos = np.minimum(np.searchsorted(known, pid[signal], sorter=sorter), len(known) - 1)
        if len(known) == 0 or (known[sorter[pos]] != pid[signal]).any():
            raise ValueError("truth has particle_id values missing from the particles table")
        row[signal] = sorter[pos]
    vz = particles["vz"].to_numpy(np.float64)
    distance = np.abs(truth["tz"].to_numpy(np.float64) - np.where(row >= 0, vz[row], 0.0))
    pt = np.hypot(particles["px"].to_numpy(np.float64), particles["py"].to_numpy(np.float64))
    secondary = barcode.decode(known, "generation") != 0
    return hit_weights(row, distance, pt, secondary)

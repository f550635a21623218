"""Tracking efficiency of a TrackML submission versus particle pT and pseudorapidity eta.

A particle is *found* when it is the majority particle of a good track (the rules of
:mod:`scoring.kernels.weighted_accuracy`); the denominator is every particle with non-zero truth weight.
Particle kinematics come from the truth momentum at its hits (tpx, tpy, tpz in GeV),
averaged over the particle's hits.
"""

from __future__ import annotations

import numpy as np

from fivesigma.scoring.kernels.weighted_accuracy import EventMatch
from fivesigma.scoring.metric import finite_or_none, rounded

PT_EDGES_GEV = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0)  # last bin open above 10 GeV
ETA_EDGES = tuple(np.round(np.arange(-4.0, 4.01, 0.5), 1))  # outside +-4 counts in the end bins
DISPLAY_PARTICLES = 25


def particle_kinematics(match: EventMatch, truth: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per dense particle of ``match``: pt (GeV), eta, truth weight, found flag.

    ``truth`` holds the event's tpx, tpy, tpz and weight columns in truth hit order.
    """
    n = match.n_particles
    hits = np.bincount(match.particle, minlength=n)
    pt_hit = np.hypot(truth["tpx"], truth["tpy"])
    eta_hit = np.arcsinh(
        np.divide(truth["tpz"], pt_hit, out=np.zeros_like(pt_hit), where=pt_hit > 0)
    )
    return {
        "pt": np.bincount(match.particle, weights=pt_hit, minlength=n) / hits,
        "eta": np.bincount(match.particle, weights=eta_hit, minlength=n) / hits,
        "weight": np.bincount(match.particle, weights=truth["weight"], minlength=n),
        "found": match.found,
    }


class EfficiencyHistogram:
    """Found and total particle counts in bins of one variable, summed over events."""

    def __init__(self, variable: str, edges, unit: str, open_above: bool):
        self.variable = variable
        self.edges = np.asarray(edges, dtype=np.float64)
        self.unit = unit
        self.open_above = open_above
        n_bins = self.edges.size if open_above else self.edges.size - 1
        self.found = np.zeros(n_bins, dtype=np.int64)
        self.total = np.zeros(n_bins, dtype=np.int64)

    def fill(self, values: np.ndarray, found: np.ndarray) -> None:
        bins = np.searchsorted(self.edges, values, side="right") - 1
        bins = np.clip(bins, 0, self.found.size - 1)
        self.total += np.bincount(bins, minlength=self.found.size)
        self.found += np.bincount(bins[found], minlength=self.found.size)

    def as_dict(self) -> dict:
        high = list(self.edges[1:]) + ([None] if self.open_above else [])
        efficiency = [
            finite_or_none(f / t) if t else None
            for f, t in zip(self.found, self.total, strict=True)
        ]
        return {
            "variable": self.variable,
            "unit": self.unit,
            "low": rounded(self.edges[: self.found.size]),
            "high": [None if h is None else float(h) for h in high],
            "found": self.found.tolist(),
            "total": self.total.tolist(),
            "efficiency": efficiency,
        }


def efficiency_histograms() -> dict[str, EfficiencyHistogram]:
    """Empty histograms of efficiency versus pT (GeV) and eta."""
    return {
        "pt": EfficiencyHistogram("pT", PT_EDGES_GEV, "GeV", open_above=True),
        "eta": EfficiencyHistogram("eta", ETA_EDGES, "", open_above=False),
    }


def fill_histograms(
    histograms: dict[str, EfficiencyHistogram], kinematics: dict[str, np.ndarray]
) -> None:
    """Add one event's particles with non-zero weight to the histograms."""
    counted = kinematics["weight"] > 0
    for key, histogram in histograms.items():
        histogram.fill(kinematics[key][counted], kinematics["found"][counted])


def display_sample(
    event_id: int,
    match: EventMatch,
    truth: dict[str, np.ndarray],
    kinematics: dict[str, np.ndarray],
    seed: int,
) -> dict:
    """Up to 25 weighted particles of one event with their hits (mm) and submitted track ids.

    Hits are ordered by distance from the origin; ids are strings (64-bit ids do not survive
    JavaScript numbers).
    """
    candidates = np.flatnonzero(kinematics["weight"] > 0)
    rng = np.random.default_rng(seed)
    chosen = np.sort(
        rng.choice(candidates, size=min(DISPLAY_PARTICLES, candidates.size), replace=False)
    )
    order = np.argsort(match.particle, kind="stable")
    starts = np.searchsorted(match.particle[order], chosen)
    stops = np.searchsorted(match.particle[order], chosen, side="right")
    particles = []
    for dense, start, stop in zip(chosen, starts, stops, strict=True):
        rows = order[start:stop]
        rows = rows[
            np.argsort(np.hypot(np.hypot(truth["tx"][rows], truth["ty"][rows]), truth["tz"][rows]))
        ]
        particles.append(
            {
                "particle_id": str(truth["particle_id"][rows[0]]),
                "pt": float(f"{kinematics['pt'][dense]:.4g}"),
                "found": bool(kinematics["found"][dense]),
                "x": rounded(np.round(truth["tx"][rows], 1)),
                "y": rounded(np.round(truth["ty"][rows], 1)),
                "z": rounded(np.round(truth["tz"][rows], 1)),
                "track_id": [str(t) for t in match.track[rows]],
            }
        )
    return {"event_id": int(event_id), "units": "mm", "particles": particles}

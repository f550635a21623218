"""Reference pseudorapidity spectrum of TrackML events, and the comparison to generated ones.

The reference is the share of particles per |eta| bin:

- below |eta| = 2.5, in bins of 0.1, the shape of the charged-particle density dN/deta
  measured by ATLAS in 13 TeV minimum-bias collisions for pT > 100 MeV: Eur. Phys. J. C 76
  (2016) 502, arXiv:1606.01133, HEPData record ins1467230, distribution d03-x01-y01
  (charged particles without strange baryons, events with at least two such particles);
  the two halves eta < 0 and eta > 0 are averaged;
- above |eta| = 2.5, one bin whose share makes the median |eta| equal to 1.5, the median of
  the particles of the released TrackML training events (the measurement stops at 2.5).

Generated events are compared through their primary particles above 100 MeV (the
measurement's definition). Pile-up at 14 TeV (the TrackML events) has the shape of 13 TeV
within a few per cent; the normalisation does not enter, only shares are compared.
"""

from __future__ import annotations

import numpy as np

from fivesigma.datasets.trackml import barcode

MEDIAN_ABS_ETA = 1.5  # released TrackML particle files
PT_THRESHOLD = 0.1  # GeV, that of the measurement
ETA_STEP = 0.1
ETA_MEASURED = 2.5  # the measurement covers |eta| < 2.5

# dN/deta in the 50 bins of width 0.1 from eta = -2.5 to 2.5 (ATLAS, see the module docstring)
ATLAS_13TEV_DNDETA = np.array([
    6.4498, 6.5268, 6.6180, 6.7306, 6.8160, 6.8155, 6.8220, 6.8850, 6.9356, 6.9471,
    6.8970, 6.8561, 6.8299, 6.8254, 6.7895, 6.7497, 6.7035, 6.6537, 6.6046, 6.5582,
    6.5098, 6.4800, 6.4470, 6.4316, 6.4229, 6.4105, 6.4162, 6.4345, 6.4615, 6.5042,
    6.5413, 6.5881, 6.6310, 6.6779, 6.7196, 6.7655, 6.7957, 6.8173, 6.8269, 6.8408,
    6.8807, 6.9065, 6.8639, 6.8227, 6.8056, 6.8217, 6.7797, 6.6271, 6.5192, 6.4524,
])  # fmt: skip


def abs_eta_edges() -> np.ndarray:
    """Bin edges in |eta|: 0, 0.1, ..., 2.5 and infinity."""
    n = round(ETA_MEASURED / ETA_STEP)
    return np.r_[np.arange(n + 1) * ETA_STEP, np.inf]


def reference_shares() -> np.ndarray:
    """Share of particles in each |eta| bin of :func:`abs_eta_edges` (sums to 1)."""
    half = len(ATLAS_13TEV_DNDETA) // 2
    folded = 0.5 * (ATLAS_13TEV_DNDETA[half:] + ATLAS_13TEV_DNDETA[half - 1 :: -1])
    below_median = folded[: round(MEDIAN_ABS_ETA / ETA_STEP)].sum()
    measured = folded / (2 * below_median)  # half of all particles lie below the median
    return np.r_[measured, 1.0 - measured.sum()]


def abs_eta(px, py, pz) -> np.ndarray:
    """|eta| of momenta (any unit)."""
    return np.abs(np.arcsinh(np.asarray(pz, np.float64) / np.hypot(px, py)))


def generated_shares(particles) -> np.ndarray:
    """Share per |eta| bin of a particles table's primaries (generation 0) above 100 MeV.

    Secondaries from the detector material are left out, as in the measurement.
    """
    px, py, pz = (particles[c].to_numpy(np.float64) for c in ("px", "py", "pz"))
    primary = barcode.decode(particles.particle_id.to_numpy(), "generation") == 0
    keep = primary & (np.hypot(px, py) > PT_THRESHOLD)
    counts = np.histogram(abs_eta(px[keep], py[keep], pz[keep]), bins=abs_eta_edges())[0]
    return counts / counts.sum()

"""Tracks by DBSCAN on unrolled helices, the well-known TrackML baseline.

For each hypothesis (curvature c, origin z0) on a grid, the hits are mapped to the
unrolled coordinates of :mod:`baselines.trackml.helix_unrolling` and clustered with
scikit-learn's DBSCAN. A hit moves to the cluster of a new hypothesis when that cluster is
larger than the one it belongs to (but no larger than a real track can be), so each hit
ends in the largest consistent group found over the whole scan.
"""

from typing import NamedTuple

import numpy as np
from sklearn.cluster import DBSCAN

from .helix_unrolling import curvature_of, unrolled_features


class DbscanConfig(NamedTuple):
    """Scan grid and clustering settings (GeV, mm)."""

    pt_min: float = 0.2  # lowest pT scanned (GeV); c runs over +-1/(2 R(pt_min))
    n_curvatures: int = 121  # values of c scanned, including c = 0
    z0_values: tuple = (0.0,)  # origins scanned (mm); see docs/baselines-trackml.md
    eps: float = 0.0025  # DBSCAN neighbourhood radius in feature units
    min_samples: int = 1  # DBSCAN core-point threshold
    z_scale: float = 1.5  # weight of the dip angle against the azimuth
    max_track_hits: int = 20  # clusters above this size are not real tracks
    min_track_hits: int = 3  # smaller final clusters become unassigned (track 0)


def curvature_grid(config: DbscanConfig) -> np.ndarray:
    """The curvatures c (1/mm) scanned, symmetric around 0."""
    c_max = abs(curvature_of(config.pt_min))
    return np.linspace(-c_max, c_max, config.n_curvatures)


def merge_clusters(labels, sizes, new_labels, max_size):
    """Move hits to their new cluster where it is larger than their current one.

    ``labels``/``sizes``: current cluster id and its size per hit (updated in place);
    ``new_labels``: this hypothesis' cluster ids (unique across hypotheses), -1 for hits
    DBSCAN left in no cluster.
    """
    clustered = new_labels >= 0
    first = new_labels[clustered].min(initial=0)
    new_sizes = np.zeros_like(sizes)
    new_sizes[clustered] = np.bincount(new_labels[clustered] - first)[new_labels[clustered] - first]
    better = clustered & (new_sizes > sizes) & (new_sizes <= max_size)
    labels[better] = new_labels[better]
    sizes[better] = new_sizes[better]


def reconstruct_dbscan(hits, config: DbscanConfig | None = None) -> np.ndarray:
    """Track id per hit (int64, in the order of ``hits``; 0 for unassigned hits).

    ``hits``: table with x, y, z (mm).
    """
    config = config or DbscanConfig()
    x, y, z = (np.asarray(hits[c], dtype=np.float64) for c in ("x", "y", "z"))
    n = len(x)
    labels = np.arange(n, dtype=np.int64)  # every hit starts alone
    sizes = np.ones(n, dtype=np.int64)
    offset = n
    clusterer = DBSCAN(eps=config.eps, min_samples=config.min_samples, algorithm="kd_tree")
    for z0 in config.z0_values:
        for curvature in curvature_grid(config):
            features = unrolled_features(x, y, z, curvature, z0, config.z_scale)
            found = clusterer.fit_predict(features).astype(np.int64)
            new_labels = np.where(found >= 0, found + offset, -1)
            offset = int(new_labels.max(initial=offset)) + 1
            merge_clusters(labels, sizes, new_labels, config.max_track_hits)
    return _renumber(labels, config.min_track_hits)


def _renumber(labels, min_hits):
    """Track ids 1, 2, ... for clusters of at least ``min_hits`` hits, 0 for the rest."""
    _, index, counts = np.unique(labels, return_inverse=True, return_counts=True)
    big = counts >= min_hits
    ids = np.where(big, np.cumsum(big), 0)
    return ids[index].astype(np.int64)

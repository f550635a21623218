"""Track angles read from the shape of pixel clusters.

A track crossing a barrel pixel sensor of thickness t at polar angle theta leaves a cluster
about ``t * |cot(theta)| / pitch_v`` cells long along z (the module's v axis, channel
``ch1``). The measured length therefore bounds |cot(theta)| of the track through each
barrel pixel hit, which removes most wrong hit pairs before any fit. Only the official
pixel barrel (volume 8: thickness 0.15 mm, pitch_v 0.05625 mm) is used; other hits get no
bound. Clusters are read out to at most ``LONGEST_CLUSTER`` cells, so longer tracks give
only a lower bound.
"""

import numpy as np

PIXEL_BARREL_VOLUME = 8
CELLS_PER_COT = 0.15 / 0.05625  # thickness / pitch_v: cluster cells per unit |cot(theta)|
SHORTER_BY = 2.5  # a cluster is at most this many cells longer than the track's path ...
LONGER_BY = 0.2  # ... and at most this many cells shorter
LONGEST_CLUSTER = 15  # clusters this long or longer may be truncated


def cluster_lengths(hit_id, cell_hit_id, cell_ch1) -> np.ndarray:
    """Extent along ch1 (cells, max - min + 1) of each hit's cluster; 0 for hits without cells."""
    hit_id = np.asarray(hit_id, dtype=np.int64)
    cell_hit_id = np.asarray(cell_hit_id, dtype=np.int64)
    cell_ch1 = np.asarray(cell_ch1, dtype=np.int64)
    size = int(max(hit_id.max(initial=0), cell_hit_id.max(initial=0))) + 1
    lowest = np.full(size, np.iinfo(np.int64).max)
    highest = np.zeros(size, dtype=np.int64)
    np.minimum.at(lowest, cell_hit_id, cell_ch1)
    np.maximum.at(highest, cell_hit_id, cell_ch1)
    has_cells = np.bincount(cell_hit_id, minlength=size)[hit_id] > 0
    return np.where(has_cells, highest[hit_id] - lowest[hit_id] + 1, 0)


def cot_theta_bounds(volume_id, length) -> tuple[np.ndarray, np.ndarray]:
    """Bounds (low, high) on |cot(theta)| per hit from its cluster length (cells).

    Hits outside the pixel barrel or without cells get (0, inf).
    """
    length = np.asarray(length, dtype=np.float64)
    measured = (np.asarray(volume_id) == PIXEL_BARREL_VOLUME) & (length > 0)
    low = np.where(measured, np.maximum(length - SHORTER_BY, 0.0) / CELLS_PER_COT, 0.0)
    high = np.where(
        measured & (length < LONGEST_CLUSTER), (length + LONGER_BY) / CELLS_PER_COT, np.inf
    )
    return low, high

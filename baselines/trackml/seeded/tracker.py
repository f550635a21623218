"""The seeded tracker: triplet seeds, road following, shared-hit resolution, labels.

Each pass seeds triplets among the hits no accepted track holds yet, follows every seed
into a track candidate, then accepts candidates longest (and, among equals, best fitting)
first: a candidate keeps the hits no earlier candidate took, and is dropped when fewer
than ``min_hits`` remain. Hits left over at the end share track id 0.
"""

from typing import NamedTuple

import numpy as np
from numba import njit

from .clusters import cluster_lengths, cot_theta_bounds
from .detector import measure_layers
from .following import MAX_TRACK_HITS, RoadConfig, follow
from .grid import build_grid, geometry_table, hit_table
from .seeding import SeedConfig, find_triplets, pixel_layer_triples


class TrackerConfig(NamedTuple):
    """Settings of the tracker (see :class:`RoadConfig` and :class:`SeedConfig`).

    ``passes`` lists (pt_min in GeV, min_hits) per pass: each pass seeds among the hits
    still free with that momentum threshold and keeps tracks of at least min_hits hits.
    """

    seed: SeedConfig = SeedConfig()
    road: RoadConfig = RoadConfig()
    passes: tuple = ((1.0, 7), (0.3, 6), (0.1, 5))


@njit(cache=True)
def build_tracks(
    triplets, hits, hit_layer, hit_module, hit_used, order, bin_start, geometry, road,
    min_hits, labels, next_label,
):  # fmt: skip
    """Follow the triplets in turn; keep each track of at least ``min_hits`` hits at once.

    A seed with a hit taken by an earlier track is skipped. Kept tracks get labels from
    ``next_label`` upwards and their hits are marked used. Returns the next free label.
    """
    track = np.empty(MAX_TRACK_HITS, dtype=np.int64)
    for t in range(triplets.shape[0]):
        if hit_used[triplets[t, 0]] or hit_used[triplets[t, 1]] or hit_used[triplets[t, 2]]:
            continue
        track[:3] = triplets[t]
        n, _ = follow(
            track, 3, hits, hit_layer, hit_module, hit_used, order, bin_start, geometry, road
        )
        if n < min_hits:
            continue
        for i in range(n):
            hit_used[track[i]] = True
            labels[track[i]] = next_label
        next_label += 1
    return next_label


def reconstruct_seeded(hits, cells=None, config=None):
    """Track id per hit (int64, in hit order; 0 for hits on no track).

    ``hits``: table (DataFrame or mapping of columns) with hit_id, x, y, z (mm), volume_id,
    layer_id, module_id. ``cells``: optional table with hit_id, ch1; pixel cluster lengths
    then narrow the seed search (see :mod:`.clusters`).
    """
    config = config or TrackerConfig()
    x, y, z = (np.asarray(hits[c], dtype=np.float64) for c in ("x", "y", "z"))
    hit_layer, layers = measure_layers(x, y, z, hits["volume_id"], hits["layer_id"])
    table = hit_table(x, y, z)
    geometry = geometry_table(layers)
    module = np.asarray(hits["module_id"], dtype=np.int64)
    if cells is not None:
        length = cluster_lengths(hits["hit_id"], cells["hit_id"], cells["ch1"])
    else:
        length = np.zeros(len(x))
    cot_lo, cot_hi = cot_theta_bounds(hits["volume_id"], length)
    order, bin_start = build_grid(table, hit_layer, geometry)
    triples = pixel_layer_triples(
        layers.is_barrel, layers.is_pixel, layers.position, layers.u_min, layers.u_max
    )
    labels = np.zeros(len(x), dtype=np.int64)
    hit_used = np.zeros(len(x), dtype=np.bool_)
    next_label = 1
    for pt_min, min_hits in config.passes:
        seed = config.seed._replace(pt_min=pt_min)
        triplets, quality = find_triplets(
            triples, table, hit_used, cot_lo, cot_hi, order, bin_start, geometry, seed
        )
        triplets = triplets[np.argsort(quality, kind="stable")]
        next_label = build_tracks(
            triplets, table, hit_layer, module, hit_used, order, bin_start, geometry,
            config.road, min_hits, labels, next_label,
        )  # fmt: skip
    return labels

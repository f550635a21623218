"""The seeded tracker: triplet seeds, road following, shared-hit resolution, labels.

Each pass seeds triplets among the hits no accepted track holds yet, follows every seed
into a track candidate, then accepts candidates longest (and, among equals, best fitting)
first: a candidate keeps the hits no earlier candidate took, and is dropped when fewer
than ``min_hits`` remain. Hits left over at the end share track id 0.
"""

from typing import NamedTuple

import numpy as np
from numba import njit

from .detector import measure_layers
from .following import MAX_TRACK_HITS, RoadConfig, follow
from .grid import build_grid, geometry_table, hit_table
from .seeding import SeedConfig, find_triplets, pixel_layer_pairs


class TrackerConfig(NamedTuple):
    """Settings of the tracker (see :class:`RoadConfig` and :class:`SeedConfig`)."""

    seed: SeedConfig = SeedConfig()
    road: RoadConfig = RoadConfig()
    min_hits: int = 5  # shortest track kept
    min_kept_fraction: float = 0.5  # of a candidate's hits that must be free to keep it


@njit(cache=True)
def follow_seeds(triplets, hits, hit_layer, hit_module, hit_used, order, bin_start, geometry, road):
    """Follow every triplet (in the given order) into a candidate.

    A seed whose three hits all lie on one earlier candidate is skipped: it would only
    rebuild that candidate. Returns the candidates' hits (flat), start offsets and
    per-candidate (number of hits, sum of normalised distances squared).
    """
    n_hits = hits.shape[0]
    last_candidate = np.full(n_hits, -1, dtype=np.int64)
    flat = np.empty(max(16, 8 * triplets.shape[0]), dtype=np.int64)
    start = np.zeros(triplets.shape[0] + 1, dtype=np.int64)
    chi2 = np.empty(triplets.shape[0])
    track = np.empty(MAX_TRACK_HITS, dtype=np.int64)
    count = 0
    for t in range(triplets.shape[0]):
        c = last_candidate[triplets[t, 0]]
        if c >= 0 and last_candidate[triplets[t, 1]] == c and last_candidate[triplets[t, 2]] == c:
            continue
        track[:3] = triplets[t]
        n, chi2_sum = follow(
            track, 3, hits, hit_layer, hit_module, hit_used, order, bin_start, geometry, road
        )
        end = start[count] + n
        if end > flat.shape[0]:
            bigger = np.empty(2 * end, dtype=np.int64)
            bigger[: start[count]] = flat[: start[count]]
            flat = bigger
        flat[start[count] : end] = track[:n]
        for i in range(n):
            last_candidate[track[i]] = count
        chi2[count] = chi2_sum
        count += 1
        start[count] = end
    return flat[: start[count]].copy(), start[: count + 1].copy(), chi2[:count].copy()


@njit(cache=True)
def accept_candidates(flat, start, ranking, labels, hit_used, next_label, min_hits, min_fraction):
    """Give each candidate, in ``ranking`` order, the hits still free; drop short ones.

    Writes track labels (from ``next_label`` upwards) and marks the hits used. Returns the
    next free label.
    """
    for c in ranking:
        free = 0
        for j in range(start[c], start[c + 1]):
            if not hit_used[flat[j]]:
                free += 1
        n = start[c + 1] - start[c]
        if free < min_hits or free < min_fraction * n:
            continue
        for j in range(start[c], start[c + 1]):
            hit = flat[j]
            if not hit_used[hit]:
                hit_used[hit] = True
                labels[hit] = next_label
        next_label += 1
    return next_label


def reconstruct_seeded(x, y, z, volume_id, layer_id, module_id, config=TrackerConfig()):
    """Track id per hit (int64; 0 for hits on no track) from hit positions in mm."""
    hit_layer, layers = measure_layers(x, y, z, volume_id, layer_id)
    hits = hit_table(x, y, z)
    geometry = geometry_table(layers)
    module = np.asarray(module_id, dtype=np.int64)
    order, bin_start = build_grid(hits, hit_layer, geometry)
    pairs = pixel_layer_pairs(layers.is_barrel, layers.is_pixel, layers.position)
    labels = np.zeros(len(hits), dtype=np.int64)
    hit_used = np.zeros(len(hits), dtype=np.bool_)
    triplets, quality = find_triplets(
        pairs,
        hits,
        hit_layer,
        module,
        hit_used,
        order,
        bin_start,
        geometry,
        config.seed,
        config.road,
    )
    triplets = triplets[np.argsort(quality, kind="stable")]
    flat, start, chi2 = follow_seeds(
        triplets, hits, hit_layer, module, hit_used, order, bin_start, geometry, config.road
    )
    length = np.diff(start)
    ranking = np.lexsort((chi2 / np.maximum(length, 1), -length))
    accept_candidates(
        flat, start, ranking, labels, hit_used, 1, config.min_hits, config.min_kept_fraction
    )
    return labels

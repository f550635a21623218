"""The seeded tracker: triplet seeds, road following, shared-hit resolution, labels.

Each pass seeds triplets among the hits no accepted track holds yet, follows every seed
into a track candidate, then accepts candidates with the most layers (less holes and
misfit) first: a candidate keeps the hits no earlier candidate took, and is dropped when
fewer than ``min_hits`` remain. Early passes are strict, for clean tracks; the last ones
allow more multiple scattering in seeds and roads, for the slowest particles among the
hits left. After the passes every track is followed once more through the hits left
free, and the innermost hits are handed out again between all tracks. Hits left over at
the end share track id 0.
"""

from typing import NamedTuple

import numpy as np
from numba import njit

from .clusters import cluster_lengths, cot_theta_bounds
from .detector import measure_layers
from .following import MAX_TRACK_HITS, RoadConfig, follow
from .grid import HR, build_grid, geometry_table, hit_table
from .innermost import InnermostConfig, hits_of_tracks, resolve_innermost_hits
from .seeding import SeedConfig, best_first_hits, find_triplets, remembered_layer_triples


class Pass(NamedTuple):
    """One pass: seeds among the hits still free with momentum threshold ``pt_min`` (GeV),
    tracks of at least ``min_hits`` hits. ``looseness`` multiplies the multiple scattering
    the seeds may show (:class:`SeedConfig` bend_ms, dip_gev, kappa_gev) and the misfit a
    track may have (``TrackerConfig.max_misfit``). Seeds lie on three consecutive pixel
    layers; with ``gaps`` also on layers skipping one, for tracks that left no hit there.
    """

    pt_min: float
    min_hits: int
    looseness: float = 1.0
    gaps: bool = False


class TrackerConfig(NamedTuple):
    """Settings of the tracker (see :class:`Pass`, :class:`SeedConfig`,
    :class:`RoadConfig` and :class:`InnermostConfig`)."""

    seed: SeedConfig = SeedConfig()
    road: RoadConfig = RoadConfig()
    innermost: InnermostConfig = InnermostConfig()
    passes: tuple = (
        Pass(0.5, 8, looseness=0.7),
        Pass(0.2, 7, looseness=0.7),
        Pass(0.1, 5),
        Pass(0.05, 5, looseness=2.0),
        Pass(0.05, 3, looseness=3.0, gaps=True),
    )
    max_misfit: float = 0.3  # mean normalised distance squared of a kept track's hits
    misfit_weight: float = 10.0  # layers a unit of mean misfit costs in the ranking
    resolve_innermost: bool = True  # innermost hits handed out again at the end
    extend: bool = True  # follow every track once more at the end (see extend_tracks)


@njit(cache=True)
def follow_seeds(
    triplets, hits, hit_layer, hit_module, hit_used, bin_start, geometry, road, min_hits,
    max_misfit,
):  # fmt: skip
    """Follow every triplet (best first) into a candidate track; keep candidates of at least
    ``min_hits`` hits, at most ``road.max_holes`` holes and a mean normalised distance
    squared of the added hits to the road of at most ``max_misfit``.

    A seed whose three hits all lie on one earlier candidate is skipped: it would only
    rebuild that candidate. Returns the candidates' hits (flat), start offsets, and per
    candidate its number of holes, mean normalised distance squared of added hits and
    number of layers.
    """
    last_candidate = np.full(hits.shape[0], -1, dtype=np.int64)
    flat = np.empty(max(64, 8 * triplets.shape[0]), dtype=np.int64)
    start = np.zeros(triplets.shape[0] + 1, dtype=np.int64)
    holes_of = np.empty(triplets.shape[0], dtype=np.int64)
    misfit = np.empty(triplets.shape[0])
    layers_of = np.empty(triplets.shape[0], dtype=np.int64)
    track = np.empty(MAX_TRACK_HITS, dtype=np.int64)
    count = 0
    for t in range(triplets.shape[0]):
        c = last_candidate[triplets[t, 0]]
        if c >= 0 and last_candidate[triplets[t, 1]] == c and last_candidate[triplets[t, 2]] == c:
            continue
        track[:3] = triplets[t]
        n, chi2, holes = follow(
            track, 3, hits, hit_layer, hit_module, hit_used, bin_start, geometry, road
        )
        if n < min_hits or holes > road.max_holes or chi2 > max_misfit * n:
            continue
        end = start[count] + n
        if end > flat.shape[0]:
            bigger = np.empty(2 * end, dtype=np.int64)
            bigger[: start[count]] = flat[: start[count]]
            flat = bigger
        flat[start[count] : end] = track[:n]
        for i in range(n):
            last_candidate[track[i]] = count
        holes_of[count] = holes
        layers_of[count] = count_layers(track, n, hit_layer)
        misfit[count] = chi2 / n
        count += 1
        start[count] = end
    return (
        flat[: start[count]].copy(),
        start[: count + 1].copy(),
        holes_of[:count].copy(),
        misfit[:count].copy(),
        layers_of[:count].copy(),
    )


@njit(cache=True)
def count_layers(track, n, hit_layer):
    """Number of distinct layers of the hits ``track[:n]``."""
    count = 0
    for i in range(n):
        for j in range(i):
            if hit_layer[track[j]] == hit_layer[track[i]]:
                break
        else:
            count += 1
    return count


@njit(cache=True)
def accept_candidates(flat, start, ranking, labels, hit_used, next_label, min_hits):
    """Give each candidate, in ``ranking`` order, the hits still free; drop short ones.

    A candidate is kept when at least ``min_hits`` and half of its hits are still free; it
    takes those hits. Writes track labels from ``next_label`` upwards, marks the hits used
    and returns the next free label.
    """
    for c in ranking:
        free = 0
        for j in range(start[c], start[c + 1]):
            if not hit_used[flat[j]]:
                free += 1
        if free < min_hits or 2 * free < start[c + 1] - start[c]:
            continue
        for j in range(start[c], start[c + 1]):
            hit = flat[j]
            if not hit_used[hit]:
                hit_used[hit] = True
                labels[hit] = next_label
        next_label += 1
    return next_label


@njit(cache=True)
def extend_tracks(labels, n_labels, hits, hit_layer, hit_module, bin_start, geometry, road):
    """Follow the road of every track (labels 1 .. n_labels - 1, grid order, updated in
    place) once more through the hits left free by all passes: second hits where sensors
    overlap on the layers where it has one hit, then outwards from its last hit.

    The helix now rests on all of the track's hits instead of a seed's, and the hits other
    candidates held while this one was followed may have been left to nobody.
    """
    members, start = hits_of_tracks(labels, n_labels)
    hit_used = labels != 0
    track = np.empty(MAX_TRACK_HITS, dtype=np.int64)
    for t in range(1, n_labels):
        own = members[start[t] : start[t + 1]]
        n = own.shape[0]
        if n < 3 or n >= MAX_TRACK_HITS:
            continue
        track[:n] = own[np.argsort(hits[own, HR])]
        grown, _, _ = follow(
            track, n, hits, hit_layer, hit_module, hit_used, bin_start, geometry, road, False
        )
        for i in range(n, grown):
            labels[track[i]] = t
            hit_used[track[i]] = True


class EventArrays(NamedTuple):
    """One event as the numba kernels see it: hits renumbered in grid order."""

    hits: np.ndarray  # (n, 5): x, y, z, r, phi (see grid.hit_table)
    hit_layer: np.ndarray  # layer index per hit
    module: np.ndarray  # module_id per hit
    cot_lo: np.ndarray  # bounds on |cot(theta)| from the cluster length per hit
    cot_hi: np.ndarray
    bin_start: np.ndarray  # grid bin offsets
    geometry: np.ndarray  # per-layer table (see grid.geometry_table)
    triples: np.ndarray  # pixel layer triples for seeding: three consecutive layers
    triples_with_gaps: np.ndarray  # ... and also layers skipping one
    original: np.ndarray  # row of each hit in the caller's table


def prepare_event(hits, cells=None) -> EventArrays:
    """Measure the layers, bin the hits and renumber them in grid order.

    ``hits``: table (DataFrame or mapping of columns) with hit_id, x, y, z (mm), volume_id,
    layer_id, module_id. ``cells``: optional table with hit_id, ch1 (pixel cluster lengths
    then narrow the seed search, see :mod:`.clusters`).
    """
    x, y, z = (np.asarray(hits[c], dtype=np.float64) for c in ("x", "y", "z"))
    volume = np.asarray(hits["volume_id"], dtype=np.int64)
    hit_layer, layers = measure_layers(x, y, z, volume, hits["layer_id"])
    table = hit_table(x, y, z)
    geometry = geometry_table(layers)
    if cells is not None:
        length = cluster_lengths(hits["hit_id"], cells["hit_id"], cells["ch1"])
    else:
        length = np.zeros(len(x))
    cot_lo, cot_hi = cot_theta_bounds(volume, length)
    table = np.column_stack([table, cot_lo, cot_hi])
    order, bin_start = build_grid(table, hit_layer, geometry)
    triples = remembered_layer_triples(layers, gaps=False)
    triples_with_gaps = remembered_layer_triples(layers, gaps=True)
    return EventArrays(
        hits=table[order],
        hit_layer=hit_layer[order],
        module=np.asarray(hits["module_id"], dtype=np.int64)[order],
        cot_lo=cot_lo[order],
        cot_hi=cot_hi[order],
        bin_start=bin_start,
        geometry=geometry,
        triples=triples,
        triples_with_gaps=triples_with_gaps,
        original=order,
    )


def track_pass(event, config, one_pass, labels, hit_used, next_label):
    """One :class:`Pass`: seed among the free hits, follow, keep the best.

    Updates ``labels`` and ``hit_used`` (grid order) and returns the next free label.
    """
    pt_min, min_hits, looseness, gaps = one_pass
    seed = config.seed._replace(
        pt_min=pt_min,
        bend_ms=config.seed.bend_ms * looseness,
        dip_gev=config.seed.dip_gev * looseness,
        kappa_gev=config.seed.kappa_gev * looseness,
    )
    triples = event.triples_with_gaps if gaps else event.triples
    triplets, quality = find_triplets(
        triples, event.hits, hit_used, event.cot_lo, event.cot_hi, event.bin_start,
        event.geometry, seed,
    )  # fmt: skip
    triplets = best_first_hits(triplets, quality, event.hit_layer)
    flat, start, holes, misfit, layers = follow_seeds(
        triplets, event.hits, event.hit_layer, event.module, hit_used, event.bin_start,
        event.geometry, config.road, min_hits, config.max_misfit * looseness,
    )  # fmt: skip
    # most layers first, a hole counting as a missing layer, less the misfit
    ranking = np.argsort(config.misfit_weight * misfit + holes - layers, kind="stable")
    return accept_candidates(flat, start, ranking, labels, hit_used, next_label, min_hits)


def reconstruct_seeded(hits, cells=None, config=None):
    """Track id per hit (int64, in the order of ``hits``; 0 for hits on no track).

    ``hits`` and ``cells`` as for :func:`prepare_event`; ``config`` a :class:`TrackerConfig`.
    """
    config = config or TrackerConfig()
    event = prepare_event(hits, cells)
    labels = np.zeros(len(event.hits), dtype=np.int64)
    hit_used = np.zeros(len(event.hits), dtype=np.bool_)
    next_label = 1
    for one_pass in config.passes:
        next_label = track_pass(event, config, Pass(*one_pass), labels, hit_used, next_label)
    if config.extend:
        extend_tracks(
            labels, next_label, event.hits, event.hit_layer, event.module, event.bin_start,
            event.geometry, config.road,
        )  # fmt: skip
    if config.resolve_innermost:
        resolve_innermost_hits(
            labels, next_label, event.hits, event.hit_layer, event.module, event.bin_start,
            event.geometry, config.innermost,
        )  # fmt: skip
    result = np.empty_like(labels)
    result[event.original] = labels
    return result

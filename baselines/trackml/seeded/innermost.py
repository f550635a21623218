"""The innermost hits of all tracks, handed out again once the tracks are known.

The innermost pixel layer holds the densest hits and the hit that weighs most in the
TrackML score. A seed may start on a neighbour's hit there: within multiple scattering of
a low-momentum road, several hits fit, and the neighbour's track, built later, then
misses its own. Once all tracks are known, the helix through the beam line and a track's
hits on the next two layers predicts its innermost crossing far better than the road did
(the beam line is only 32 mm away). Every track's candidates there (free hits and the
innermost hits of all tracks) are then granted in order of likelihood, so that a hit goes
to the track it fits best, not to the one that reached it first. Windows grow as 1 / pT
for multiple scattering. Lengths in mm, momenta in GeV.
"""

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from .following import FIELD_TESLA, hits_in_window, layer_crossing, next_layer
from .grid import HR, HX, HY, HZ
from .helix_fit import HELIX_SIZE, RADIUS, helix_from_origin

WINDOW_SIGMAS = 3.0  # standard deviations in a window's half width


class InnermostConfig(NamedTuple):
    """Window half widths (mm) around the predicted innermost crossing: a + b / pT(GeV)."""

    rphi_mm: float = 0.09  # across the layer
    rphi_gev_mm: float = 0.15
    u_mm: float = 0.9  # along z (barrel) or r (disk)
    u_gev_mm: float = 1.8
    overlap_chi2: float = 0.3  # max normalised distance squared of a second hit on the layer


@njit(cache=True)
def _innermost_on_other_layers(track, n, hits, hit_layer, layer_a, layer_b):
    """Index in ``track`` of the hit of smallest radius not on the two given layers, or -1."""
    found = -1
    for i in range(n):
        layer = hit_layer[track[i]]
        if layer == layer_a or layer == layer_b:
            continue
        if found < 0 or hits[track[i], HR] < hits[track[found], HR]:
            found = i
    return found


@njit(cache=True)
def hits_of_tracks(labels, n_labels):
    """Counting sort of the hits by track label: the hits of track t (1 .. n_labels - 1) are
    ``members[start[t] : start[t + 1]]``; hits of label 0 are left out."""
    start = np.zeros(n_labels + 1, dtype=np.int64)
    for hit in range(labels.shape[0]):
        if labels[hit] > 0:
            start[labels[hit] + 1] += 1
    for t in range(n_labels):
        start[t + 1] += start[t]
    fill = start[:-1].copy()
    members = np.empty(start[n_labels], dtype=np.int64)
    for hit in range(labels.shape[0]):
        t = labels[hit]
        if t > 0:
            members[fill[t]] = hit
            fill[t] += 1
    return members, start


@njit(cache=True)
def innermost_target(track, hits, hit_layer, geometry, helix, visited, bounds):
    """The layer where ``track``'s innermost hit belongs and the predicted crossing there.

    If the helix through the beam line and the track's two innermost hits (on different
    layers) crosses a layer before the innermost hit, the track has no hit there: that
    layer is the target, predicted by this helix. Otherwise the target is the innermost
    hit's own layer, predicted (into ``helix``) from the beam line and the hits on the next
    two layers. Returns (layer, arc length in mm, True when the target is the innermost
    hit's own layer); layer -1 when the track has hits on fewer than three layers or no
    crossing is found.
    """
    n = track.shape[0]
    first = _innermost_on_other_layers(track, n, hits, hit_layer, -1, -1)
    own_layer = hit_layer[track[first]]
    second = _innermost_on_other_layers(track, n, hits, hit_layer, own_layer, -1)
    if second < 0:
        return -1, math.inf, False
    third = _innermost_on_other_layers(
        track, n, hits, hit_layer, own_layer, hit_layer[track[second]]
    )
    if third < 0:
        return -1, math.inf, False
    a, b, c = track[first], track[second], track[third]
    if helix_from_origin(
        hits[a, HX], hits[a, HY], hits[a, HZ], hits[b, HX], hits[b, HY], hits[b, HZ], helix
    ):
        layer, s = next_layer(helix, geometry, visited, 0.0, bounds)
        if (
            layer >= 0
            and layer != own_layer
            and s < layer_crossing(helix, geometry, own_layer, 0.0)
        ):
            return layer, s, False
    if not helix_from_origin(
        hits[b, HX], hits[b, HY], hits[b, HZ], hits[c, HX], hits[c, HY], hits[c, HZ], helix
    ):
        return -1, math.inf, False
    s = layer_crossing(helix, geometry, own_layer, 0.0)
    if not math.isfinite(s):
        return -1, math.inf, False
    return own_layer, s, True


@njit(cache=True)
def resolve_innermost_hits(
    labels, n_labels, hits, hit_layer, hit_module, bin_start, geometry, config
):
    """Give every track (labels 1 .. n_labels - 1, grid order, updated in place) the hits
    nearest to its predicted innermost crossing, deciding between tracks by distance.

    Each track's target (see :func:`innermost_target`) is searched for hits that are free
    or are the target-layer hits of a track whose target is its own innermost layer (those
    are handed out again). Pairs (track, hit) are then granted in order of normalised
    distance, one hit per track, plus a second hit on another module of the same layer
    within ``config.overlap_chi2``, where sensors overlap.
    """
    members, start = hits_of_tracks(labels, n_labels)
    usable = labels == 0
    target = np.full(n_labels, -1, dtype=np.int64)
    arc = np.empty(n_labels)
    helices = np.empty((n_labels, HELIX_SIZE))
    visited = np.zeros(geometry.shape[0], dtype=np.bool_)
    bounds = np.empty(geometry.shape[0])
    for t in range(1, n_labels):
        track = members[start[t] : start[t + 1]]
        if track.shape[0] < 3:
            continue
        layer, s, own = innermost_target(
            track, hits, hit_layer, geometry, helices[t], visited, bounds
        )
        if layer < 0:
            continue
        target[t] = layer
        arc[t] = s
        if own:
            for hit in track:
                if hit_layer[hit] == layer:
                    usable[hit] = True
                    labels[hit] = 0
    capacity = 8 * n_labels + 64
    pair_track = np.empty(capacity, dtype=np.int64)
    pair_hit = np.empty(capacity, dtype=np.int64)
    pair_chi2 = np.empty(capacity)
    pair_cost = np.empty(capacity)
    found = np.empty(64, dtype=np.int64)
    chi2 = np.empty(64)
    count = 0
    for t in range(1, n_labels):
        if target[t] < 0:
            continue
        helix = helices[t]
        pt = 0.3 * FIELD_TESLA * helix[RADIUS] / 1000.0
        w_rphi = config.rphi_mm + config.rphi_gev_mm / pt
        w_u = config.u_mm + config.u_gev_mm / pt
        k = hits_in_window(
            hits, hit_layer, usable, bin_start, geometry, target[t], helix, arc[t], w_rphi, w_u,
            found, chi2,
        )  # fmt: skip
        if count + k > capacity:
            capacity = 2 * (count + k)
            pair_track = _grow(pair_track, capacity)
            pair_hit = _grow(pair_hit, capacity)
            pair_chi2 = _grow(pair_chi2, capacity)
            pair_cost = _grow(pair_cost, capacity)
        for j in range(k):
            pair_track[count] = t
            pair_hit[count] = found[j]
            pair_chi2[count] = chi2[j]
            # minus the log likelihood of the hit, the windows being WINDOW_SIGMAS standard
            # deviations: a hit near a precise track beats one inside a wide window
            pair_cost[count] = 0.5 * WINDOW_SIGMAS**2 * chi2[j] + math.log(w_rphi * w_u)
            count += 1
    order = np.argsort(pair_cost[:count])
    granted = np.full(n_labels, -1, dtype=np.int64)
    for i in order:
        t, hit = pair_track[i], pair_hit[i]
        if labels[hit] == 0 and granted[t] < 0:
            labels[hit] = t
            granted[t] = hit
    for i in order:
        t, hit = pair_track[i], pair_hit[i]
        if labels[hit] != 0 or granted[t] < 0 or pair_chi2[i] > config.overlap_chi2:
            continue
        if hit_module[hit] != hit_module[granted[t]]:
            labels[hit] = t
            granted[t] = hit  # no third hit: its module would differ from this one's
    return labels


@njit(cache=True)
def _grow(array, capacity):
    bigger = np.empty(capacity, dtype=array.dtype)
    bigger[: array.shape[0]] = array
    return bigger

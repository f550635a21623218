"""Triplet seeds in the pixel layers.

A doublet joins a hit on an inner pixel layer to a hit on a layer further out when the
straight line through them in (r, z) meets the beam line within the luminous region
(|z0| <= ``z0_max`` mm) and their azimuths differ by no more than a track above
``pt_min`` GeV bends between those radii. The helix through the beam line and the doublet
then predicts the next layer crossing; the nearest hit there inside a tight window
completes the triplet, whose curvature is therefore consistent with all three hits.
Lengths in mm.
"""

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from .following import FIELD_TESLA, arc_length_of, best_hit, next_layer, refit, windows
from .grid import (
    HPHI,
    HR,
    HX,
    HY,
    HZ,
    IS_BARREL,
    N_PHI,
    N_U,
    POSITION,
    U_MAX,
    U_MIN,
    bin_number,
    phi_bin_range,
    u_bin,
)
from .helix_fit import HELIX_SIZE, RADIUS, Z0


class SeedConfig(NamedTuple):
    """Doublet and triplet windows."""

    pt_min: float = 0.3  # GeV
    z0_max: float = 200.0  # mm, half length of the luminous region accepted
    rz_margin: float = 10.0  # mm added to the straight-line window on the outer layer
    phi_margin: float = 0.01  # rad added to the azimuth window
    max_skipped: int = 1  # layer crossings the third hit may skip


def pixel_layer_pairs(is_barrel, is_pixel, position) -> np.ndarray:
    """Ordered (inner, outer) pixel layer pairs a primary track can cross one after another.

    Barrel layers by radius and each end cap's disks by |z|: consecutive layers and the
    next-but-one (to survive one missing hit), plus every barrel layer to every disk.
    """
    barrel = [int(i) for i in np.flatnonzero(is_barrel & is_pixel)]
    barrel.sort(key=lambda i: position[i])
    sides = []
    for sign in (-1.0, 1.0):
        disks = [int(i) for i in np.flatnonzero(~is_barrel & is_pixel & (position * sign > 0))]
        disks.sort(key=lambda i: abs(position[i]))
        sides.append(disks)
    pairs = []
    for chain in [barrel, *sides]:
        pairs += [(a, b) for step in (1, 2) for a, b in zip(chain, chain[step:], strict=False)]
    pairs += [(b, d) for b in barrel for disks in sides for d in disks]
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


@njit(cache=True)
def outer_window(r1, z1, geometry, layer, z0_max):
    """Range of u (z on a barrel, r on a disk, mm) where a straight line from the beam line
    segment |z| <= z0_max through (r1, z1) meets ``layer`` outside r1; (inf, -inf) if nowhere."""
    position = geometry[layer, POSITION]
    if geometry[layer, IS_BARREL] > 0.5:
        if position <= r1:
            return math.inf, -math.inf
        a = -z0_max + (z1 + z0_max) * position / r1
        b = z0_max + (z1 - z0_max) * position / r1
        return min(a, b), max(a, b)
    lo = math.inf
    hi = -math.inf
    unbounded = False
    for z0 in (-z0_max, z0_max):
        if z1 == z0:
            unbounded = True
            continue
        ratio = (position - z0) / (z1 - z0)
        if ratio > 1.0:
            lo = min(lo, r1 * ratio)
            hi = max(hi, r1 * ratio)
        else:
            unbounded = True
    if unbounded and lo < math.inf:
        hi = math.inf
    return lo, hi


@njit(cache=True)
def _layer_bins(layer):
    """Slice of the grid's bin numbers holding ``layer``."""
    return bin_number(layer, 0, 0), bin_number(layer, N_PHI - 1, N_U - 1) + 1


@njit(cache=True)
def find_triplets(
    pairs, hits, hit_layer, hit_module, hit_used, order, bin_start, geometry, seed, road
):
    """All triplets (h1, h2, h3) of unused hits with their quality (lower is better)."""
    capacity = 1024
    triplets = np.empty((capacity, 3), dtype=np.int64)
    quality = np.empty(capacity)
    count = 0
    r_min = seed.pt_min / (0.3 * FIELD_TESLA) * 1000.0  # mm
    helix = np.empty(HELIX_SIZE)
    visited = np.zeros(geometry.shape[0], dtype=np.bool_)
    track = np.empty(2, dtype=np.int64)
    for p in range(pairs.shape[0]):
        inner, outer = pairs[p, 0], pairs[p, 1]
        first_bin, end_bin = _layer_bins(inner)
        outer_barrel = geometry[outer, IS_BARREL] > 0.5
        for j1 in range(bin_start[first_bin], bin_start[end_bin]):
            h1 = order[j1]
            if hit_used[h1]:
                continue
            r1, z1 = hits[h1, HR], hits[h1, HZ]
            u_lo, u_hi = outer_window(r1, z1, geometry, outer, seed.z0_max)
            u_lo = max(u_lo - seed.rz_margin, geometry[outer, U_MIN])
            u_hi = min(u_hi + seed.rz_margin, geometry[outer, U_MAX])
            if u_lo > u_hi:
                continue
            r2_max = geometry[outer, POSITION] if outer_barrel else u_hi
            dphi = (
                math.asin(min(1.0, r2_max / (2.0 * r_min)))
                - math.asin(min(1.0, r1 / (2.0 * r_min)))
                + seed.phi_margin
            )
            for h2 in _window_hits(
                hits[h1, HPHI], dphi, u_lo, u_hi, outer, geometry, order, bin_start
            ):
                if hit_used[h2]:
                    continue
                r2, z2 = hits[h2, HR], hits[h2, HZ]
                if r2 <= r1:
                    continue
                z0 = z1 - r1 * (z2 - z1) / (r2 - r1)
                if abs(z0) > seed.z0_max:
                    continue
                track[0] = h1
                track[1] = h2
                if not refit(hits, track, 2, geometry, hit_layer, road, helix):
                    continue
                if helix[RADIUS] < r_min:
                    continue
                h3, chi2 = _third_hit(
                    helix, h2, visited, inner, outer, hits, hit_layer, hit_module, hit_used,
                    order, bin_start, geometry, seed, road,
                )  # fmt: skip
                if h3 < 0:
                    continue
                if count == capacity:
                    capacity *= 2
                    triplets = _grow(triplets, capacity)
                    quality = _grow(quality, capacity)
                triplets[count, 0] = h1
                triplets[count, 1] = h2
                triplets[count, 2] = h3
                quality[count] = chi2 + (helix[Z0] / seed.z0_max) ** 2
                count += 1
    return triplets[:count].copy(), quality[:count].copy()


@njit(cache=True)
def _third_hit(
    helix, h2, visited, inner, outer, hits, hit_layer, hit_module, hit_used,
    order, bin_start, geometry, seed, road,
):  # fmt: skip
    """Best hit on the next crossings after the doublet; (-1, inf) when none fits."""
    visited[:] = False
    visited[inner] = True
    visited[outer] = True
    s_from = arc_length_of(helix, hits[h2, HX], hits[h2, HY])
    for _ in range(seed.max_skipped + 1):
        layer, s = next_layer(helix, geometry, visited, s_from)
        if layer < 0:
            break
        visited[layer] = True
        w_rphi, w_u = windows(helix, geometry, layer, s - s_from, road)
        h3, chi2 = best_hit(
            hits, hit_layer, hit_module, hit_used, order, bin_start, geometry,
            layer, helix, s, w_rphi, w_u, -1, -1,
        )  # fmt: skip
        if h3 >= 0:
            return h3, chi2
        s_from = s - 5.0
    return -1, math.inf


@njit(cache=True)
def _window_hits(phi, dphi, u_lo, u_hi, layer, geometry, order, bin_start):
    """Hits of ``layer`` in the bins covering |azimuth - phi| <= dphi and u in [u_lo, u_hi]."""
    lo_u = u_bin(geometry, layer, u_lo)
    hi_u = u_bin(geometry, layer, u_hi)
    first, n_phi = phi_bin_range(phi, dphi)
    found = []
    for k in range(n_phi):
        pb = (first + k) % N_PHI
        for j in range(
            bin_start[bin_number(layer, pb, lo_u)], bin_start[bin_number(layer, pb, hi_u) + 1]
        ):
            found.append(order[j])
    return found


@njit(cache=True)
def _grow(array, capacity):
    bigger = np.empty((capacity,) + array.shape[1:], dtype=array.dtype)
    bigger[: array.shape[0]] = array
    return bigger

"""Triplet seeds in the pixel layers.

Which pixel layers a primary track crosses one after another is found by tracing straight
lines from the luminous region through the measured layer geometry; each run of three
(optionally also runs skipping one layer, for tracks without a hit there) is a layer
triple. A doublet joins a hit on the triple's first layer to one on its second when the
straight line through them in (r, z) meets the beam line within |z0| <= ``z0_max``, its
slope agrees with the pixel cluster shapes and their azimuths differ by no more than a
track above ``pt_min`` bends between those radii. Two doublets sharing their middle hit
make a triplet when their curvatures and dip angles agree within multiple scattering and
the middle hit lies on the circle through the beam line and the outer hits
(:func:`triplet_quality`). Lengths in mm, momenta in GeV.
"""

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from .following import FIELD_TESLA
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
from .helix_fit import circle_through_three


class SeedConfig(NamedTuple):
    """Doublet and triplet windows (mm, rad, GeV)."""

    pt_min: float = 0.1  # GeV
    z0_max: float = 200.0  # half length of the luminous region accepted
    rz_margin: float = 10.0  # added to the straight-line window on the second layer
    phi_margin: float = 0.005  # added to the azimuth window of a doublet
    cot_slack: float = 0.1  # allowed excess of a doublet's |cot theta| over cluster bounds
    kappa_floor: float = 3e-4  # curvature change (1/mm) between the two doublets: floor ...
    kappa_gev: float = 6e-4  # ... plus this / p (GeV / mm)
    bend_floor: float = 0.15  # middle hit off the beam-constrained circle: floor of the cut
    bend_ms: float = 0.005  # ... plus this * lever arm / p (GeV), for multiple scattering
    dip_gev: float = 0.003  # change of tan(lambda) / (1 + tan^2) times p (GeV) allowed


def pixel_layer_triples(is_barrel, is_pixel, position, u_min, u_max, gaps=False, z0_max=150.0):
    """(first, second, third) pixel layers crossed in turn by straight lines from the beam line.

    Lines start at z0 in [-z0_max, z0_max] mm and cover |eta| < 4.5. Runs of three
    consecutive layers (with ``gaps``, also runs skipping one layer, for tracks without a
    hit on it) are returned as an (n, 3) int64 array of distinct rows, sorted.
    """
    pixel = np.flatnonzero(is_pixel)
    cot = np.sinh(np.linspace(-4.5, 4.5, 1501))
    z0 = np.linspace(-z0_max, z0_max, 7)
    cot, z0 = (a.ravel() for a in np.meshgrid(cot, z0))
    # radius at which each ray meets each pixel layer, inf where it misses the layer
    r_at = np.full((len(cot), len(pixel)), np.inf)
    for k, layer in enumerate(pixel):
        if is_barrel[layer]:
            z = z0 + cot * position[layer]
            r = np.where((z >= u_min[layer]) & (z <= u_max[layer]), position[layer], np.inf)
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                r = (position[layer] - z0) / cot
            r = np.where((r >= u_min[layer]) & (r <= u_max[layer]), r, np.inf)
        r_at[:, k] = r
    order = np.argsort(r_at, axis=1)
    crossed = np.take_along_axis(np.isfinite(r_at), order, axis=1)
    sequence = pixel[order]
    runs = []
    for picks in ((0, 1, 2), (0, 1, 3), (0, 2, 3)) if gaps else ((0, 1, 2),):
        for start in range(len(pixel) - picks[-1]):
            cols = [start + p for p in picks]
            ok = crossed[:, cols[-1]]
            runs.append(sequence[ok][:, cols])
    n = len(position)
    code = np.unique(np.concatenate(runs) @ np.array([n * n, n, 1]))  # one number per row
    return np.column_stack([code // (n * n), code // n % n, code % n]).astype(np.int64)


_TRIPLES_OF_DETECTOR = {}


def remembered_layer_triples(layers, gaps):
    """:func:`pixel_layer_triples` of a :class:`~.detector.Layers`, remembered per detector.

    Events of one detector have the same layers at the same places; only the extents
    measured from their hits differ by a few mm. So the first event's answer serves every
    event with the same layer ids and positions (to the nearest 10 mm).
    """
    key = (tuple(layers.key), tuple(np.round(layers.position / 10.0).astype(int)), gaps)
    if key not in _TRIPLES_OF_DETECTOR:
        _TRIPLES_OF_DETECTOR[key] = pixel_layer_triples(
            layers.is_barrel, layers.is_pixel, layers.position, layers.u_min, layers.u_max, gaps
        )
    return _TRIPLES_OF_DETECTOR[key].copy()


@njit(cache=True)
def second_layer_window(r1, z1, geometry, layer, z0_max):
    """Range of u (z on a barrel, r on a disk, mm) where a straight line from the beam line
    segment |z| <= z0_max through (r1, z1) meets ``layer`` beyond r1; (inf, -inf) if nowhere."""
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
def cot_window(r1, z1, cot_lo, cot_hi, geometry, layer, sign):
    """Range of u (mm) on ``layer`` for tracks leaving (r1, z1) with sign * |cot| in [cot_lo,
    cot_hi] (straight in r-z); (inf, -inf) when none reaches the layer."""
    position = geometry[layer, POSITION]
    if geometry[layer, IS_BARREL] > 0.5:
        dr = position - r1
        if sign > 0:
            return z1 + cot_lo * dr, z1 + cot_hi * dr
        return z1 - cot_hi * dr, z1 - cot_lo * dr
    dz = (position - z1) * sign
    if dz <= 0.0:
        return math.inf, -math.inf
    high = r1 + dz / cot_lo if cot_lo > 0.0 else math.inf
    return r1 + dz / cot_hi, high


@njit(cache=True)
def origin_curvature(x1, y1, x2, y2):
    """Signed curvature (1/mm) of the circle through the beam line (0, 0) and two points."""
    cross = x1 * y2 - y1 * x2
    chord = math.sqrt((x2 - x1) ** 2 + (y2 - y1) ** 2)
    return 2.0 * cross / (math.sqrt(x1 * x1 + y1 * y1) * math.sqrt(x2 * x2 + y2 * y2) * chord)


@njit(cache=True)
def find_doublets(inner, outer, hits, hit_used, cot_lo, cot_hi, bin_start, geometry, seed):
    """Pairs (h1 on ``inner``, h2 on ``outer``) of unused hits pointing to the beam line.

    The straight line through them in (r, z) must meet the beam line within
    |z0| <= z0_max and have |cot(theta)| within both hits' cluster bounds; their azimuths
    may differ by no more than a track of pT >= pt_min bends between their radii.
    Returns arrays h1, h2, curvature through the origin (1/mm) and cot(theta) of the line,
    ordered by h1, then by cot(theta).
    """
    capacity = 1024
    pairs = np.empty((capacity, 2), dtype=np.int64)
    shape = np.empty((capacity, 2))
    count = 0
    start_of_h1 = 0
    r_min = seed.pt_min / (0.3 * FIELD_TESLA) * 1000.0  # mm
    outer_barrel = geometry[outer, IS_BARREL] > 0.5
    first_hit = bin_start[bin_number(inner, 0, 0)]
    last_hit = bin_start[bin_number(inner, N_PHI - 1, N_U - 1) + 1]
    for j1 in range(first_hit, last_hit):
        h1 = j1
        if hit_used[h1]:
            continue
        _sort_by_cot(pairs, shape, start_of_h1, count)  # the previous h1's doublets
        start_of_h1 = count
        r1, z1 = hits[h1, HR], hits[h1, HZ]
        z_lo, z_hi = second_layer_window(r1, z1, geometry, outer, seed.z0_max)
        z_lo = max(z_lo - seed.rz_margin, geometry[outer, U_MIN])
        z_hi = min(z_hi + seed.rz_margin, geometry[outer, U_MAX])
        for sign in (-1.0, 1.0):
            c_lo, c_hi = cot_window(r1, z1, cot_lo[h1], cot_hi[h1], geometry, outer, sign)
            u_lo = max(z_lo, c_lo - seed.rz_margin)
            u_hi = min(z_hi, c_hi + seed.rz_margin)
            if u_lo > u_hi:
                continue
            r2_max = geometry[outer, POSITION] if outer_barrel else u_hi
            dphi = (
                math.asin(min(1.0, r2_max / (2.0 * r_min)))
                - math.asin(min(1.0, r1 / (2.0 * r_min)))
                + seed.phi_margin
            )
            first, n_phi = phi_bin_range(hits[h1, HPHI], dphi)
            b_lo = u_bin(geometry, outer, u_lo)
            b_hi = u_bin(geometry, outer, u_hi)
            for k in range(n_phi):
                pb = (first + k) % N_PHI
                lo = bin_start[bin_number(outer, pb, b_lo)]
                hi = bin_start[bin_number(outer, pb, b_hi) + 1]
                for j2 in range(lo, hi):
                    h2 = j2
                    if hit_used[h2]:
                        continue
                    r2, z2 = hits[h2, HR], hits[h2, HZ]
                    if r2 <= r1:
                        continue
                    cot = (z2 - z1) / (r2 - r1)
                    if cot * sign < 0.0:
                        continue  # belongs to the other sign's window
                    if abs(z1 - r1 * cot) > seed.z0_max:
                        continue
                    slack = seed.cot_slack
                    if abs(cot) + slack < max(cot_lo[h1], cot_lo[h2]):
                        continue
                    if abs(cot) - slack > min(cot_hi[h1], cot_hi[h2]):
                        continue
                    delta = abs(hits[h2, HPHI] - hits[h1, HPHI])
                    if min(delta, 2.0 * math.pi - delta) > dphi:
                        continue
                    if count == capacity:
                        capacity *= 2
                        pairs = _grow(pairs, capacity)
                        shape = _grow(shape, capacity)
                    pairs[count, 0] = h1
                    pairs[count, 1] = h2
                    shape[count, 0] = origin_curvature(
                        hits[h1, HX], hits[h1, HY], hits[h2, HX], hits[h2, HY]
                    )
                    shape[count, 1] = cot
                    count += 1
    _sort_by_cot(pairs, shape, start_of_h1, count)
    return (
        pairs[:count, 0].copy(),
        pairs[:count, 1].copy(),
        shape[:count, 0].copy(),
        shape[:count, 1].copy(),
    )


@njit(cache=True)
def _sort_by_cot(pairs, shape, first, end):
    """Insertion sort of the doublets first .. end - 1 (a few, of one h1) by cot(theta)."""
    for i in range(first + 1, end):
        j = i
        while j > first and shape[j - 1, 1] > shape[j, 1]:
            for column in range(2):
                pairs[j - 1, column], pairs[j, column] = pairs[j, column], pairs[j - 1, column]
                shape[j - 1, column], shape[j, column] = shape[j, column], shape[j - 1, column]
            j -= 1


@njit(cache=True)
def group_by(hit, first, n):
    """Counting sort of doublets by ``hit``, one of the ``n`` hits ``first .. first + n - 1``
    of a layer. Returns (permutation, start) with the doublets of hit ``first + k`` at
    ``permutation[start[k] : start[k + 1]]``.
    """
    start = np.zeros(n + 1, dtype=np.int64)
    for i in range(hit.shape[0]):
        start[hit[i] - first + 1] += 1
    for k in range(n):
        start[k + 1] += start[k]
    fill = start[:-1].copy()
    permutation = np.empty(hit.shape[0], dtype=np.int64)
    for i in range(hit.shape[0]):
        k = hit[i] - first
        permutation[fill[k]] = i
        fill[k] += 1
    return permutation, start


@njit(cache=True)
def triplet_quality(hits, h1, h2, h3, seed):
    """Normalised misfit (lower is better; >= 2 fails) of three hits ordered outwards.

    The middle hit's distance from the circle through the beam line and the outer hits
    must stay below ``bend_floor + bend_ms * lever / p``; tan(lambda) of the two segments,
    along the arc, may change by ``dip_gev * (1 + tan^2) / p``; the curvature must suit
    pT >= pt_min and the track must start within |z0| <= z0_max. p in GeV from the circle.
    """
    x1, y1, z1 = hits[h1, HX], hits[h1, HY], hits[h1, HZ]
    x2, y2, z2 = hits[h2, HX], hits[h2, HY], hits[h2, HZ]
    x3, y3, z3 = hits[h3, HX], hits[h3, HY], hits[h3, HZ]
    xc, yc, radius = circle_through_three(0.0, 0.0, x1, y1, x3, y3)
    if not radius >= seed.pt_min / (0.3 * FIELD_TESLA) * 1000.0:
        return math.inf
    s1 = 2.0 * radius * math.asin(min(1.0, hits[h1, HR] / (2.0 * radius)))
    s2 = 2.0 * radius * math.asin(min(1.0, hits[h2, HR] / (2.0 * radius)))
    s3 = 2.0 * radius * math.asin(min(1.0, hits[h3, HR] / (2.0 * radius)))
    if not (s1 < s2 < s3):
        return math.inf
    t_in = (z2 - z1) / (s2 - s1)
    t_out = (z3 - z2) / (s3 - s2)
    t = (z3 - z1) / (s3 - s1)
    if abs(z1 - t * s1) > seed.z0_max:
        return math.inf
    p = 0.3 * FIELD_TESLA * radius / 1000.0 * math.sqrt(1.0 + t * t)
    lever = (s3 - s2) * (s2 - s1) / (s3 - s1)
    bend = abs(math.sqrt((x2 - xc) ** 2 + (y2 - yc) ** 2) - radius)
    bend_cut = seed.bend_floor + seed.bend_ms * lever / p
    dip_cut = (seed.dip_gev / p + 0.001) * (1.0 + t * t)
    return (bend / bend_cut) ** 2 + ((t_in - t_out) / dip_cut) ** 2


@njit(cache=True)
def join_doublets(ab, ab_permutation, ab_start, bc, bc_start, hits, seed):
    """Triplets from doublets a -> b and b -> c sharing their hit on b.

    ``ab`` and ``bc`` are doublet tuples as from :func:`find_doublets`, grouped by their
    hit on the middle layer with :func:`group_by` (``bc`` is already in that order, and by
    cot(theta) within a group). Pairs whose curvatures or dip angles disagree by more than
    multiple scattering allows at the ab doublet's momentum (momenta below pt_min count as
    pt_min, so for each ab doublet only the bc doublets in a window of cot(theta) need to
    be looked at). Returns the (n, 3) triplets passing :func:`triplet_quality` and their
    quality.
    """
    ab_inner, _, ab_kappa, ab_cot = ab
    _, bc_outer, bc_kappa, bc_cot = bc
    capacity = 1024
    triplets = np.empty((capacity, 3), dtype=np.int64)
    quality = np.empty(capacity)
    count = 0
    kappa_min = 0.3 * FIELD_TESLA / (1000.0 * 100.0)  # curvature of 100 GeV
    gev_per_kappa = 0.3 * FIELD_TESLA / 1000.0  # pT (GeV) = gev_per_kappa / curvature (1/mm)
    widest = math.tan(_dip_change(seed, 1.0 / seed.pt_min))  # the largest dip angle change
    for k in range(ab_start.shape[0] - 1):
        first, end = bc_start[k], bc_start[k + 1]
        if ab_start[k] == ab_start[k + 1] or first == end:
            continue
        middle = ab[1][ab_permutation[ab_start[k]]]
        for i in range(ab_start[k], ab_start[k + 1]):
            d = ab_permutation[i]
            c = ab_cot[d]
            # bc doublets whose dip angle is within atan(widest) of this one's
            low = (c - widest) / (1.0 + c * widest) if 1.0 + c * widest > 0.0 else -math.inf
            high = (c + widest) / (1.0 - c * widest) if 1.0 - c * widest > 0.0 else math.inf
            inverse_p_per_kappa = 1.0 / (gev_per_kappa * math.sqrt(1.0 + c * c))
            in_window = bc_cot[first:end]
            lo = first + np.searchsorted(in_window, low)
            hi = first + np.searchsorted(in_window, high, side="right")
            for j in range(lo, hi):
                kappa = max(abs(ab_kappa[d]), abs(bc_kappa[j]), kappa_min)
                inverse_p = min(kappa * inverse_p_per_kappa, 1.0 / seed.pt_min)  # 1/GeV
                if abs(ab_kappa[d] - bc_kappa[j]) > seed.kappa_floor + seed.kappa_gev * inverse_p:
                    continue
                # tan of the dip angle change, |x - c| / (1 + x c), against its cut
                if abs(bc_cot[j] - c) > _dip_change(seed, inverse_p) * (1.0 + bc_cot[j] * c):
                    continue
                q = triplet_quality(hits, ab_inner[d], middle, bc_outer[j], seed)
                if q >= 2.0:
                    continue
                if count == capacity:
                    capacity *= 2
                    triplets = _grow(triplets, capacity)
                    quality = _grow(quality, capacity)
                triplets[count, 0] = ab_inner[d]
                triplets[count, 1] = middle
                triplets[count, 2] = bc_outer[j]
                quality[count] = q
                count += 1
    return triplets[:count].copy(), quality[:count].copy()


@njit(cache=True)
def _dip_change(seed, inverse_p):
    """Largest change of the dip angle (rad) between two doublets of a track of momentum
    1 / inverse_p (GeV): multiple scattering plus a floor."""
    return 2.0 * (seed.dip_gev * inverse_p + 0.01)


def find_triplets(triples, hits, hit_used, cot_lo, cot_hi, bin_start, geometry, seed):
    """Triplets of unused hits on the given layer triples and their quality (lower is better).

    Hits are numbered in grid order (see :mod:`.grid`).
    """
    layer_first = bin_start[[bin_number(layer, 0, 0) for layer in range(len(geometry) + 1)]]
    doublets = {}
    grouped = {}

    def pairs(inner, outer):
        if (inner, outer) not in doublets:
            doublets[inner, outer] = find_doublets(
                inner, outer, hits, hit_used, cot_lo, cot_hi, bin_start, geometry, seed
            )
        return doublets[inner, outer]

    def by_hit(inner, outer, side):
        if (inner, outer, side) not in grouped:
            layer = (inner, outer)[side]
            first, end = layer_first[layer], layer_first[layer + 1]
            grouped[inner, outer, side] = group_by(pairs(inner, outer)[side], first, end - first)
        return grouped[inner, outer, side]

    found = []
    for a, b, c in triples:
        ab_permutation, ab_start = by_hit(a, b, 1)
        _, bc_start = by_hit(b, c, 0)
        found.append(
            join_doublets(pairs(a, b), ab_permutation, ab_start, pairs(b, c), bc_start, hits, seed)
        )
    triplets = np.concatenate([f[0] for f in found]) if found else np.empty((0, 3), np.int64)
    quality = np.concatenate([f[1] for f in found]) if found else np.empty(0)
    return triplets, quality


def best_first_hits(triplets, quality, hit_layer):
    """The triplets, best quality first, keeping for each pair of outer hits only the best
    first hit on each layer: the others would mostly follow the same road, and seed it
    with a neighbouring track's hit."""
    order = np.argsort(quality, kind="stable")
    triplets = triplets[order]
    n_hits, n_layers = len(hit_layer), int(hit_layer.max(initial=0)) + 1
    key = (triplets[:, 1] * n_hits + triplets[:, 2]) * n_layers + hit_layer[triplets[:, 0]]
    _, first = np.unique(key, return_index=True)
    return triplets[np.sort(first)]


@njit(cache=True)
def _grow(array, capacity):
    bigger = np.empty((capacity,) + array.shape[1:], dtype=array.dtype)
    bigger[: array.shape[0]] = array
    return bigger

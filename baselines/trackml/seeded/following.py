"""Road following: extend a track candidate outwards, one layer crossing at a time.

The helix fitted to the hits so far predicts where it next crosses a detector layer; the
nearest unused hit inside a window around that point joins the track (plus a second hit on
another module of the same layer, where sensors overlap), the helix is refitted, and the
search moves on. The window is the measurement resolution combined with the multiple
scattering expected over the gap, scaled by the momentum. Lengths in mm.

The small kernels of one step are inlined into the walk (numba's ``inline="always"``), so
calls do not count references to their array arguments each time.
"""

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from .grid import (
    HALF_THICKNESS,
    HCOT_HI,
    HCOT_LO,
    HR,
    HX,
    HY,
    HZ,
    IS_BARREL,
    N_PHI,
    POSITION,
    SIGMA_RPHI,
    SIGMA_U,
    U_MAX,
    U_MIN,
    bin_number,
    phi_bin_range,
    u_bin,
)
from .helix_fit import (
    ALPHA0,
    HELIX_SIZE,
    RADIUS,
    SENSE,
    TAN_LAMBDA,
    XC,
    YC,
    crossing_cylinder,
    crossing_disk,
    fit_helix,
    position_at,
    wrap_angle,
)

FIELD_TESLA = 2.0
MAX_TRACK_HITS = 32
COT_SLACK = 0.1  # allowed excess of a track's |cot(theta)| over a pixel cluster's bounds


class RoadConfig(NamedTuple):
    """How wide the road is and when to give up (lengths in mm)."""

    n_sigma: float = 4.0  # window half width in combined standard deviations
    scattering_mm_mev: float = 10.0  # multiple scattering: deviation (mm) = this * gap / p(MeV)
    floor_mm: float = 1.0  # added to every window half width
    max_misses: int = 3  # consecutive crossings without a hit before stopping
    max_holes: int = 2  # crossings without a hit between hits: a track with more is not kept
    beam_weight: float = 1.0  # weight (1/mm^2) of the beam line (0, 0) in the circle fit
    overlap_chi2: float = 0.3  # max normalised distance squared of a second hit on a layer
    memory: float = 0.5  # weight factor per hit of age in the fits (1: all hits equal)
    fit_hits: int = 8  # the fits use the most recent hits only


@njit(cache=True)
def momentum_mev(helix):
    """Momentum (MeV) of the helix in the 2 T field."""
    pt = 0.3 * FIELD_TESLA * helix[RADIUS]  # MeV, radius in mm
    return pt * math.sqrt(1.0 + helix[TAN_LAMBDA] ** 2)


@njit(cache=True, inline="always")
def layer_crossing(helix, geometry, layer, s_from):
    """Arc length (mm) of the helix's next crossing of ``layer`` inside its extent, else inf."""
    if geometry[layer, IS_BARREL] > 0.5:
        s = crossing_cylinder(helix, geometry[layer, POSITION], s_from)
        if not math.isfinite(s):
            return s
        u = position_at(helix, s)[2]
    else:
        s = crossing_disk(helix, geometry[layer, POSITION], s_from)
        if not math.isfinite(s):
            return s
        x, y, _ = position_at(helix, s)
        u = math.sqrt(x * x + y * y)
    if u < geometry[layer, U_MIN] or u > geometry[layer, U_MAX]:
        return math.inf
    return s


@njit(cache=True, inline="always")
def next_layer(helix, geometry, visited, s_from, bounds):
    """The unvisited layer crossed first after ``s_from`` and its arc length; (-1, inf) if none.

    Exact crossings are costly, so each layer first gets a cheap lower bound on its arc
    length from the point at ``s_from``: the radial distance to a cylinder (out to the
    circle's largest radius and back for one behind the direction of motion; none beyond
    the circle's reach), |dz| / |tan lambda| to a disk ahead (none behind). Layers are then
    tried in order of that bound until no bound can beat the best crossing found.
    ``bounds`` is scratch space, one entry per layer.
    """
    x, y, z = position_at(helix, s_from)
    r = math.sqrt(x * x + y * y)
    slope = helix[TAN_LAMBDA]
    # radial direction of motion: the tangent is sense * (-(y - yc), x - xc) / radius
    outwards = helix[SENSE] * (x * helix[YC] - y * helix[XC]) >= 0.0
    d = math.sqrt(helix[XC] ** 2 + helix[YC] ** 2)
    r_far, r_near = d + helix[RADIUS], abs(d - helix[RADIUS])
    for layer in range(geometry.shape[0]):
        position = geometry[layer, POSITION]
        thickness = geometry[layer, HALF_THICKNESS]
        bounds[layer] = math.inf
        if visited[layer]:
            continue
        if geometry[layer, IS_BARREL] > 0.5:
            if position - thickness > r_far or position + thickness < r_near:
                continue
            if (position > r) == outwards or abs(position - r) < thickness:
                gap = abs(position - r)
            elif outwards:  # out to the largest radius, then back in
                gap = 2.0 * r_far - r - position
            else:
                gap = r + position - 2.0 * r_near
            bounds[layer] = s_from + max(gap - thickness, 0.0)
        elif slope != 0.0:
            gap = (position - z) / slope  # transverse path to the disk, negative behind
            if gap > -thickness / abs(slope):
                bounds[layer] = s_from + max(gap - thickness / abs(slope), 0.0)
    best_layer = -1
    best_s = math.inf
    while True:
        layer = np.argmin(bounds)
        if bounds[layer] >= best_s:
            break
        bounds[layer] = math.inf
        s = layer_crossing(helix, geometry, layer, s_from)
        if s < best_s:
            best_s = s
            best_layer = layer
    return best_layer, best_s


@njit(cache=True, inline="always")
def tangent_per_normal(helix, geometry, layer, x, y):
    """Change of (x, y, z) per mm of the layer's normal coordinate (r or z) at a point."""
    tx = -helix[SENSE] * (y - helix[YC]) / helix[RADIUS]
    ty = helix[SENSE] * (x - helix[XC]) / helix[RADIUS]
    tz = helix[TAN_LAMBDA]
    if geometry[layer, IS_BARREL] > 0.5:
        rate = (x * tx + y * ty) / max(math.sqrt(x * x + y * y), 1e-9)
    else:
        rate = tz
    rate = math.copysign(max(abs(rate), 1e-3), rate)
    return tx / rate, ty / rate, tz / rate


@njit(cache=True, inline="always")
def residuals(hits, hit, geometry, layer, px, py, pz, dx, dy, dz):
    """Distance of ``hit`` from the predicted point, across (r-phi) and along (u) the layer.

    The prediction is first moved along the track to the hit's own normal coordinate, so
    hits on modules slightly off the layer's nominal surface are judged fairly.
    """
    if geometry[layer, IS_BARREL] > 0.5:
        shift = hits[hit, HR] - geometry[layer, POSITION]
    else:
        shift = hits[hit, HZ] - geometry[layer, POSITION]
    qx = px + dx * shift
    qy = py + dy * shift
    qz = pz + dz * shift
    ex = hits[hit, HX] - qx
    ey = hits[hit, HY] - qy
    rq = max(math.sqrt(qx * qx + qy * qy), 1e-9)
    across = (-ex * qy + ey * qx) / rq
    if geometry[layer, IS_BARREL] > 0.5:
        along = hits[hit, HZ] - qz
    else:
        along = (ex * qx + ey * qy) / rq
    return across, along


@njit(cache=True, inline="always")
def window_around(helix, geometry, layer, s, w_rphi, w_u):
    """The search window around the helix's point at arc length ``s`` on ``layer``.

    Returns the predicted point (px, py, pz), the change of the prediction per mm of the
    layer's normal coordinate (dx, dy, dz, see :func:`tangent_per_normal`), the hit table
    column of the coordinate along the layer (HZ or HR), its predicted value u and half
    width du (w_u widened by the layer's thickness), the first azimuth bin, the number of
    azimuth bins and the range of u bins to scan.
    """
    px, py, pz = position_at(helix, s)
    dx, dy, dz = tangent_per_normal(helix, geometry, layer, px, py)
    slack = geometry[layer, HALF_THICKNESS]
    r = max(math.sqrt(px * px + py * py), 1.0)
    # a hit w mm across the road from a point at radius r is up to asin(w / r) away in azimuth
    reach = (w_rphi + slack * math.sqrt(dx * dx + dy * dy)) / r
    dphi = math.asin(reach) if reach < 1.0 else math.pi
    u_column = HZ if geometry[layer, IS_BARREL] > 0.5 else HR
    if u_column == HZ:
        u = pz
        du = w_u + slack * abs(dz)
    else:
        u = r
        du = w_u + slack * abs(dx * px + dy * py) / r
    first, n_phi = phi_bin_range(math.atan2(py, px), dphi)
    u_lo = u_bin(geometry, layer, u - du)
    u_hi = u_bin(geometry, layer, u + du)
    return px, py, pz, dx, dy, dz, u_column, u, du, first, n_phi, u_lo, u_hi


@njit(cache=True, inline="always")
def fits_cluster(hits, hit, cot):
    """Whether a track of |cot(theta)| ``cot`` fits the hit's cluster length (see clusters.py)."""
    return hits[hit, HCOT_LO] <= cot + COT_SLACK and cot - COT_SLACK <= hits[hit, HCOT_HI]


@njit(cache=True, inline="always")
def best_hit(
    hits, hit_layer, hit_module, hit_used, bin_start, geometry, layer, helix, s, w_rphi, w_u,
    skip_module,
):  # fmt: skip
    """The two nearest usable hits of ``layer`` to the helix at arc length ``s``, on two
    different modules, within the windows (half widths w_rphi, w_u in mm).

    Hits flagged in ``hit_used``, hits on module ``skip_module`` (-1: none) and pixel hits
    whose cluster does not fit the helix's dip angle are ignored. Returns (hit, normalised
    distance squared, second hit, its normalised distance squared); the second hit is the
    nearest one on another module than the first, for sensors that overlap. Missing hits
    are -1 with distance inf.
    """
    px, py, pz, dx, dy, dz, u_column, u, du, first, n_phi, u_lo, u_hi = window_around(
        helix, geometry, layer, s, w_rphi, w_u
    )
    cot = abs(helix[TAN_LAMBDA])
    best, best_chi2, best_module = -1, math.inf, -1
    second, second_chi2 = -1, math.inf
    for k in range(n_phi):
        pb = (first + k) % N_PHI
        for hit in range(
            bin_start[bin_number(layer, pb, u_lo)], bin_start[bin_number(layer, pb, u_hi) + 1]
        ):
            if abs(hits[hit, u_column] - u) > du:  # bins are long along u: a cheap test first
                continue
            module = hit_module[hit]
            if hit_used[hit] or module == skip_module or not fits_cluster(hits, hit, cot):
                continue
            across, along = residuals(hits, hit, geometry, layer, px, py, pz, dx, dy, dz)
            if abs(across) >= w_rphi or abs(along) >= w_u:
                continue
            chi2 = (across / w_rphi) ** 2 + (along / w_u) ** 2
            if chi2 < best_chi2:
                if module != best_module:  # the old best is the nearest off the new module
                    second, second_chi2 = best, best_chi2
                best, best_chi2, best_module = hit, chi2, module
            elif chi2 < second_chi2 and module != best_module:
                second, second_chi2 = hit, chi2
    return best, best_chi2, second, second_chi2


@njit(cache=True)
def hits_in_window(
    hits, hit_layer, usable, bin_start, geometry, layer, helix, s, w_rphi, w_u, found, chi2,
):  # fmt: skip
    """Every hit of ``layer`` flagged in ``usable`` within the windows (half widths w_rphi,
    w_u in mm) around the helix at arc length ``s`` whose cluster fits the helix's dip angle.

    Writes up to ``found.shape[0]`` of them into ``found`` and their normalised distances
    squared into ``chi2`` (as :func:`best_hit` measures them); returns how many.
    """
    px, py, pz, dx, dy, dz, u_column, u, du, first, n_phi, u_lo, u_hi = window_around(
        helix, geometry, layer, s, w_rphi, w_u
    )
    cot = abs(helix[TAN_LAMBDA])
    count = 0
    for k in range(n_phi):
        pb = (first + k) % N_PHI
        for hit in range(
            bin_start[bin_number(layer, pb, u_lo)], bin_start[bin_number(layer, pb, u_hi) + 1]
        ):
            if abs(hits[hit, u_column] - u) > du or not usable[hit]:
                continue
            if not fits_cluster(hits, hit, cot) or count == found.shape[0]:
                continue
            across, along = residuals(hits, hit, geometry, layer, px, py, pz, dx, dy, dz)
            if abs(across) >= w_rphi or abs(along) >= w_u:
                continue
            found[count] = hit
            chi2[count] = (across / w_rphi) ** 2 + (along / w_u) ** 2
            count += 1
    return count


@njit(cache=True, inline="always")
def windows(helix, geometry, layer, gap, config):
    """Half widths (mm) of the search window across and along ``layer`` after a gap (mm)."""
    scattering = config.scattering_mm_mev * gap / momentum_mev(helix)
    w_rphi = config.n_sigma * math.sqrt(geometry[layer, SIGMA_RPHI] ** 2 + scattering**2)
    w_u = config.n_sigma * math.sqrt(geometry[layer, SIGMA_U] ** 2 + scattering**2)
    return w_rphi + config.floor_mm, w_u + config.floor_mm


@njit(cache=True, inline="always")
def load_hit(hits, hit, geometry, layer, config, coords, i):
    """Copy a hit's position and fit weights into column ``i`` of the track's ``coords``."""
    coords[0, i] = hits[hit, HX]
    coords[1, i] = hits[hit, HY]
    coords[2, i] = hits[hit, HZ]
    sigma_rphi = geometry[layer, SIGMA_RPHI] + config.floor_mm
    coords[3, i] = 1.0 / sigma_rphi**2
    sigma_z = geometry[layer, SIGMA_U] if geometry[layer, IS_BARREL] > 0.5 else sigma_rphi
    coords[4, i] = 1.0 / (sigma_z + config.floor_mm) ** 2


@njit(cache=True, inline="always")
def refit(coords, n, config, helix, work):
    """Refit ``helix`` to the first ``n`` hits of a track; False when the fit fails.

    ``coords`` holds the track's hits as loaded by :func:`load_hit`. Hits count less the
    older they are (``memory`` per hit) and only the latest ``fit_hits`` enter, so the
    helix follows the track through multiple scattering and energy loss. ``work`` is
    scratch space of shape (6, n).
    """
    x, y, z, w_xy, w_z, s = work[0], work[1], work[2], work[3], work[4], work[5]
    fade = 1.0
    first = max(0, n - config.fit_hits)
    for i in range(n - 1, first - 1, -1):
        k = i - first
        x[k] = coords[0, i]
        y[k] = coords[1, i]
        z[k] = coords[2, i]
        w_xy[k] = fade * coords[3, i]
        w_z[k] = fade * coords[4, i]
        fade *= config.memory
    fade *= config.memory**first
    return fit_helix(x, y, z, w_xy, w_z, s, n - first, config.beam_weight * fade, helix)


@njit(cache=True)
def follow(
    track, n_seed, hits, hit_layer, hit_module, hit_used, bin_start, geometry, config,
    inwards=True,
):  # fmt: skip
    """Extend the seed ``track[:n_seed]`` (hit indices ordered outwards) along its road.

    First the layers of the seed are searched for a further hit on an overlapping module
    (another module than each seed hit's), then the road is followed outwards, then (with
    ``inwards``) from the innermost hit back towards the beam line (for seeds that did
    not start on the first layer crossed). Appends hits to ``track`` in place. Returns
    (number of hits, sum of normalised distances squared of the hits added outwards,
    number of holes: crossings without a hit between two hits, outwards).
    """
    helix = np.empty(HELIX_SIZE)
    work = np.empty((6, track.shape[0]))
    coords = np.empty((5, track.shape[0]))
    bounds = np.empty(geometry.shape[0])
    for i in range(n_seed):
        load_hit(hits, track[i], geometry, hit_layer[track[i]], config, coords, i)
    if not refit(coords, n_seed, config, helix, work):
        return n_seed, 0.0, 0
    visited = np.zeros(geometry.shape[0], dtype=np.bool_)
    n = n_seed
    for i in range(n_seed):
        hit = track[i]
        layer = hit_layer[hit]
        visited[layer] = True
        s_hit = arc_length_of(helix, hits[hit, HX], hits[hit, HY])
        s = layer_crossing(helix, geometry, layer, s_hit - 10.0)
        if not math.isfinite(s):
            continue
        w_rphi, w_u = windows(helix, geometry, layer, 0.0, config)
        second, chi2, _, _ = best_hit(
            hits, hit_layer, hit_module, hit_used, bin_start, geometry,
            layer, helix, s, w_rphi, w_u, hit_module[hit],
        )  # fmt: skip
        if second >= 0 and chi2 < config.overlap_chi2 and not _holds(track, n, second):
            load_hit(hits, second, geometry, layer, config, coords, n)
            track[n] = second
            n += 1
    last = track[n_seed - 1]
    s_last = arc_length_of(helix, hits[last, HX], hits[last, HY])
    n, chi2_sum, holes = _walk(
        track, n, coords, helix, work, bounds, visited, s_last, False,
        hits, hit_layer, hit_module, hit_used, bin_start, geometry, config,
    )  # fmt: skip
    if not inwards or n == track.shape[0]:
        return n, chi2_sum, holes
    # inwards: the same road with the hits in reverse order, so the fit favours the inner ones
    reverse = np.empty_like(coords)
    for i in range(n):
        reverse[:, i] = coords[:, n - 1 - i]
    if refit(reverse, n, config, helix, work):
        first = track[0]
        s_first = arc_length_of(helix, hits[first, HX], hits[first, HY])
        n, _, _ = _walk(
            track, n, reverse, helix, work, bounds, visited, s_first, True,
            hits, hit_layer, hit_module, hit_used, bin_start, geometry, config,
        )  # fmt: skip
    return n, chi2_sum, holes


@njit(cache=True)
def _walk(
    track, n, coords, helix, work, bounds, visited, s_last, inwards,
    hits, hit_layer, hit_module, hit_used, bin_start, geometry, config,
):  # fmt: skip
    """Follow the road from arc length ``s_last`` along ``helix`` crossing by crossing.

    Outwards the walk ends after half a turn or too many misses; inwards (the helix then
    runs towards the beam line) at the beam line or at the first miss. Hits are appended to
    ``track`` and ``coords`` and the helix is refitted after each. Returns (number of
    hits, sum of normalised distances squared of the added hits, number of holes).
    """
    s_from = s_last
    misses = 0
    holes = 0
    chi2_sum = 0.0
    limit = -1.0 if inwards else math.pi * helix[RADIUS]
    max_misses = 0 if inwards else config.max_misses
    while n < track.shape[0]:
        layer, s = next_layer(helix, geometry, visited, s_from, bounds)
        if layer < 0 or s > limit:
            break
        visited[layer] = True
        w_rphi, w_u = windows(helix, geometry, layer, s - s_last, config)
        hit, chi2, second, chi2b = best_hit(
            hits, hit_layer, hit_module, hit_used, bin_start, geometry,
            layer, helix, s, w_rphi, w_u, -1,
        )  # fmt: skip
        s_from = s - 5.0
        if hit < 0:
            misses += 1
            if misses > max_misses or holes + misses > config.max_holes:
                break  # a further hit would only make a track with too many holes
            continue
        holes += misses
        misses = 0
        load_hit(hits, hit, geometry, layer, config, coords, n)
        track[n] = hit
        n += 1
        chi2_sum += chi2
        if n < track.shape[0] and second >= 0 and chi2b < config.overlap_chi2:
            load_hit(hits, second, geometry, layer, config, coords, n)
            track[n] = second
            n += 1
        if not refit(coords, n, config, helix, work):
            break
        s_last = s
        if not inwards:
            limit = math.pi * helix[RADIUS]
    return n, chi2_sum, holes


@njit(cache=True)
def _holds(track, n, hit):
    for i in range(n):
        if track[i] == hit:
            return True
    return False


@njit(cache=True)
def arc_length_of(helix, x, y):
    """Signed arc length (mm, within half a turn) from the reference point to the point of
    the circle nearest (x, y)."""
    alpha = math.atan2(y - helix[YC], x - helix[XC])
    return helix[RADIUS] * wrap_angle(helix[SENSE] * (alpha - helix[ALPHA0]))

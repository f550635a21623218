"""Helix transport of charged particles through the tracker in a solenoid field along z.

A particle moves on an exact helix between layers; at each layer crossing it leaves a
truth hit on every module its helix passes through, then the layer's material deflects it
(multiple scattering, Highland formula), slows it (ionisation loss, Bethe-Bloch-like
1/beta^2 rise) and may knock out a nucleus, which ends it and starts secondaries.
Units: mm, GeV, tesla; helix parameter t is the transverse arc length in mm.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

C_FIELD = 0.299792458e-3  # GeV / (T mm): pT = C_FIELD * |q| * B * R
T_MIN = 1e-3  # mm, minimum step so a surface just left is not found again
EDGE_MARGIN = 5.0  # mm added to layer extents when looking for module candidates
X0_SILICON = 93.7  # mm
LAMBDA_SILICON = 465.2  # mm, nuclear interaction length
DEDX_SILICON = 0.387e-3  # GeV / mm, minimum-ionising loss
MAX_STEPS = 64  # layer crossings per particle
PION_MASS = 0.13957  # GeV


@njit(cache=True)
def helix(x, y, z, px, py, pz, q, bz):
    """Helix of a charge q (e) at (x, y, z) mm with momentum (px, py, pz) GeV in field bz (T).

    Returned as (x, y, z, phi0, kappa, pt, pz, xc, yc): start point, azimuth of the
    momentum, signed transverse curvature (1/mm), pT and pz (GeV), centre of the circle.
    """
    pt = math.sqrt(px * px + py * py)
    kappa = -q * C_FIELD * bz / pt
    phi0 = math.atan2(py, px)
    return (x, y, z, phi0, kappa, pt, pz, x - math.sin(phi0) / kappa, y + math.cos(phi0) / kappa)


@njit(cache=True)
def helix_at(h, t):
    """Position (mm) and momentum (GeV) on helix h after transverse arc length t (mm)."""
    x, y, z, phi0, kappa, pt, pz = h[0], h[1], h[2], h[3], h[4], h[5], h[6]
    half = 0.5 * kappa * t
    chord = t if abs(half) < 1e-12 else math.sin(half) / (0.5 * kappa)
    mid = phi0 + half
    phi1 = phi0 + kappa * t
    return (
        x + chord * math.cos(mid),
        y + chord * math.sin(mid),
        z + t * pz / pt,
        pt * math.cos(phi1),
        pt * math.sin(phi1),
        pz,
    )


@njit(cache=True)
def helix_step(x, y, z, px, py, pz, q, bz, t):
    """Position (mm) and momentum (GeV) after transverse arc length t (mm) from a start state."""
    return helix_at(helix(x, y, z, px, py, pz, q, bz), t)


@njit(cache=True)
def cylinder_crossings(h, radius):
    """Arc lengths t > T_MIN (mm) of the next two crossings of the cylinder r = radius, or inf."""
    x, y, kappa, xc, yc = h[0], h[1], h[4], h[7], h[8]
    rho = 1.0 / abs(kappa)
    d = math.sqrt(xc * xc + yc * yc)
    if d < 1e-9 or d > rho + radius or d < abs(rho - radius):
        return np.inf, np.inf
    a = (radius * radius - rho * rho + d * d) / (2.0 * d)
    half_chord = math.sqrt(max(radius * radius - a * a, 0.0))
    ex, ey = xc / d, yc / d
    v0x, v0y = x - xc, y - yc
    t_first, t_second = np.inf, np.inf
    for sign in (1.0, -1.0):
        vx = a * ex - sign * half_chord * ey - xc
        vy = a * ey + sign * half_chord * ex - yc
        dbeta = math.atan2(v0x * vy - v0y * vx, v0x * vx + v0y * vy)
        t = (dbeta if kappa > 0 else -dbeta) * rho
        if t <= T_MIN:
            t += 2.0 * math.pi * rho
        if t < t_first:
            t_first, t_second = t, t_first
        else:
            t_second = t
    return t_first, t_second


@njit(cache=True)
def disk_crossing(h, z_disk):
    """Arc length t > T_MIN (mm) at which helix h reaches the plane z = z_disk, or inf."""
    if h[6] == 0.0:
        return np.inf
    t = (z_disk - h[2]) * h[5] / h[6]
    return t if t > T_MIN else np.inf


@njit(cache=True)
def plane_crossing(h, module, t_guess):
    """Arc length (mm) where helix h meets the module plane (Newton from t_guess), or nan."""
    nx, ny, nz = module[5], module[8], module[11]
    t = t_guess
    for _ in range(30):
        x1, y1, z1, px1, py1, pz1 = helix_at(h, t)
        f = nx * (x1 - module[0]) + ny * (y1 - module[1]) + nz * (z1 - module[2])
        slope = (nx * px1 + ny * py1 + nz * pz1) / h[5]
        if abs(slope) < 1e-6:
            return np.nan
        step = f / slope
        t -= step
        if abs(step) < 1e-10:
            return t
    return np.nan


@njit(cache=True)
def local_uv(module, gx, gy, gz):
    """Local (u, v) in mm of a global point on the module."""
    dx, dy, dz = gx - module[0], gy - module[1], gz - module[2]
    u = dx * module[3] + dy * module[6] + dz * module[9]
    v = dx * module[4] + dy * module[7] + dz * module[10]
    return u, v


@njit(cache=True)
def inside_module(module, u, v):
    """True when local (u, v) lies within the module's (trapezoidal) outline."""
    hv = module[15]
    if abs(v) > hv:
        return False
    hu = module[13] + (module[14] - module[13]) * (v + hv) / (2.0 * hv)
    return abs(u) <= hu


@njit(cache=True)
def candidate_modules(layer, rings, gx, gy, gz, out):
    """Fill ``out`` with module rows near the global point on the layer; return their count."""
    n = 0
    phi = math.atan2(gy, gx)
    if phi < 0:
        phi += 2.0 * math.pi
    first = int(layer[5])
    if layer[0] == 0.0:
        n_phi, n_z = int(layer[6]), int(layer[7])
        half_length, hv = layer[2], layer[3]
        i0 = int(math.floor(phi * n_phi / (2.0 * math.pi)))
        dz = (2.0 * (half_length - hv)) / (n_z - 1)
        j0 = int(round((gz + half_length - hv) / dz))
        for j in range(j0 - 1, j0 + 2):
            if j < 0 or j >= n_z:
                continue
            for i in range(i0 - 1, i0 + 2):
                out[n] = first + j * n_phi + (i % n_phi)
                n += 1
    else:
        r = math.sqrt(gx * gx + gy * gy)
        for k in range(int(layer[9])):
            ring = rings[int(layer[8]) + k]
            if abs(r - ring[0]) > ring[1] + EDGE_MARGIN:
                continue
            n_phi = int(ring[2])
            i0 = int(round(phi * n_phi / (2.0 * math.pi) - 0.5 * (k % 2)))
            for i in range(i0 - 1, i0 + 2):
                out[n] = int(ring[3]) + (i % n_phi)
                n += 1
    return n


@njit(cache=True)
def next_layer(h, layers):
    """(t, layer index) of the next layer helix h crosses within its extent, or (inf, -1)."""
    t_best, l_best = np.inf, -1
    for index in range(layers.shape[0]):
        layer = layers[index]
        if layer[0] != 0.0:
            continue
        t1, t2 = cylinder_crossings(h, layer[1])
        for t in (t1, t2):
            if t < t_best and abs(h[2] + t * h[6] / h[5]) <= layer[2] + EDGE_MARGIN:
                t_best, l_best = t, index
                break
    for index in range(layers.shape[0]):
        layer = layers[index]
        if layer[0] == 0.0:
            continue
        t = disk_crossing(h, layer[1])
        if t < t_best:
            xc, yc, _, _, _, _ = helix_at(h, t)
            r = math.sqrt(xc * xc + yc * yc)
            if layer[2] - EDGE_MARGIN <= r <= layer[3] + EDGE_MARGIN:
                t_best, l_best = t, index
    return t_best, l_best


@njit(cache=True)
def layer_hits(h, layer, rings, modules, t_c, cand, out):
    """Fill out[k] = (module row, t) for every module of the layer helix h crosses near t_c.

    ``out`` is sized like ``cand`` (at most 3 x 3 candidates); returns the count.
    """
    n_out = 0
    gx, gy, gz, gpx, gpy, gpz = helix_at(h, t_c)
    p = math.sqrt(gpx * gpx + gpy * gpy + gpz * gpz)
    dx, dy, dz = gpx / p, gpy / p, gpz / p
    n_cand = candidate_modules(layer, rings, gx, gy, gz, cand)
    for c in range(n_cand):
        module = modules[cand[c]]
        # straight-line estimate first: cheap rejection of modules the track misses
        nx, ny, nz = module[5], module[8], module[11]
        along = nx * dx + ny * dy + nz * dz
        if abs(along) < 1e-6:
            continue
        s = -(nx * (gx - module[0]) + ny * (gy - module[1]) + nz * (gz - module[2])) / along
        u, v = local_uv(module, gx + s * dx, gy + s * dy, gz + s * dz)
        if abs(v) > module[15] + 2.0 or abs(u) > module[14] + 2.0:
            continue
        t_m = plane_crossing(h, module, t_c + s * math.sqrt(dx * dx + dy * dy))
        if not (t_m > T_MIN and abs(t_m - t_c) < 50.0):
            continue
        hx, hy, hz, _, _, _ = helix_at(h, t_m)
        u, v = local_uv(module, hx, hy, hz)
        if not inside_module(module, u, v):
            continue
        out[n_out, 0] = cand[c]
        out[n_out, 1] = t_m
        n_out += 1
    return n_out


@njit(cache=True)
def highland_angle(p, beta, x_over_x0):
    """RMS plane scattering angle (rad) of a unit charge with momentum p (GeV)."""
    return (
        13.6e-3 / (beta * p) * math.sqrt(x_over_x0) * (1.0 + 0.038 * math.log(x_over_x0 / beta**2))
    )


@njit(cache=True)
def scatter_direction(dx, dy, dz, theta0):
    """Unit direction after a random deflection with plane RMS angle theta0 (rad)."""
    # an orthonormal pair perpendicular to d
    if abs(dz) < 0.9:
        ax, ay, az = -dy, dx, 0.0
    else:
        ax, ay, az = 0.0, -dz, dy
    norm = math.sqrt(ax * ax + ay * ay + az * az)
    ax, ay, az = ax / norm, ay / norm, az / norm
    bx, by, bz = dy * az - dz * ay, dz * ax - dx * az, dx * ay - dy * ax
    t1 = np.random.normal() * theta0
    t2 = np.random.normal() * theta0
    nx, ny, nz = dx + t1 * ax + t2 * bx, dy + t1 * ay + t2 * by, dz + t1 * az + t2 * bz
    norm = math.sqrt(nx * nx + ny * ny + nz * nz)
    return nx / norm, ny / norm, nz / norm


@njit(cache=True)
def transport(part, n_primary, layers, rings, modules, bz, max_turns, material, seed, hit_capacity):
    """Transport every particle of ``part``; append secondaries to it; return the truth hits.

    part[i] = (vx, vy, vz, px, py, pz, q, mass, parent row or -1, generation); rows past
    n_primary are filled with secondaries (capacity = len(part)). Returns (n_particles,
    n_hits, hits) with hits[k] = (particle row, module row, tx, ty, tz, tpx, tpy, tpz), or
    n_hits = -1 when hit_capacity or the particle capacity was too small.
    """
    np.random.seed(seed)
    hits = np.empty((hit_capacity, 8))
    cand = np.empty(16, dtype=np.int64)
    crossed = np.empty((16, 2))
    n_part, n_hits = n_primary, 0
    p_row = 0
    while p_row < n_part:
        x, y, z = part[p_row, 0], part[p_row, 1], part[p_row, 2]
        px, py, pz = part[p_row, 3], part[p_row, 4], part[p_row, 5]
        q, mass = part[p_row, 6], part[p_row, 7]
        budget = 2.0 * math.pi * max_turns
        for _ in range(MAX_STEPS):
            h = helix(x, y, z, px, py, pz, q, bz)
            t_c, index = next_layer(h, layers)
            if index < 0:
                break
            budget -= abs(h[4]) * t_c
            if budget < 0:
                break
            layer = layers[index]
            n_crossed = layer_hits(h, layer, rings, modules, t_c, cand, crossed)
            if n_hits + n_crossed > hit_capacity:
                return n_part, -1, hits
            for k in range(n_crossed):
                hx, hy, hz, hpx, hpy, hpz = helix_at(h, crossed[k, 1])
                row = hits[n_hits]
                row[0], row[1], row[2], row[3], row[4] = p_row, crossed[k, 0], hx, hy, hz
                row[5], row[6], row[7] = hpx, hpy, hpz
                n_hits += 1
            x, y, z, px, py, pz = helix_at(h, t_c)
            if not material or n_crossed == 0:
                continue
            # material of the crossed layer, traversed at the local incidence angle
            p = math.sqrt(px * px + py * py + pz * pz)
            dx, dy, dz = px / p, py / p, pz / p
            if layer[0] == 0.0:
                cos_inc = abs(dx * x + dy * y) / math.sqrt(x * x + y * y)
            else:
                cos_inc = abs(dz)
            x_over_x0 = layer[4] / max(cos_inc, 0.1)
            energy = math.sqrt(p * p + mass * mass)
            beta = p / energy
            dx, dy, dz = scatter_direction(dx, dy, dz, highland_angle(p, beta, x_over_x0))
            loss = DEDX_SILICON * X0_SILICON * x_over_x0 * min(1.0 / beta**2, 20.0)
            energy -= loss * (0.75 + 0.25 * np.random.exponential())
            if energy <= mass * 1.001:
                break
            p = math.sqrt(energy * energy - mass * mass)
            px, py, pz = p * dx, p * dy, p * dz
            if np.random.random() < x_over_x0 * X0_SILICON / LAMBDA_SILICON:
                n_part = _nuclear_interaction(part, n_part, p_row, x, y, z, px, py, pz)
                if n_part < 0:
                    return 0, -1, hits
                break
        p_row += 1
    return n_part, n_hits, hits


@njit(cache=True)
def _nuclear_interaction(part, n_part, parent, x, y, z, px, py, pz):
    """Append 1-4 charged secondaries of an inelastic interaction at (x, y, z); return the count."""
    n_sec = 1 + min(np.random.poisson(1.2), 3)
    p = math.sqrt(px * px + py * py + pz * pz)
    shares = np.random.exponential(1.0, n_sec)
    shares *= np.random.uniform(0.3, 0.9) / shares.sum()
    for k in range(n_sec):
        p_sec = p * shares[k]
        spread = min(0.5, 0.3 / p_sec)
        dx, dy, dz = scatter_direction(px / p, py / p, pz / p, spread)
        if p_sec * math.sqrt(dx * dx + dy * dy) < 0.03:
            continue
        if n_part >= part.shape[0]:
            return -1
        q = 1.0 if np.random.random() < 0.5 else -1.0
        row = part[n_part]
        row[0], row[1], row[2] = x, y, z
        row[3], row[4], row[5] = p_sec * dx, p_sec * dy, p_sec * dz
        row[6], row[7], row[8], row[9] = q, PION_MASS, parent, part[parent, 9] + 1
        n_part += 1
    return n_part

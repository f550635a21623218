"""Silicon read-out: cells fired by each track crossing and the measured hit position.

The track crosses the sensor from w = -t/2 to w = +t/2 along its local direction; the
straight segment is walked through the cell grid (pitch_u x pitch_v) and each cell gets the
charge of its share of the path, in units of the deposit of a normally incident
minimum-ionising particle (a clean perpendicular crossing gives a single cell of value 1).
The measured position is the charge-weighted centre of the fired cells on the module
mid-plane, so it is quantised by the pitch as in a real binary/analogue read-out.
Noise hits are single cells fired at random on uniformly chosen modules. Units: mm.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

MAX_CELLS_PER_AXIS = 16  # longest cluster, in cells, along u or v (very inclined tracks)
SUBSTEPS_PER_CELL = 4


@njit(cache=True)
def cell_grid(module):
    """(number of cells along u, number along v) of a module."""
    n_u = int(math.ceil(2.0 * module[14] / module[16] - 1e-9))
    n_v = int(math.ceil(2.0 * module[15] / module[17] - 1e-9))
    return n_u, n_v


@njit(cache=True)
def digitize(hits, modules, cell_capacity):
    """Cells and measured positions of the truth hits (rows as returned by ``transport``).

    Returns (positions (n, 3) mm, cells (k, 4) = (hit row, ch0, ch1, value), k), with
    k = -1 when cell_capacity was too small.
    """
    n = hits.shape[0]
    positions = np.empty((n, 3))
    cells = np.empty((cell_capacity, 4))
    k = 0
    for h in range(n):
        module = modules[int(hits[h, 1])]
        maxhu, hv, pu, pv = module[14], module[15], module[16], module[17]
        dx, dy, dz = hits[h, 2] - module[0], hits[h, 3] - module[1], hits[h, 4] - module[2]
        u0 = dx * module[3] + dy * module[6] + dz * module[9]
        v0 = dx * module[4] + dy * module[7] + dz * module[10]
        px, py, pz = hits[h, 5], hits[h, 6], hits[h, 7]
        du = px * module[3] + py * module[6] + pz * module[9]
        dv = px * module[4] + py * module[7] + pz * module[10]
        dw = px * module[5] + py * module[8] + pz * module[11]
        if abs(dw) < 1e-6 * math.sqrt(du * du + dv * dv + dw * dw):
            dw = 1e-6 * math.sqrt(du * du + dv * dv + dw * dw)
        half_t = 0.5 * module[12]
        # cluster extent in cell units, clipped for grazing tracks
        eu = min(half_t * abs(du / dw) / pu, 0.5 * MAX_CELLS_PER_AXIS)
        ev = min(half_t * abs(dv / dw) / pv, 0.5 * MAX_CELLS_PER_AXIS)
        su = 1.0 if du * dw >= 0 else -1.0
        sv = 1.0 if dv * dw >= 0 else -1.0
        fu0, fv0 = (u0 + maxhu) / pu, (v0 + hv) / pv
        fu_in, fv_in = fu0 - su * eu, fv0 - sv * ev
        n_u, n_v = cell_grid(module)
        path = math.sqrt(du * du + dv * dv + dw * dw) / abs(dw)  # path / thickness
        n_sub = int(math.ceil(max(2 * eu, 2 * ev) * SUBSTEPS_PER_CELL)) + 1
        share = path / n_sub
        first = k
        last_u, last_v = -1, -1
        for s in range(n_sub):
            f = (s + 0.5) / n_sub
            iu = min(max(int(math.floor(fu_in + f * 2 * su * eu)), 0), n_u - 1)
            iv = min(max(int(math.floor(fv_in + f * 2 * sv * ev)), 0), n_v - 1)
            if iu == last_u and iv == last_v:
                cells[k - 1, 3] += share
                continue
            if k >= cell_capacity:
                return positions, cells, -1
            cells[k, 0], cells[k, 1], cells[k, 2], cells[k, 3] = h, iu, iv, share
            last_u, last_v = iu, iv
            k += 1
        total, su_sum, sv_sum = 0.0, 0.0, 0.0
        for c in range(first, k):
            total += cells[c, 3]
            su_sum += cells[c, 3] * (cells[c, 1] + 0.5)
            sv_sum += cells[c, 3] * (cells[c, 2] + 0.5)
        um = su_sum / total * pu - maxhu
        vm = sv_sum / total * pv - hv
        positions[h, 0] = module[0] + um * module[3] + vm * module[4]
        positions[h, 1] = module[1] + um * module[6] + vm * module[7]
        positions[h, 2] = module[2] + um * module[9] + vm * module[10]
    return positions, cells, k


def noise_hits(modules: np.ndarray, n_noise: int, rng: np.random.Generator):
    """Random single-cell hits on uniformly chosen modules.

    Returns (module rows, positions (n, 3) mm, ch0, ch1).
    """
    rows = rng.integers(0, modules.shape[0], n_noise)
    m = modules[rows]
    minhu, maxhu, hv, pu, pv = m[:, 13], m[:, 14], m[:, 15], m[:, 16], m[:, 17]
    # uniform over the trapezoid: dv = v + hv has a density linear in hu, invert its CDF
    slope = (maxhu - minhu) / (2 * hv)
    area = hv * (minhu + maxhu)
    x = rng.random(n_noise)
    flat = slope < 1e-12
    root = np.sqrt(minhu**2 + 2 * slope * x * area)
    dv = np.where(flat, x * 2 * hv, (root - minhu) / np.where(flat, 1.0, slope))
    v = dv - hv
    hu = minhu + (maxhu - minhu) * dv / (2 * hv)
    u = (2 * rng.random(n_noise) - 1) * hu
    ch0 = np.floor((u + maxhu) / pu).astype(np.int64)
    ch1 = np.floor((v + hv) / pv).astype(np.int64)
    um = (ch0 + 0.5) * pu - maxhu
    vm = (ch1 + 0.5) * pv - hv
    positions = m[:, 0:3] + um[:, None] * m[:, [3, 6, 9]] + vm[:, None] * m[:, [4, 7, 10]]
    return rows, positions, ch0, ch1

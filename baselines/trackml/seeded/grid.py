"""Hits binned per layer in (phi, u) for fast window searches.

``u`` is z for a barrel layer and the transverse radius r for a disk, in mm. Each layer is
cut into ``N_PHI`` x ``N_U`` bins. :func:`build_grid` gives the order that sorts the hits
bin after bin; the tracker renumbers its hits in that order, so that the hits of bin ``b``
are ``bin_start[b] : bin_start[b + 1]`` and neighbours in space are neighbours in memory.
"""

import math

import numpy as np
from numba import njit

N_PHI = 128
N_U = 16

# Columns of the per-layer geometry table handed to the numba kernels.
IS_BARREL, POSITION, HALF_THICKNESS, U_MIN, U_MAX, SIGMA_RPHI, SIGMA_U = range(7)
# Columns of the hit table: position (mm), transverse radius (mm), azimuth (rad) and the
# bounds on |cot(theta)| of a track through the hit read from its cluster (see clusters.py).
HX, HY, HZ, HR, HPHI, HCOT_LO, HCOT_HI = range(7)


def geometry_table(layers) -> np.ndarray:
    """The :class:`~.detector.Layers` as a (n_layers, 7) float64 table for numba kernels."""
    return np.column_stack(
        [
            layers.is_barrel.astype(np.float64),
            layers.position,
            layers.half_thickness,
            layers.u_min,
            layers.u_max,
            layers.sigma_rphi,
            layers.sigma_u,
        ]
    )


def hit_table(x, y, z) -> np.ndarray:
    """Hits as a (n, 5) float64 table: x, y, z, r, phi (mm, rad)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    return np.column_stack(
        [x, y, np.asarray(z, dtype=np.float64), np.hypot(x, y), np.arctan2(y, x)]
    )


@njit(cache=True)
def phi_bin(phi):
    """Bin number of an azimuth phi (rad), 0 .. N_PHI - 1."""
    b = int((phi + math.pi) * (N_PHI / (2.0 * math.pi)))
    return min(max(b, 0), N_PHI - 1)


@njit(cache=True)
def phi_bin_range(phi, dphi):
    """First bin and number of bins (wrapping round) covering azimuths phi +- dphi (rad)."""
    if dphi >= math.pi:
        return 0, N_PHI
    scale = N_PHI / (2.0 * math.pi)
    first = int(math.floor((phi - dphi + math.pi) * scale)) % N_PHI
    last = int(math.floor((phi + dphi + math.pi) * scale)) % N_PHI
    return first, (last - first) % N_PHI + 1


@njit(cache=True)
def u_bin(geometry, layer, u):
    """Bin number of a coordinate u (mm) along the layer, clipped to 0 .. N_U - 1."""
    lo = geometry[layer, U_MIN]
    width = (geometry[layer, U_MAX] - lo) / N_U
    b = int((u - lo) / width)
    return min(max(b, 0), N_U - 1)


@njit(cache=True)
def bin_number(layer, phi_b, u_b):
    return (layer * N_PHI + phi_b) * N_U + u_b


@njit(cache=True)
def build_grid(hits, hit_layer, geometry):
    """Counting sort of the hits into bins: returns (order, bin_start), ``order`` listing
    hit indices bin after bin and ``bin_start`` the offsets of the bins in it."""
    n_bins = geometry.shape[0] * N_PHI * N_U
    n = hits.shape[0]
    bins = np.empty(n, dtype=np.int64)
    counts = np.zeros(n_bins + 1, dtype=np.int64)
    for i in range(n):
        layer = hit_layer[i]
        u = hits[i, HZ] if geometry[layer, IS_BARREL] > 0.5 else hits[i, HR]
        bins[i] = bin_number(layer, phi_bin(hits[i, HPHI]), u_bin(geometry, layer, u))
        counts[bins[i] + 1] += 1
    bin_start = np.cumsum(counts)
    fill = bin_start[:-1].copy()
    order = np.empty(n, dtype=np.int64)
    for i in range(n):
        order[fill[bins[i]]] = i
        fill[bins[i]] += 1
    return order, bin_start

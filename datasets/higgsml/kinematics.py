"""Four-vectors as NumPy arrays of shape (..., 4) holding (E, px, py, pz) in GeV.

The z axis is the beam line; pseudorapidity eta = -ln tan(theta / 2), azimuth phi in
(-pi, pi] radians. Every function works on whole arrays of events at once. The three
hottest operations (building four-vectors, two-body decays, decays in flight) run as
compiled loops; each has a plain NumPy twin (``*_numpy``) that the tests use as oracle.
"""

from __future__ import annotations

import math

import numba
import numpy as np


def _flat(*arrays):
    """Broadcast float arrays and return them flattened, contiguous, plus the common shape."""
    arrays = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in arrays))
    return [np.ascontiguousarray(a).reshape(-1) for a in arrays], arrays[0].shape


@numba.njit(cache=True)
def _from_pt_eta_phi_m(pt, eta, phi, m):
    out = np.empty((pt.shape[0], 4))
    for i in range(pt.shape[0]):
        px = pt[i] * math.cos(phi[i])
        py = pt[i] * math.sin(phi[i])
        pz = pt[i] * math.sinh(eta[i])
        out[i, 0] = math.sqrt(px * px + py * py + pz * pz + m[i] * m[i])
        out[i, 1] = px
        out[i, 2] = py
        out[i, 3] = pz
    return out


def from_pt_eta_phi_m(pt, eta, phi, m) -> np.ndarray:
    """Four-vectors from transverse momentum (GeV), pseudorapidity, azimuth and mass (GeV)."""
    flat, shape = _flat(pt, eta, phi, m)
    return _from_pt_eta_phi_m(*flat).reshape(*shape, 4)


def from_pt_eta_phi_m_numpy(pt, eta, phi, m) -> np.ndarray:
    """NumPy twin of :func:`from_pt_eta_phi_m`."""
    pt, eta, phi, m = np.broadcast_arrays(
        *(np.asarray(a, dtype=np.float64) for a in (pt, eta, phi, m))
    )
    px, py, pz = pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta)
    energy = np.sqrt(px * px + py * py + pz * pz + m * m)
    return np.stack([energy, px, py, pz], axis=-1)


def from_mass_pt_rapidity(m, px, py, y) -> np.ndarray:
    """Four-vectors from mass (GeV), transverse momentum components (GeV) and rapidity."""
    mt = np.sqrt(m * m + px * px + py * py)
    return np.stack([mt * np.cosh(y), px, py, mt * np.sinh(y)], axis=-1)


def pt(p: np.ndarray) -> np.ndarray:
    """Transverse momentum (GeV)."""
    px, py = p[..., 1], p[..., 2]
    return np.sqrt(px * px + py * py)


def phi(p: np.ndarray) -> np.ndarray:
    """Azimuth (radians)."""
    return np.arctan2(p[..., 2], p[..., 1])


def eta(p: np.ndarray) -> np.ndarray:
    """Pseudorapidity; +-inf along the beam, 0 for a null vector."""
    transverse = pt(p)
    ratio = np.divide(p[..., 3], transverse, out=np.zeros_like(transverse), where=transverse > 0)
    return np.arcsinh(ratio)


def mass(p: np.ndarray) -> np.ndarray:
    """Invariant mass (GeV); small negative m^2 from rounding gives 0."""
    m2 = p[..., 0] ** 2 - p[..., 1] ** 2 - p[..., 2] ** 2 - p[..., 3] ** 2
    return np.sqrt(np.maximum(m2, 0.0))


def delta_phi(phi1, phi2) -> np.ndarray:
    """Azimuthal difference phi1 - phi2 folded into [-pi, pi)."""
    return np.mod(np.asarray(phi1) - phi2 + np.pi, 2.0 * np.pi) - np.pi


@numba.njit(cache=True)
def boost_into(q0, q1, q2, q3, parent, out):
    """Write into ``out`` (4,) the boost of (q0, q1, q2, q3) from the rest frame of ``parent``."""
    energy = parent[0]
    bx, by, bz = parent[1] / energy, parent[2] / energy, parent[3] / energy
    m2 = energy * energy - parent[1] ** 2 - parent[2] ** 2 - parent[3] ** 2
    gamma = energy / math.sqrt(max(m2, 0.0))
    bq = bx * q1 + by * q2 + bz * q3
    factor = gamma * gamma / (gamma + 1.0) * bq + gamma * q0
    out[0] = gamma * (q0 + bq)
    out[1] = q1 + factor * bx
    out[2] = q2 + factor * by
    out[3] = q3 + factor * bz


def boost_from_rest(q: np.ndarray, parent: np.ndarray) -> np.ndarray:
    """Boost four-vectors ``q`` given in the rest frame of ``parent`` to the frame of ``parent``.

    ``parent`` is the parent's four-vector in the destination (lab) frame.
    """
    m = mass(parent)[..., None]
    beta = parent[..., 1:] / parent[..., :1]
    gamma = parent[..., :1] / m
    bq = np.sum(beta * q[..., 1:], axis=-1, keepdims=True)
    factor = gamma * gamma / (gamma + 1.0) * bq + gamma * q[..., :1]
    energy = gamma * (q[..., :1] + bq)
    return np.concatenate([energy, q[..., 1:] + factor * beta], axis=-1)


def unit_directions(cos_theta, phi_angle) -> np.ndarray:
    """Unit three-vectors from polar-angle cosines (about +z) and azimuths (radians)."""
    sin_theta = np.sqrt(np.clip(1.0 - cos_theta * cos_theta, 0.0, None))
    return np.stack(
        [sin_theta * np.cos(phi_angle), sin_theta * np.sin(phi_angle), cos_theta], axis=-1
    )


def directions_about(axis: np.ndarray, cos_theta, phi_angle) -> np.ndarray:
    """Unit three-vectors at polar angle acos(cos_theta) and azimuth phi about ``axis`` (n, 3).

    The azimuth is counted from n x z (n x x when the axis is within 26 degrees of the beam).
    """
    n = axis / np.linalg.norm(axis, axis=-1, keepdims=True)
    helper = np.where(np.abs(n[..., 2:3]) < 0.9, [0.0, 0.0, 1.0], [1.0, 0.0, 0.0])
    u = np.cross(n, helper)
    u /= np.linalg.norm(u, axis=-1, keepdims=True)
    v = np.cross(n, u)
    sin_theta = np.sqrt(np.clip(1.0 - cos_theta * cos_theta, 0.0, None))[..., None]
    return (
        cos_theta[..., None] * n
        + sin_theta * np.cos(phi_angle)[..., None] * u
        + sin_theta * np.sin(phi_angle)[..., None] * v
    )


@numba.njit(cache=True)
def _decay_in_flight(parent, energy, momentum, cos_theta, phi_angle):
    out = np.empty((parent.shape[0], 4))
    for i in range(parent.shape[0]):
        norm = math.sqrt(parent[i, 1] ** 2 + parent[i, 2] ** 2 + parent[i, 3] ** 2)
        nx, ny, nz = parent[i, 1] / norm, parent[i, 2] / norm, parent[i, 3] / norm
        if abs(nz) < 0.9:  # u = n x z
            ux, uy, uz = ny, -nx, 0.0
        else:  # u = n x x
            ux, uy, uz = 0.0, nz, -ny
        norm = math.sqrt(ux * ux + uy * uy + uz * uz)
        ux, uy, uz = ux / norm, uy / norm, uz / norm
        vx, vy, vz = ny * uz - nz * uy, nz * ux - nx * uz, nx * uy - ny * ux
        c = cos_theta[i]
        s = math.sqrt(max(1.0 - c * c, 0.0))
        cp, sp = s * math.cos(phi_angle[i]), s * math.sin(phi_angle[i])
        p = momentum[i]
        boost_into(
            energy[i],
            p * (c * nx + cp * ux + sp * vx),
            p * (c * ny + cp * uy + sp * vy),
            p * (c * nz + cp * uz + sp * vz),
            parent[i],
            out[i],
        )
    return out


def decay_in_flight(parent: np.ndarray, energy, momentum, cos_theta, phi_angle) -> np.ndarray:
    """Lab four-vectors (n, 4) of daughters of moving ``parent`` (n, 4) particles.

    In the parent rest frame the daughter has ``energy`` and ``momentum`` (GeV) at polar
    angle acos(cos_theta) and azimuth phi about the parent's flight direction (the helicity
    axis), as :func:`directions_about` defines them.
    """
    parent = np.ascontiguousarray(parent, dtype=np.float64)
    (energy, momentum, cos_theta, phi_angle), _ = _flat(
        *np.broadcast_arrays(energy, momentum, cos_theta, phi_angle, parent[:, 0])[:4]
    )
    return _decay_in_flight(parent, energy, momentum, cos_theta, phi_angle)


def decay_in_flight_numpy(parent, energy, momentum, cos_theta, phi_angle) -> np.ndarray:
    """NumPy twin of :func:`decay_in_flight`."""
    direction = directions_about(parent[:, 1:], np.asarray(cos_theta), np.asarray(phi_angle))
    energy, momentum = (np.broadcast_to(a, len(parent))[:, None] for a in (energy, momentum))
    return boost_from_rest(np.concatenate([energy, momentum * direction], axis=1), parent)


def two_body_momentum(m, m1, m2) -> np.ndarray:
    """Daughter momentum (GeV) in the rest frame of a parent of mass m decaying to m1 + m2."""
    m, m1, m2 = (np.asarray(a, dtype=np.float64) for a in (m, m1, m2))
    lam = (m * m - (m1 + m2) ** 2) * (m * m - (m1 - m2) ** 2)
    return np.sqrt(np.maximum(lam, 0.0)) / (2.0 * m)


@numba.njit(cache=True)
def _two_body_decay(parent, m1, m2, cos_theta, phi_angle):
    out = np.empty((parent.shape[0], 2, 4))
    for i in range(parent.shape[0]):
        m2_parent = parent[i, 0] ** 2 - parent[i, 1] ** 2 - parent[i, 2] ** 2 - parent[i, 3] ** 2
        lam = (m2_parent - (m1[i] + m2[i]) ** 2) * (m2_parent - (m1[i] - m2[i]) ** 2)
        p = math.sqrt(max(lam, 0.0)) / (2.0 * math.sqrt(m2_parent))
        c = cos_theta[i]
        s = math.sqrt(max(1.0 - c * c, 0.0))
        dx, dy, dz = p * s * math.cos(phi_angle[i]), p * s * math.sin(phi_angle[i]), p * c
        boost_into(math.sqrt(p * p + m1[i] * m1[i]), dx, dy, dz, parent[i], out[i, 0])
        boost_into(math.sqrt(p * p + m2[i] * m2[i]), -dx, -dy, -dz, parent[i], out[i, 1])
    return out


def two_body_decay(parent: np.ndarray, m1, m2, cos_theta, phi_angle):
    """Decay ``parent`` (n, 4) into masses m1, m2 (GeV).

    Daughter 1 flies at polar angle acos(cos_theta) and azimuth phi (about +z) in the
    parent rest frame. Returns the two daughters' (n, 4) four-vectors in the lab frame.
    """
    parent = np.ascontiguousarray(parent, dtype=np.float64)
    (m1, m2, cos_theta, phi_angle), _ = _flat(
        *np.broadcast_arrays(m1, m2, cos_theta, phi_angle, parent[:, 0])[:4]
    )
    out = _two_body_decay(parent, m1, m2, cos_theta, phi_angle)
    return out[:, 0], out[:, 1]


def two_body_decay_numpy(parent: np.ndarray, m1, m2, cos_theta, phi_angle):
    """NumPy twin of :func:`two_body_decay`."""
    direction = unit_directions(np.asarray(cos_theta), np.asarray(phi_angle))
    p = two_body_momentum(mass(parent), m1, m2)[..., None]
    m1 = np.broadcast_to(np.asarray(m1, dtype=np.float64), p.shape[:-1])[..., None]
    m2 = np.broadcast_to(np.asarray(m2, dtype=np.float64), p.shape[:-1])[..., None]
    q1 = np.concatenate([np.sqrt(p * p + m1 * m1), p * direction], axis=-1)
    q2 = np.concatenate([np.sqrt(p * p + m2 * m2), -p * direction], axis=-1)
    return boost_from_rest(q1, parent), boost_from_rest(q2, parent)


def isotropic(rng: np.random.Generator, n: int):
    """(cos theta, phi) of ``n`` isotropic directions."""
    return rng.uniform(-1.0, 1.0, n), rng.uniform(-np.pi, np.pi, n)


def sample_power_law(rng: np.random.Generator, x_min: float, index: float, size) -> np.ndarray:
    """Samples of a density proportional to x^-index above x_min (index > 1)."""
    return x_min * rng.random(size) ** (-1.0 / (index - 1.0))


def sample_breit_wigner(rng, m0: float, width: float, lo: float, hi: float, size) -> np.ndarray:
    """Masses (GeV) from a Breit-Wigner (Cauchy) line shape truncated to [lo, hi]."""
    c_lo, c_hi = np.arctan(2.0 * (lo - m0) / width), np.arctan(2.0 * (hi - m0) / width)
    return m0 + 0.5 * width * np.tan(c_lo + (c_hi - c_lo) * rng.random(size))


def sample_linear_cosine(u, slope) -> np.ndarray:
    """Inverse-CDF samples of cos(theta) from the density (1 + slope * cos(theta)) / 2.

    ``u`` are uniform deviates in [0, 1); |slope| <= 1.
    """
    return (slope - 2.0 + 4.0 * u) / (1.0 + np.sqrt((1.0 - slope) ** 2 + 4.0 * slope * u))

"""Four-vectors as NumPy arrays of shape (..., 4) holding (E, px, py, pz) in GeV.

The z axis is the beam line; pseudorapidity eta = -ln tan(theta / 2), azimuth phi in
(-pi, pi] radians. Every function works on whole arrays of events at once.
"""

from __future__ import annotations

import numpy as np


def from_pt_eta_phi_m(pt, eta, phi, m) -> np.ndarray:
    """Four-vectors from transverse momentum (GeV), pseudorapidity, azimuth and mass (GeV)."""
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
    return np.hypot(p[..., 1], p[..., 2])


def phi(p: np.ndarray) -> np.ndarray:
    """Azimuth (radians)."""
    return np.arctan2(p[..., 2], p[..., 1])


def eta(p: np.ndarray) -> np.ndarray:
    """Pseudorapidity; +-inf along the beam, 0 for a null vector."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.arcsinh(np.nan_to_num(p[..., 3] / pt(p)))


def mass(p: np.ndarray) -> np.ndarray:
    """Invariant mass (GeV); small negative m^2 from rounding gives 0."""
    m2 = p[..., 0] ** 2 - p[..., 1] ** 2 - p[..., 2] ** 2 - p[..., 3] ** 2
    return np.sqrt(np.maximum(m2, 0.0))


def delta_phi(phi1, phi2) -> np.ndarray:
    """Azimuthal difference phi1 - phi2 folded into [-pi, pi)."""
    return np.mod(np.asarray(phi1) - phi2 + np.pi, 2.0 * np.pi) - np.pi


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
    """Unit three-vectors at polar angle acos(cos_theta) and azimuth phi about ``axis``."""
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


def two_body_momentum(m, m1, m2) -> np.ndarray:
    """Daughter momentum (GeV) in the rest frame of a parent of mass m decaying to m1 + m2."""
    m, m1, m2 = (np.asarray(a, dtype=np.float64) for a in (m, m1, m2))
    lam = (m * m - (m1 + m2) ** 2) * (m * m - (m1 - m2) ** 2)
    return np.sqrt(np.maximum(lam, 0.0)) / (2.0 * m)


def two_body_decay(parent: np.ndarray, m1, m2, direction: np.ndarray):
    """Decay ``parent`` into masses m1, m2 (GeV); ``direction`` is daughter 1's rest-frame unit vector.

    Returns the two daughters' four-vectors in the parent's (lab) frame.
    """
    p = two_body_momentum(mass(parent), m1, m2)[..., None]
    m1 = np.broadcast_to(np.asarray(m1, dtype=np.float64), p.shape[:-1])[..., None]
    m2 = np.broadcast_to(np.asarray(m2, dtype=np.float64), p.shape[:-1])[..., None]
    q1 = np.concatenate([np.sqrt(p * p + m1 * m1), p * direction], axis=-1)
    q2 = np.concatenate([np.sqrt(p * p + m2 * m2), -p * direction], axis=-1)
    return boost_from_rest(q1, parent), boost_from_rest(q2, parent)


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

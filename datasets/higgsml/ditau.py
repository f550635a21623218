"""Tau pairs from a di-tau resonance, with the necessary condition of the generator filter.

Building the resonance, decaying it to tau- tau+ and discarding pairs whose decay products
could never pass the filter runs per candidate collision, and most Z -> tau tau candidates
are discarded, so this step is one compiled loop (:func:`tau_pairs`) with a NumPy twin
(:func:`tau_pairs_numpy`).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from fivesigma.datasets.higgsml import kinematics as kin
from fivesigma.datasets.higgsml.taus import TAU_MASS

ETA_REACH = 3.2  # taus beyond cannot give |eta| < 2.6 decay products with pT > 14 GeV
SINH_ETA_REACH = math.sinh(ETA_REACH)


def may_pass_filter(tau: np.ndarray, pt_min: float) -> np.ndarray:
    """Taus whose decay products could pass the filter on a visible object (necessary condition).

    Relative to the tau flight direction a decay product carries at most the rest-frame
    momentum m_tau / 2 transversely and at most E_tau along it, so its pT is below
    pT_tau E_tau / p_tau + m_tau / 2 and its direction within asin(m_tau / (2 pT)) of the
    tau's: 0.064 rad for pT > 14 GeV, which keeps |eta| < 2.6 products inside |eta| < 3.2.
    """
    pt = kin.pt(tau)
    momentum = np.sqrt(pt * pt + tau[:, 3] ** 2)
    return (pt * tau[:, 0] > (pt_min - 0.5 * TAU_MASS) * momentum) & (
        np.abs(tau[:, 3]) < pt * SINH_ETA_REACH
    )


@numba.njit(cache=True)
def _may_pass(tau, pt_min):
    pt = math.sqrt(tau[1] * tau[1] + tau[2] * tau[2])
    momentum = math.sqrt(pt * pt + tau[3] * tau[3])
    return pt * tau[0] > (pt_min - 0.5 * TAU_MASS) * momentum and abs(tau[3]) < pt * SINH_ETA_REACH


@numba.njit(cache=True)
def _tau_pairs(mass, px, py, y, cos_theta, phi, minus_leptonic, lepton_pt_min, tau_pt_min):
    n = mass.shape[0]
    pairs = np.empty((n, 2, 4))
    possible = np.empty(n, dtype=np.bool_)
    boson = np.empty(4)
    for i in range(n):
        mt = math.sqrt(mass[i] ** 2 + px[i] ** 2 + py[i] ** 2)
        boson[0], boson[1], boson[2], boson[3] = (
            mt * math.cosh(y[i]),
            px[i],
            py[i],
            mt * math.sinh(y[i]),
        )
        q = math.sqrt(max(0.25 * mass[i] ** 2 - TAU_MASS**2, 0.0))
        s = math.sqrt(max(1.0 - cos_theta[i] ** 2, 0.0))
        dx, dy, dz = q * s * math.cos(phi[i]), q * s * math.sin(phi[i]), q * cos_theta[i]
        lep, had = (0, 1) if minus_leptonic[i] else (1, 0)  # tau- flies along (dx, dy, dz)
        kin.boost_into(0.5 * mass[i], dx, dy, dz, boson, pairs[i, lep])
        kin.boost_into(0.5 * mass[i], -dx, -dy, -dz, boson, pairs[i, had])
        possible[i] = _may_pass(pairs[i, 0], lepton_pt_min) and _may_pass(pairs[i, 1], tau_pt_min)
    return pairs, possible


def tau_pairs(mass, px, py, y, cos_theta, phi, minus_leptonic, lepton_pt_min, tau_pt_min):
    """Resonances of ``mass`` (GeV), transverse momentum (px, py) and rapidity y decaying to
    tau- tau+, the tau- at (cos_theta, phi) about +z in the rest frame.

    Returns (leptonically decaying tau, hadronically decaying tau, could pass the filter),
    the tau- being the leptonic one where ``minus_leptonic``.
    """
    args = [np.ascontiguousarray(a, dtype=np.float64) for a in (mass, px, py, y, cos_theta, phi)]
    minus_leptonic = np.ascontiguousarray(minus_leptonic, dtype=np.bool_)
    pairs, possible = _tau_pairs(*args, minus_leptonic, float(lepton_pt_min), float(tau_pt_min))
    return pairs[:, 0], pairs[:, 1], possible


def tau_pairs_numpy(mass, px, py, y, cos_theta, phi, minus_leptonic, lepton_pt_min, tau_pt_min):
    """NumPy twin of :func:`tau_pairs`."""
    boson = kin.from_mass_pt_rapidity(mass, px, py, y)
    tau_minus, tau_plus = kin.two_body_decay_numpy(boson, TAU_MASS, TAU_MASS, cos_theta, phi)
    leptonic = np.where(minus_leptonic[:, None], tau_minus, tau_plus)
    hadronic = np.where(minus_leptonic[:, None], tau_plus, tau_minus)
    possible = may_pass_filter(leptonic, lepton_pt_min) & may_pass_filter(hadronic, tau_pt_min)
    return leptonic, hadronic, possible

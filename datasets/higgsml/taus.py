"""Tau lepton decays: leptonic (tau -> l nu nu) and hadronic (tau -> hadrons nu), with polarisation.

Decays are drawn in the tau rest frame and boosted to the lab. ``polarisation`` is the
analysing polarisation in the tau- convention: the helicity of a tau-, minus the helicity of
a tau+. With it, the hadronic system's angle theta to the tau flight direction follows
(1 + alpha P cos theta) / 2, and the lepton's energy fraction x and angle follow
x^2 [(3 - 2x) - P (2x - 1) cos theta] (massless Michel spectrum).
"""

from __future__ import annotations

import numpy as np

from fivesigma.datasets.higgsml import kinematics as kin

TAU_MASS = 1.77686  # GeV
PION_MASS = 0.13957  # GeV
RHO_MASS, RHO_WIDTH = 0.7753, 0.1491  # GeV
A1_MASS, A1_WIDTH = 1.23, 0.42  # GeV
ELECTRON_MASS, MUON_MASS = 0.000511, 0.10566  # GeV

# Hadronic modes as fractions of hadronic decays: pi nu, rho nu (pi pi0 nu), a1 nu (3 pions).
HADRONIC_FRACTIONS = np.array([0.18, 0.47, 0.35])

_X_GRID = np.linspace(0.0, 1.0, 2001)
_MICHEL_CDF = 2.0 * _X_GRID**3 - _X_GRID**4  # integral of 6x^2 - 4x^3


def decay_leptonic(rng: np.random.Generator, tau: np.ndarray, polarisation, lepton_mass):
    """Leptonic decays of taus (lab four-vectors, GeV).

    Returns (lepton, neutrino pair) four-vectors in the lab frame.
    """
    n = len(tau)
    x = np.interp(rng.random(n), _MICHEL_CDF, _X_GRID)
    slope = -np.asarray(polarisation) * (2.0 * x - 1.0) / (3.0 - 2.0 * x)
    cos_theta = kin.sample_linear_cosine(rng.random(n), slope)
    e_max = (TAU_MASS**2 + lepton_mass**2) / (2.0 * TAU_MASS)
    energy = np.maximum(x * e_max, lepton_mass)
    p = np.sqrt(energy * energy - lepton_mass * lepton_mass)
    lepton = kin.decay_in_flight(tau, energy, p, cos_theta, rng.uniform(-np.pi, np.pi, n))
    return lepton, tau - lepton


def hadronic_masses(rng: np.random.Generator, n: int) -> np.ndarray:
    """Masses (GeV) of the visible hadronic system, mixing pi, rho and a1 modes."""
    mode = rng.choice(3, size=n, p=HADRONIC_FRACTIONS)
    rho = kin.sample_breit_wigner(rng, RHO_MASS, RHO_WIDTH, 0.3, 1.5, n)
    a1 = kin.sample_breit_wigner(rng, A1_MASS, A1_WIDTH, 0.6, 1.7, n)
    return np.choose(mode, [np.full(n, PION_MASS), rho, a1])


def decay_hadronic(rng: np.random.Generator, tau: np.ndarray, polarisation):
    """Hadronic decays of taus (lab four-vectors, GeV).

    Returns (visible hadronic system, neutrino) four-vectors in the lab frame.
    """
    n = len(tau)
    m_vis = hadronic_masses(rng, n)
    alpha = (TAU_MASS**2 - 2.0 * m_vis**2) / (TAU_MASS**2 + 2.0 * m_vis**2)
    cos_theta = kin.sample_linear_cosine(rng.random(n), alpha * np.asarray(polarisation))
    p = kin.two_body_momentum(TAU_MASS, m_vis, 0.0)
    energy = np.sqrt(p * p + m_vis * m_vis)
    visible = kin.decay_in_flight(tau, energy, p, cos_theta, rng.uniform(-np.pi, np.pi, n))
    return visible, tau - visible

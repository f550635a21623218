"""Tau decays: four-momentum conservation, visible-energy spectra and spin correlations."""

import numpy as np
import pytest

from fivesigma.datasets.higgsml import kinematics as kin
from fivesigma.datasets.higgsml import processes, taus


def fast_taus(rng, n, energy=200.0):
    """Taus of fixed energy (GeV) in random directions: nearly collinear decays."""
    cos_theta, phi = kin.isotropic(rng, n)
    p = np.sqrt(energy**2 - taus.TAU_MASS**2)
    direction = kin.unit_directions(cos_theta, phi)
    return np.concatenate([np.full((n, 1), energy), p * direction], axis=1)


def test_leptonic_decay_conserves_momentum_and_follows_the_michel_spectrum():
    rng = np.random.default_rng(1)
    tau = fast_taus(rng, 100_000)
    lepton, neutrinos = taus.decay_leptonic(rng, tau, 0.0, taus.MUON_MASS)
    np.testing.assert_allclose(lepton + neutrinos, tau, atol=1e-9)
    np.testing.assert_allclose(kin.mass(lepton), taus.MUON_MASS, atol=2e-3)
    x = lepton[:, 0] / tau[:, 0]
    # collinear-limit visible fraction density (5 - 9x^2 + 4x^3) / 3 has mean 0.35, and
    # a fraction 5/3 x - x^3 + x^4/3 below x
    assert x.mean() == pytest.approx(0.35, abs=0.005)
    assert np.mean(x < 0.5) == pytest.approx(5 / 6 - 1 / 8 + 1 / 48, abs=0.006)
    # the two neutrinos have an invariant mass, unlike a single one
    assert np.median(kin.mass(neutrinos)) > 0.5


def test_polarisation_hardens_or_softens_the_visible_decay_products():
    rng = np.random.default_rng(2)
    tau = fast_taus(rng, 100_000)
    x_had = {p: taus.decay_hadronic(rng, tau, p)[0][:, 0] / tau[:, 0] for p in (-1.0, 1.0)}
    x_lep = {p: taus.decay_leptonic(rng, tau, p, 0.0005)[0][:, 0] / tau[:, 0] for p in (-1.0, 1.0)}
    assert x_had[1.0].mean() > x_had[-1.0].mean() + 0.05  # tau- R: forward pions
    assert x_lep[1.0].mean() < x_lep[-1.0].mean() - 0.02  # tau- R: backward leptons


def test_hadronic_decay_masses_and_momentum():
    rng = np.random.default_rng(3)
    tau = fast_taus(rng, 50_000)
    visible, neutrino = taus.decay_hadronic(rng, tau, 0.0)
    np.testing.assert_allclose(visible + neutrino, tau, atol=1e-9)
    m_vis = kin.mass(visible)
    assert m_vis.min() > 0.13 and m_vis.max() < taus.TAU_MASS
    assert np.mean(np.abs(m_vis - taus.RHO_MASS) < 0.15) > 0.3  # rho dominates
    assert np.median(kin.mass(neutrino)) < 0.01  # a single massless neutrino
    x = visible[:, 0] / tau[:, 0]
    assert x.mean() == pytest.approx(0.5 + 0.5 * np.mean(m_vis**2) / taus.TAU_MASS**2, abs=0.01)


@pytest.mark.parametrize(("vector", "sign"), [(True, 1.0), (False, -1.0)])
def test_spin_correlation_of_the_two_taus(vector, sign):
    """Z -> tau tau (vector): visible fractions correlated; H -> tau tau (scalar): anticorrelated."""
    rng = np.random.default_rng(4)
    n = 200_000
    boson = kin.from_mass_pt_rapidity(np.full(n, 125.0), np.zeros(n), np.zeros(n), np.zeros(n))
    tau_minus, tau_plus = processes.decay_to_taus(rng, boson, vector)
    helicity = np.where(rng.random(n) < 0.5, 1.0, -1.0)
    correlation = 1.0 if vector else -1.0
    x_minus = taus.decay_hadronic(rng, tau_minus, helicity)[0][:, 0] / tau_minus[:, 0]
    x_plus = taus.decay_hadronic(rng, tau_plus, correlation * helicity)[0][:, 0] / tau_plus[:, 0]
    assert sign * np.corrcoef(x_minus, x_plus)[0, 1] > 0.05


def test_vector_boson_decay_angle_follows_one_plus_cos_squared():
    u = np.random.default_rng(5).random(200_000)
    c = processes.sample_one_plus_cos2(u)
    assert np.all(np.abs(c) <= 1.0 + 1e-12)
    assert np.mean(c**2) == pytest.approx(2 / 5, abs=0.004)  # <cos^2> of 3/8 (1 + cos^2)

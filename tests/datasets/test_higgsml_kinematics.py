"""Four-vector kernels against their NumPy twins, and the conservation laws they must obey."""

import numpy as np
import pytest

from fivesigma.datasets.higgsml import kinematics as kin


@pytest.fixture
def rng():
    return np.random.default_rng(7)


def random_parents(rng, n):
    masses = rng.uniform(1.0, 300.0, n)
    return kin.from_mass_pt_rapidity(
        masses, rng.normal(0, 40, n), rng.normal(0, 40, n), rng.normal(0, 2.5, n)
    )


def test_from_pt_eta_phi_m_matches_twin_and_definitions(rng):
    shape = (50, 3)
    pt, eta = rng.uniform(0, 200, shape), rng.normal(0, 2, shape)
    phi, m = rng.uniform(-np.pi, np.pi, shape), rng.uniform(0, 10, shape)
    p = kin.from_pt_eta_phi_m(pt, eta, phi, m)
    np.testing.assert_allclose(p, kin.from_pt_eta_phi_m_numpy(pt, eta, phi, m), rtol=1e-13)
    np.testing.assert_allclose(kin.pt(p), pt, rtol=1e-12)
    np.testing.assert_allclose(kin.eta(p), eta, atol=1e-9)
    np.testing.assert_allclose(kin.delta_phi(kin.phi(p), phi), 0.0, atol=1e-12)
    np.testing.assert_allclose(kin.mass(p), m, atol=1e-6)


def test_eta_of_null_vector_is_zero():
    assert kin.eta(np.zeros((1, 4)))[0] == 0.0


def test_two_body_decay_matches_twin_and_conserves_four_momentum(rng):
    n = 2000
    parent = random_parents(rng, n)
    m1, m2 = rng.uniform(0, 0.4, n) * kin.mass(parent), rng.uniform(0, 0.4, n) * kin.mass(parent)
    cos_theta, phi = kin.isotropic(rng, n)
    d1, d2 = kin.two_body_decay(parent, m1, m2, cos_theta, phi)
    t1, t2 = kin.two_body_decay_numpy(parent, m1, m2, cos_theta, phi)
    np.testing.assert_allclose(d1, t1, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(d2, t2, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(d1 + d2, parent, rtol=1e-9, atol=1e-8)
    np.testing.assert_allclose(kin.mass(d1), m1, atol=1e-5)
    np.testing.assert_allclose(kin.mass(d2), m2, atol=1e-5)


def test_decay_in_flight_matches_twin_and_keeps_rest_frame_angle(rng):
    n = 2000
    tau = kin.from_pt_eta_phi_m(
        rng.uniform(5, 200, n), rng.uniform(-2.5, 2.5, n), rng.uniform(-3, 3, n), 1.777
    )
    energy = rng.uniform(0.2, 0.88, n)
    momentum = np.sqrt(energy**2 - 0.1**2)
    cos_theta, phi = kin.isotropic(rng, n)
    daughter = kin.decay_in_flight(tau, energy, momentum, cos_theta, phi)
    np.testing.assert_allclose(
        daughter, kin.decay_in_flight_numpy(tau, energy, momentum, cos_theta, phi), atol=1e-9
    )
    m2 = daughter[:, 0] ** 2 - np.sum(daughter[:, 1:] ** 2, axis=1)
    assert np.all(np.abs(m2 - 0.1**2) < 1e-12 * daughter[:, 0] ** 2 + 1e-9)
    # back in the tau rest frame the daughter has the given energy and polar angle
    beta = tau[:, 1:] / tau[:, :1]
    inverse = np.concatenate([tau[:, :1], -tau[:, 1:]], axis=1)
    rest = kin.boost_from_rest(daughter, inverse)
    np.testing.assert_allclose(rest[:, 0], energy, rtol=1e-6)
    cos_rest = np.sum(rest[:, 1:] * beta, axis=1) / (
        np.linalg.norm(rest[:, 1:], axis=1) * np.linalg.norm(beta, axis=1)
    )
    np.testing.assert_allclose(cos_rest, cos_theta, atol=1e-5)


def test_directions_about_are_unit_vectors_at_the_requested_angle(rng):
    axis = rng.normal(size=(500, 3))
    axis[:50] = [0.0, 0.0, 1.0]  # along the beam, where the helper axis switches
    cos_theta, phi = kin.isotropic(rng, 500)
    d = kin.directions_about(axis, cos_theta, phi)
    np.testing.assert_allclose(np.linalg.norm(d, axis=1), 1.0, rtol=1e-12)
    unit_axis = axis / np.linalg.norm(axis, axis=1, keepdims=True)
    np.testing.assert_allclose(np.sum(d * unit_axis, axis=1), cos_theta, atol=1e-12)


def test_samplers_follow_their_densities(rng):
    u = rng.random(200_000)
    for slope in (-1.0, -0.3, 0.0, 0.6, 1.0):
        c = kin.sample_linear_cosine(u, slope)
        assert c.min() >= -1.0 and c.max() <= 1.0
        assert c.mean() == pytest.approx(slope / 3.0, abs=0.01)  # <cos> of (1 + k c)/2
    m = kin.sample_breit_wigner(rng, 91.19, 2.5, 80.0, 100.0, 200_000)
    assert m.min() >= 80.0 and m.max() <= 100.0
    assert np.median(m) == pytest.approx(91.19, abs=0.05)
    assert np.mean(np.abs(m - 91.19) < 1.25) == pytest.approx(0.5 / 0.95, abs=0.03)
    x = kin.sample_power_law(rng, 20.0, 3.0, 200_000)
    assert x.min() >= 20.0
    assert np.mean(x > 40.0) == pytest.approx(0.25, abs=0.01)  # (20/40)^(3-1)

"""The di-tau mass estimator: compiled kernel against its NumPy twin, and its physics."""

import numpy as np
import pytest

from fivesigma.datasets.higgsml import kinematics as kin
from fivesigma.datasets.higgsml import mmc


def collinear_events(rng, n, mass=125.0):
    """Visible lepton and tau carrying fractions x of collinear taus from a resonance."""
    boson = kin.from_mass_pt_rapidity(
        np.full(n, mass), rng.normal(0, 30, n), rng.normal(0, 30, n), rng.normal(0, 1, n)
    )
    tau1, tau2 = kin.two_body_decay(boson, 0.0, 0.0, *kin.isotropic(rng, n))
    x1, x2 = rng.uniform(0.45, 0.9, n), rng.uniform(0.45, 0.95, n)
    lepton, tau = tau1 * x1[:, None], tau2 * x2[:, None]
    met = (tau1 - lepton + tau2 - tau)[:, 1:3]
    return lepton, tau, met


def test_kernel_matches_numpy_twin():
    rng = np.random.default_rng(11)
    n = 3000
    lepton, tau, met = collinear_events(rng, n)
    met = met + rng.normal(0, 15, (n, 2))  # include events that fail
    sumet = rng.uniform(50, 600, n)
    jet_pt = np.where(rng.random(n) < 0.5, 0.0, rng.uniform(30, 300, n))
    fast = mmc.mass_mmc(lepton, tau, met, sumet, jet_pt)
    twin = mmc.mass_mmc_numpy(lepton, tau, met, sumet, jet_pt)
    assert np.any(fast == mmc.UNDEFINED) and np.any(fast > 0)
    np.testing.assert_array_equal(fast == mmc.UNDEFINED, twin == mmc.UNDEFINED)
    np.testing.assert_allclose(fast, twin, rtol=1e-10)


def test_collinear_events_with_exact_met_give_the_resonance_mass():
    rng = np.random.default_rng(12)
    lepton, tau, met = collinear_events(rng, 5000)
    estimate = mmc.mass_mmc(lepton, tau, met, np.full(5000, 150.0), np.zeros(5000))
    assert np.all(estimate > 0)
    assert np.median(estimate) == pytest.approx(125.0, rel=0.04)
    # MET fixes both neutrino momenta unless the taus are back to back in phi
    resolution = np.abs(estimate / 125.0 - 1)
    d_phi = np.abs(kin.delta_phi(kin.phi(lepton), kin.phi(tau)))
    assert np.mean(resolution[d_phi < 1.5] < 0.1) > 0.85
    assert np.mean(resolution[d_phi < 1.5] < 0.1) > np.mean(resolution[d_phi > 2.9] < 0.1) + 0.2
    assert np.mean(resolution < 0.15) > 0.7


def test_met_pointing_away_from_both_visible_objects_fails():
    lepton = kin.from_pt_eta_phi_m([40.0], [0.3], [0.0], [0.0])
    tau = kin.from_pt_eta_phi_m([35.0], [-0.2], [1.5], [0.8])
    met_inside = np.array([[20.0, 20.0]])  # between the lepton (phi 0) and tau (phi 1.5)
    met_outside = np.array([[-40.0, -40.0]])  # opposite to both
    sumet, no_jets = np.array([200.0]), np.array([0.0])
    assert mmc.mass_mmc(lepton, tau, met_inside, sumet, no_jets)[0] > 0
    assert mmc.mass_mmc(lepton, tau, met_outside, sumet, no_jets)[0] == mmc.UNDEFINED


def test_jet_activity_widens_the_met_tolerance():
    """The fit's MET resolution adds JET_SIGMA times the jet pT sum to the soft term."""
    lepton = kin.from_pt_eta_phi_m([40.0], [0.3], [0.0], [0.0])
    tau = kin.from_pt_eta_phi_m([35.0], [-0.2], [1.5], [0.8])
    sumet = np.array([150.0])
    soft = mmc.MET_SIGMA * np.sqrt(sumet[0])
    # MET opposite to the lepton: the collinear fit leaves it all unexplained
    reach = np.sqrt(mmc.CHI2_MAX) * soft
    met_within_soft = np.array([[-0.9 * reach, 0.0]])
    met_beyond_soft = np.array([[-1.1 * reach, 0.0]])
    assert mmc.mass_mmc(lepton, tau, met_within_soft, sumet, np.array([0.0]))[0] > 0
    assert mmc.mass_mmc(lepton, tau, met_beyond_soft, sumet, np.array([0.0]))[0] == mmc.UNDEFINED
    jets = np.array([200.0])  # jet resolution 0.15 * 200 GeV widens the tolerance
    assert mmc.mass_mmc(lepton, tau, met_beyond_soft, sumet, jets)[0] > 0


def test_estimate_scales_with_the_resonance_mass():
    rng = np.random.default_rng(13)
    medians = [
        np.median(
            mmc.mass_mmc(*collinear_events(rng, 3000, m), np.full(3000, 150.0), np.zeros(3000))
        )
        for m in (91.0, 125.0)
    ]
    assert medians[1] / medians[0] == pytest.approx(125.0 / 91.0, rel=0.05)

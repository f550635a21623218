"""Generator-level events: conservation laws and the filter, for every process."""

import numpy as np
import pytest

from fivesigma.datasets.higgsml import kinematics as kin
from fivesigma.datasets.higgsml import processes


@pytest.mark.parametrize("name", list(processes.PROCESSES))
def test_transverse_momentum_balances_and_filter_holds(name):
    truth = processes.PROCESSES[name](np.random.default_rng(41), 40_000)
    assert len(truth.lepton) > 1000
    total = (
        truth.lepton[:, 1:3]
        + truth.tau[:, 1:3]
        + truth.partons[..., 1:3].sum(axis=1)
        + truth.soft
        + truth.invisible[:, 1:3]
    )
    np.testing.assert_allclose(total, 0.0, atol=1e-5)
    assert np.all(kin.pt(truth.lepton) > processes.LEPTON_FILTER_PT)
    assert np.all(kin.pt(truth.tau) > processes.TAU_FILTER_PT)
    assert np.all(np.abs(kin.eta(truth.tau)) < processes.FILTER_ETA)
    assert np.all(truth.invisible[:, 0] > 0.0)  # neutrinos carry energy
    lepton_mass = kin.mass(truth.lepton)
    assert np.all((lepton_mass < 0.11) & (np.isin(truth.lepton_is_muon, [True, False])))


@pytest.mark.parametrize(("name", "mass"), [("ggH", 125.0), ("VBFH", 125.0), ("Ztautau", 91.19)])
def test_resonances_decay_to_their_mass(name, mass):
    truth = processes.PROCESSES[name](np.random.default_rng(42), 40_000)
    total = truth.lepton + truth.tau + truth.invisible  # the two taus
    masses = kin.mass(total)
    assert np.median(masses) == pytest.approx(mass, abs=1.0)
    assert np.all(kin.mass(truth.lepton + truth.tau) < masses + 1e-6)  # visible mass below


def test_drell_yan_masses_follow_the_line_shape():
    """Sampled masses against the density integrated numerically, bin by bin."""
    masses = processes.drell_yan_masses(np.random.default_rng(43), 400_000)
    assert masses.min() >= 40.0 and masses.max() <= 1000.0
    edges = np.array([40.0, 66.0, 86.0, 91.0, 96.0, 116.0, 150.0, 1000.0])
    fine = np.linspace(40.0, 1000.0, 2_000_001)
    density = processes.drell_yan_density(fine)
    cumulative = np.concatenate([[0.0], np.cumsum((density[1:] + density[:-1]) / 2)])
    expected = np.diff(np.interp(edges, fine, cumulative)) / cumulative[-1]
    observed = np.histogram(masses, edges)[0] / len(masses)
    assert np.all(np.abs(observed - expected) < 4 * np.sqrt(expected / len(masses)))


def test_drell_yan_high_mass_tail_is_as_measured():
    """Z/gamma* above the Z peak, relative to 66-116 GeV: about 0.55% at 116-150 GeV and
    0.3% above 150 GeV in the 7-8 TeV Drell-Yan measurements."""
    masses = processes.drell_yan_masses(np.random.default_rng(44), 2_000_000)
    peak = np.sum((masses > 66.0) & (masses < 116.0))
    assert 0.004 < np.sum((masses > 116.0) & (masses < 150.0)) / peak < 0.008
    assert 0.002 < np.sum(masses > 150.0) / peak < 0.0045

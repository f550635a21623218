"""Tau pairs from a resonance: compiled kernel against its twin, and the filter's necessity."""

import numpy as np

from fivesigma.datasets.higgsml import ditau, processes, taus
from fivesigma.datasets.higgsml import kinematics as kin


def candidates(rng, n):
    return (
        rng.uniform(60, 200, n),
        rng.normal(0, 30, n),
        rng.normal(0, 30, n),
        rng.normal(0, 2, n),
        rng.uniform(-1, 1, n),
        rng.uniform(-np.pi, np.pi, n),
        rng.random(n) < 0.5,
    )


def test_kernel_matches_numpy_twin_and_conserves_momentum():
    rng = np.random.default_rng(21)
    args = candidates(rng, 20_000)
    leptonic, hadronic, possible = ditau.tau_pairs(*args, 23.0, 14.0)
    twin = ditau.tau_pairs_numpy(*args, 23.0, 14.0)
    scale = leptonic[:, :1] + hadronic[:, :1]
    np.testing.assert_allclose(leptonic / scale, twin[0] / scale, atol=1e-9)
    np.testing.assert_allclose(hadronic / scale, twin[1] / scale, atol=1e-9)
    np.testing.assert_array_equal(possible, twin[2])
    assert 0.2 < possible.mean() < 0.95
    pair = leptonic + hadronic
    np.testing.assert_allclose(kin.mass(pair), args[0], rtol=1e-6)
    np.testing.assert_allclose(pair[:, 1], args[1], atol=1e-8)
    np.testing.assert_allclose(kin.mass(leptonic), taus.TAU_MASS, atol=1e-3)


def test_necessary_condition_never_discards_a_passing_decay():
    rng = np.random.default_rng(22)
    n = 200_000
    leptonic, hadronic, possible = ditau.tau_pairs(*candidates(rng, n), 23.0, 14.0)
    lepton, _ = taus.decay_leptonic(rng, leptonic, rng.uniform(-1, 1, n), taus.MUON_MASS)
    visible, _ = taus.decay_hadronic(rng, hadronic, rng.uniform(-1, 1, n))
    passing = processes.passes_filter(lepton, 23.0) & processes.passes_filter(visible, 14.0)
    assert passing.sum() > 10_000
    assert not np.any(passing & ~possible)
    assert possible.sum() < 1.5 * passing.sum() + 0.5 * n  # and it does discard

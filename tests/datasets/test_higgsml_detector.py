"""Detector response: compiled kernel against its NumPy twin, momentum balance and selection."""

import dataclasses

import numpy as np
import pytest

from fivesigma.datasets.higgsml import detector_response, processes, radiation
from fivesigma.datasets.higgsml import kinematics as kin


@pytest.fixture(scope="module", params=["ttbar", "Ztautau", "Wjets"])
def truth(request):
    return processes.PROCESSES[request.param](np.random.default_rng(31), 60_000)


def test_kernel_matches_numpy_twin(truth):
    noise = detector_response.draw_fluctuations(np.random.default_rng(32), len(truth.lepton))
    fast, twin = (
        detector_response.respond(truth, noise),
        detector_response.respond_numpy(truth, noise),
    )
    for field in dataclasses.fields(detector_response.RecoEvents):
        np.testing.assert_allclose(
            getattr(fast, field.name), getattr(twin, field.name), rtol=1e-12, atol=1e-9
        )


def test_perfect_detector_balances_transverse_momentum(truth):
    n = len(truth.lepton)
    quiet = detector_response.Fluctuations(
        np.zeros(n), np.zeros(n), np.zeros((n, radiation.MAX_PARTONS)),
        np.zeros(n), np.zeros(n), np.zeros((n, 2)), np.zeros(n),
        np.zeros((n, radiation.MAX_PARTONS)),
    )  # fmt: skip
    reco = detector_response.respond(truth, quiet)
    np.testing.assert_allclose(reco.lepton, truth.lepton, atol=1e-9)
    lost = np.abs(kin.eta(truth.partons)) >= detector_response.CALORIMETER_ETA_MAX
    outside = np.sum(truth.partons[..., 1:3] * lost[..., None], axis=1)
    unmeasured = (1.0 - detector_response.SOFT_RESPONSE) * truth.soft + outside
    np.testing.assert_allclose(reco.met - unmeasured, truth.invisible[:, 1:3], atol=1e-6)


def test_jets_are_counted_above_threshold_and_ordered(truth):
    reco = detector_response.measure(np.random.default_rng(33), truth)
    pt = kin.pt(reco.jets)
    slots = np.arange(pt.shape[1])[None, :]
    present = slots < reco.jet_count[:, None]
    assert np.all(pt[present] > detector_response.JET_PT_MIN)
    assert np.all(np.abs(kin.eta(reco.jets))[present] < detector_response.JET_ETA_MAX)
    assert np.all(pt[~present] == 0.0)
    assert np.all(np.diff(pt, axis=1) <= 0.0)
    assert np.all(reco.sumet > kin.pt(reco.lepton) + kin.pt(reco.tau) + pt.sum(axis=1))


def test_selection_applies_the_trigger_and_preselection_thresholds(truth):
    reco = detector_response.measure(np.random.default_rng(34), truth)
    selected = detector_response.passes_selection(reco)
    assert 0.2 < selected.mean() < 0.95
    assert np.all(kin.pt(reco.lepton)[selected] > detector_response.LEPTON_PT_MIN)
    assert np.all(kin.pt(reco.tau)[selected] > detector_response.TAU_PT_MIN)
    assert np.all(np.abs(kin.eta(reco.tau)[selected]) < detector_response.TRACKER_ETA_MAX)
    soft_lepton = kin.pt(reco.lepton) < detector_response.LEPTON_PT_MIN
    assert not np.any(selected & soft_lepton)

"""The 30 features on hand-built events, against definitions written out from the documentation."""

import math

import numpy as np
import pytest

from fivesigma.datasets.higgsml import kinematics as kin
from fivesigma.datasets.higgsml.detector_response import RecoEvents
from fivesigma.datasets.higgsml.features import FEATURES, compute_features, met_phi_centrality
from fivesigma.datasets.higgsml.mmc import mass_mmc


def four(pt, eta, phi, m=0.0):
    px, py, pz = pt * math.cos(phi), pt * math.sin(phi), pt * math.sinh(eta)
    return [math.sqrt(px * px + py * py + pz * pz + m * m), px, py, pz]


JETS = [
    [],
    [(55.0, 1.2, -2.0)],
    [(80.0, 2.5, 0.4), (45.0, -1.5, 2.8), (35.0, 0.1, -1.0), (31.0, -3.9, 1.7)],
]


@pytest.fixture
def events():
    n = len(JETS)
    lepton = np.array([four(40.0, 0.5, 0.0, 0.1), four(28.0, -1.1, 1.0), four(60.0, 0.0, -2.5)])
    tau = np.array([four(30.0, -0.5, 2.0, 0.8), four(45.0, 0.7, -2.0, 1.2), four(22.0, 1.9, 0.7)])
    jets = np.zeros((n, 7, 4))
    for i, event_jets in enumerate(JETS):
        for k, (pt, eta, phi) in enumerate(event_jets):
            jets[i, k] = four(pt, eta, phi, 5.0)
    met = np.array([[20.0, 10.0], [-5.0, 30.0], [0.5, -0.2]])
    sumet = np.array([200.0, 150.0, 420.0])
    count = np.array([len(j) for j in JETS])
    return RecoEvents(lepton, tau, jets, count, met, sumet)


def invariant_mass(a, b):
    s = np.asarray(a) + np.asarray(b)
    return math.sqrt(max(s[0] ** 2 - s[1] ** 2 - s[2] ** 2 - s[3] ** 2, 0.0))


def test_all_thirty_features_in_the_official_order(events):
    features = compute_features(events)
    assert tuple(features) == FEATURES and len(FEATURES) == 30
    assert all(v.shape == (3,) for v in features.values())


def test_features_follow_their_definitions(events):
    f = compute_features(events)
    for i in range(3):
        lep, tau, met = events.lepton[i], events.tau[i], events.met[i]
        lep_pt, tau_pt = math.hypot(*lep[1:3]), math.hypot(*tau[1:3])
        lep_phi, tau_phi = math.atan2(lep[2], lep[1]), math.atan2(tau[2], tau[1])
        met_pt, met_phi = math.hypot(*met), math.atan2(met[1], met[0])
        jets = sorted(JETS[i], reverse=True)
        jet_all = sum(j[0] for j in jets)
        assert f["PRI_lep_pt"][i] == pytest.approx(lep_pt)
        assert f["PRI_tau_pt"][i] == pytest.approx(tau_pt)
        assert f["PRI_met"][i] == pytest.approx(met_pt)
        assert f["PRI_met_phi"][i] == pytest.approx(met_phi)
        assert f["PRI_met_sumet"][i] == events.sumet[i]
        mt = math.sqrt(2 * lep_pt * met_pt * (1 - math.cos(lep_phi - met_phi)))
        assert f["DER_mass_transverse_met_lep"][i] == pytest.approx(mt)
        assert f["DER_mass_vis"][i] == pytest.approx(invariant_mass(lep, tau))
        h = lep[1:3] + tau[1:3] + met
        assert f["DER_pt_h"][i] == pytest.approx(math.hypot(*h))
        tot = h + sum((np.array(four(*j))[1:3] for j in jets[:2]), np.zeros(2))
        assert f["DER_pt_tot"][i] == pytest.approx(math.hypot(*tot), abs=1e-9)
        assert f["DER_sum_pt"][i] == pytest.approx(lep_pt + tau_pt + jet_all)
        assert f["DER_pt_ratio_lep_tau"][i] == pytest.approx(lep_pt / tau_pt)
        d_eta = kin.eta(tau[None])[0] - kin.eta(lep[None])[0]
        d_phi = (tau_phi - lep_phi + math.pi) % (2 * math.pi) - math.pi
        assert f["DER_deltar_tau_lep"][i] == pytest.approx(math.hypot(d_eta, d_phi))
        a = math.sin(met_phi - lep_phi) * np.sign(math.sin(tau_phi - lep_phi))
        b = math.sin(tau_phi - met_phi) * np.sign(math.sin(tau_phi - lep_phi))
        assert f["DER_met_phi_centrality"][i] == pytest.approx((a + b) / math.sqrt(a * a + b * b))
        assert f["PRI_jet_num"][i] == min(len(jets), 3)
        assert f["PRI_jet_all_pt"][i] == pytest.approx(jet_all)


def test_jet_features_and_undefined_values(events):
    f = compute_features(events)
    leading_only = ["PRI_jet_leading_pt", "PRI_jet_leading_eta", "PRI_jet_leading_phi"]
    two_jets = [
        "PRI_jet_subleading_pt",
        "PRI_jet_subleading_eta",
        "PRI_jet_subleading_phi",
        "DER_deltaeta_jet_jet",
        "DER_mass_jet_jet",
        "DER_prodeta_jet_jet",
        "DER_lep_eta_centrality",
    ]
    assert all(f[c][0] == -999.0 for c in leading_only + two_jets)  # no jet
    assert all(f[c][1] == -999.0 for c in two_jets)  # one jet
    assert f["PRI_jet_leading_pt"][1] == pytest.approx(55.0)
    assert f["PRI_jet_leading_eta"][1] == pytest.approx(1.2)
    assert f["PRI_jet_all_pt"][0] == 0.0
    (pt1, eta1, phi1), (pt2, eta2, phi2) = JETS[2][:2]
    assert f["PRI_jet_num"][2] == 3  # four jets are counted as three
    assert f["PRI_jet_subleading_pt"][2] == pytest.approx(pt2)
    assert f["DER_deltaeta_jet_jet"][2] == pytest.approx(abs(eta1 - eta2))
    assert f["DER_prodeta_jet_jet"][2] == pytest.approx(eta1 * eta2)
    mjj = invariant_mass(four(pt1, eta1, phi1, 5.0), four(pt2, eta2, phi2, 5.0))
    assert f["DER_mass_jet_jet"][2] == pytest.approx(mjj)
    lep_eta = 0.0
    centrality = math.exp(-4 / (eta1 - eta2) ** 2 * (lep_eta - (eta1 + eta2) / 2) ** 2)
    assert f["DER_lep_eta_centrality"][2] == pytest.approx(centrality)


def test_mass_estimate_is_the_mmc_of_the_measured_objects(events):
    f = compute_features(events)
    jet_pt = np.hypot(events.jets[..., 1], events.jets[..., 2]).sum(axis=1)
    expected = mass_mmc(events.lepton, events.tau, events.met, events.sumet, jet_pt)
    np.testing.assert_array_equal(f["DER_mass_MMC"], expected)


def test_met_phi_centrality_limits():
    lep_phi, tau_phi = 0.0, 1.0
    assert met_phi_centrality(0.5, lep_phi, tau_phi) == pytest.approx(math.sqrt(2))
    assert met_phi_centrality(0.0, lep_phi, tau_phi) == pytest.approx(1.0)
    assert met_phi_centrality(0.5 + math.pi, lep_phi, tau_phi) == pytest.approx(-math.sqrt(2))

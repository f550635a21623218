"""The 30 HiggsML features computed from measured four-vectors (GeV, radians).

Definitions follow the challenge documentation: PRI_ quantities are measured directly,
DER_ quantities are computed from them. Values that cannot be defined (no jet, fewer than
two jets, failed mass estimate) are -999.0; PRI_jet_num counts jets up to 3 (3 = three or
more); PRI_jet_all_pt sums the transverse momenta of all jets (0 without jets).
"""

from __future__ import annotations

import numpy as np

from fivesigma.datasets.higgsml import kinematics as kin
from fivesigma.datasets.higgsml.detector_response import RecoEvents
from fivesigma.datasets.higgsml.mmc import mass_mmc

UNDEFINED = -999.0

FEATURES = (
    "DER_mass_MMC",
    "DER_mass_transverse_met_lep",
    "DER_mass_vis",
    "DER_pt_h",
    "DER_deltaeta_jet_jet",
    "DER_mass_jet_jet",
    "DER_prodeta_jet_jet",
    "DER_deltar_tau_lep",
    "DER_pt_tot",
    "DER_sum_pt",
    "DER_pt_ratio_lep_tau",
    "DER_met_phi_centrality",
    "DER_lep_eta_centrality",
    "PRI_tau_pt",
    "PRI_tau_eta",
    "PRI_tau_phi",
    "PRI_lep_pt",
    "PRI_lep_eta",
    "PRI_lep_phi",
    "PRI_met",
    "PRI_met_phi",
    "PRI_met_sumet",
    "PRI_jet_num",
    "PRI_jet_leading_pt",
    "PRI_jet_leading_eta",
    "PRI_jet_leading_phi",
    "PRI_jet_subleading_pt",
    "PRI_jet_subleading_eta",
    "PRI_jet_subleading_phi",
    "PRI_jet_all_pt",
)


def transverse_mass(pt1, phi1, pt2, phi2):
    """sqrt(2 pT1 pT2 (1 - cos(phi1 - phi2))) in GeV."""
    return np.sqrt(np.maximum(2.0 * pt1 * pt2 * (1.0 - np.cos(phi1 - phi2)), 0.0))


def met_phi_centrality(phi_met, phi_lep, phi_tau):
    """(A + B) / sqrt(A^2 + B^2): sqrt(2) when MET lies between lepton and tau in phi."""
    sign = np.sign(np.sin(phi_tau - phi_lep))
    a = np.sin(phi_met - phi_lep) * sign
    b = np.sin(phi_tau - phi_met) * sign
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.nan_to_num((a + b) / np.sqrt(a * a + b * b))


def eta_centrality(eta, eta1, eta2):
    """exp(-4 / (eta1 - eta2)^2 * (eta - (eta1 + eta2) / 2)^2): 1 halfway between the jets."""
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        return np.nan_to_num(np.exp(-4.0 / (eta1 - eta2) ** 2 * (eta - 0.5 * (eta1 + eta2)) ** 2))


def compute_features(reco: RecoEvents) -> dict[str, np.ndarray]:
    """All 30 features as float64 arrays, keyed by official column name."""
    lep, tau, jets = reco.lepton, reco.tau, reco.jets
    lead, sub = jets[:, 0], jets[:, 1]
    n_jets = reco.jet_count
    has1, has2 = n_jets >= 1, n_jets >= 2

    lep_pt, lep_eta, lep_phi = kin.pt(lep), kin.eta(lep), kin.phi(lep)
    tau_pt, tau_eta, tau_phi = kin.pt(tau), kin.eta(tau), kin.phi(tau)
    met = np.hypot(reco.met[:, 0], reco.met[:, 1])
    met_phi = np.arctan2(reco.met[:, 1], reco.met[:, 0])
    lead_pt, lead_eta, lead_phi = kin.pt(lead), kin.eta(lead), kin.phi(lead)
    sub_pt, sub_eta, sub_phi = kin.pt(sub), kin.eta(sub), kin.phi(sub)
    jet_all_pt = np.sum(kin.pt(jets), axis=1)

    higgs_t = lep[:, 1:3] + tau[:, 1:3] + reco.met
    total_t = higgs_t + lead[:, 1:3] + sub[:, 1:3]  # absent jets are zero vectors

    def jets_only(values, mask):
        return np.where(mask, values, UNDEFINED)

    return {
        "DER_mass_MMC": mass_mmc(lep, tau, reco.met, reco.sumet, jet_all_pt),
        "DER_mass_transverse_met_lep": transverse_mass(lep_pt, lep_phi, met, met_phi),
        "DER_mass_vis": kin.mass(lep + tau),
        "DER_pt_h": np.hypot(higgs_t[:, 0], higgs_t[:, 1]),
        "DER_deltaeta_jet_jet": jets_only(np.abs(lead_eta - sub_eta), has2),
        "DER_mass_jet_jet": jets_only(kin.mass(lead + sub), has2),
        "DER_prodeta_jet_jet": jets_only(lead_eta * sub_eta, has2),
        "DER_deltar_tau_lep": np.hypot(tau_eta - lep_eta, kin.delta_phi(tau_phi, lep_phi)),
        "DER_pt_tot": np.hypot(total_t[:, 0], total_t[:, 1]),
        "DER_sum_pt": tau_pt + lep_pt + jet_all_pt,
        "DER_pt_ratio_lep_tau": lep_pt / tau_pt,
        "DER_met_phi_centrality": met_phi_centrality(met_phi, lep_phi, tau_phi),
        "DER_lep_eta_centrality": jets_only(eta_centrality(lep_eta, lead_eta, sub_eta), has2),
        "PRI_tau_pt": tau_pt,
        "PRI_tau_eta": tau_eta,
        "PRI_tau_phi": tau_phi,
        "PRI_lep_pt": lep_pt,
        "PRI_lep_eta": lep_eta,
        "PRI_lep_phi": lep_phi,
        "PRI_met": met,
        "PRI_met_phi": met_phi,
        "PRI_met_sumet": reco.sumet,
        "PRI_jet_num": np.minimum(n_jets, 3).astype(np.float64),
        "PRI_jet_leading_pt": jets_only(lead_pt, has1),
        "PRI_jet_leading_eta": jets_only(lead_eta, has1),
        "PRI_jet_leading_phi": jets_only(lead_phi, has1),
        "PRI_jet_subleading_pt": jets_only(sub_pt, has2),
        "PRI_jet_subleading_eta": jets_only(sub_eta, has2),
        "PRI_jet_subleading_phi": jets_only(sub_phi, has2),
        "PRI_jet_all_pt": jet_all_pt,
    }

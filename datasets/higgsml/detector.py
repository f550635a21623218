"""Detector response and event selection: resolution smearing, jets, missing ET, trigger.

Resolutions are those of a general-purpose LHC detector around 2012 (energies in GeV):
electrons and muons sigma(pT)/pT = 1.5% (+) 0.03% pT; hadronic taus 8% (+) 55%/sqrt(pT);
jets sqrt((4/pT)^2 + 0.75^2/pT + 0.05^2), with |eta| < 4.5 and pT > 30 GeV to count.
Directions are measured exactly (angular resolutions are negligible for these features). The
missing transverse momentum is minus the vector sum of everything measured (leptons, taus,
all jets, the soft recoil measured with a response below one) plus pile-up noise of
0.55 sqrt(sum ET_soft) per component. The selection is a single-lepton trigger and the
lepton-hadron preselection: lepton pT > 26 GeV, tau pT > 20 GeV, both |eta| < 2.5,
separated by Delta R > 0.2.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from datasets.higgsml import kinematics as kin
from datasets.higgsml.processes import TruthEvents

JET_PT_MIN = 30.0  # GeV
JET_ETA_MAX = 4.5
CALORIMETER_ETA_MAX = 4.9
LEPTON_PT_MIN = 26.0  # GeV, single-lepton trigger plateau
TAU_PT_MIN = 20.0  # GeV
TRACKER_ETA_MAX = 2.5
DELTA_R_MIN = 0.2
SOFT_RESPONSE = 0.8  # calorimeter response to the unclustered soft recoil
PILEUP_SUMET = (3.0, 28.0)  # Gamma(shape, scale in GeV) of underlying event and pile-up sum ET
MET_NOISE = 1.0  # GeV^(1/2): MET resolution per component is MET_NOISE * sqrt(sum ET soft)


@dataclass
class RecoEvents:
    """Measured objects of ``n`` events (GeV)."""

    lepton: np.ndarray  # (n, 4)
    tau: np.ndarray  # (n, 4)
    jets: np.ndarray  # (n, J, 4) jets passing pT/eta, by decreasing pT, zero rows after the last
    jet_count: np.ndarray  # (n,) number of jets
    met: np.ndarray  # (n, 2) missing transverse momentum (px, py)
    sumet: np.ndarray  # (n,) scalar sum of transverse energy


def smear_pt(rng, p: np.ndarray, relative_sigma: np.ndarray) -> np.ndarray:
    """Scale momenta by 1 + N(0, relative_sigma) (at least 0.05), keeping direction and mass."""
    scale = np.maximum(1.0 + relative_sigma * rng.standard_normal(relative_sigma.shape), 0.05)
    m2 = np.maximum(p[..., 0] ** 2 - np.sum(p[..., 1:] ** 2, axis=-1), 0.0)
    momentum = p[..., 1:] * scale[..., None]
    energy = np.sqrt(m2 + np.sum(momentum**2, axis=-1))
    return np.concatenate([energy[..., None], momentum], axis=-1)


def lepton_resolution(pt):
    return np.hypot(0.015, 0.0003 * pt)


def tau_resolution(pt):
    return np.hypot(0.08, 0.55 / np.sqrt(np.maximum(pt, 1.0)))


def jet_resolution(pt):
    pt = np.maximum(pt, 1.0)
    return np.sqrt((4.0 / pt) ** 2 + 0.75**2 / pt + 0.05**2)


def measure(rng: np.random.Generator, truth: TruthEvents) -> RecoEvents:
    """Apply the detector response to generator-level events."""
    n = len(truth.lepton)
    lepton = smear_pt(rng, truth.lepton, lepton_resolution(kin.pt(truth.lepton)))
    tau = smear_pt(rng, truth.tau, tau_resolution(kin.pt(truth.tau)))
    present = truth.partons[..., 0] > 0
    jets = smear_pt(rng, truth.partons, jet_resolution(kin.pt(truth.partons)))
    jet_pt, jet_eta = kin.pt(jets), np.abs(kin.eta(jets))
    in_calorimeter = present & (jet_eta < CALORIMETER_ETA_MAX)
    counted = in_calorimeter & (jet_pt > JET_PT_MIN) & (jet_eta < JET_ETA_MAX)

    pileup = rng.gamma(*PILEUP_SUMET, n)
    soft_pt = np.hypot(truth.soft[:, 0], truth.soft[:, 1])
    soft_sumet = pileup + soft_pt + np.sum(jet_pt * (in_calorimeter & ~counted), axis=1)
    visible = (
        lepton[:, 1:3]
        + tau[:, 1:3]
        + np.sum(jets[..., 1:3] * in_calorimeter[..., None], axis=1)
        + SOFT_RESPONSE * truth.soft
    )
    met = -visible + MET_NOISE * np.sqrt(soft_sumet)[:, None] * rng.standard_normal((n, 2))
    sumet = kin.pt(lepton) + kin.pt(tau) + np.sum(jet_pt * counted, axis=1) + soft_sumet

    order = np.argsort(-np.where(counted, jet_pt, -1.0), axis=1, kind="stable")
    jets = np.take_along_axis(jets * counted[..., None], order[..., None], axis=1)
    return RecoEvents(lepton, tau, jets, counted.sum(axis=1), met, sumet)


def passes_selection(reco: RecoEvents) -> np.ndarray:
    """Trigger and lepton-hadron preselection (bool per event)."""
    lep_pt, tau_pt = kin.pt(reco.lepton), kin.pt(reco.tau)
    lep_eta, tau_eta = kin.eta(reco.lepton), kin.eta(reco.tau)
    d_phi = kin.delta_phi(kin.phi(reco.lepton), kin.phi(reco.tau))
    delta_r = np.hypot(lep_eta - tau_eta, d_phi)
    return (
        (lep_pt > LEPTON_PT_MIN)
        & (tau_pt > TAU_PT_MIN)
        & (np.abs(lep_eta) < TRACKER_ETA_MAX)
        & (np.abs(tau_eta) < TRACKER_ETA_MAX)
        & (delta_r > DELTA_R_MIN)
    )

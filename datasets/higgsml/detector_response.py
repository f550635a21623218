"""Detector response and event selection: resolution smearing, jets, missing ET, trigger.

Resolutions are those of a general-purpose LHC detector around 2012 (energies in GeV):
electrons and muons sigma(pT)/pT = 1.5% (+) 0.03% pT; hadronic taus 8% (+) 55%/sqrt(pT);
jets sqrt((4/pT)^2 + 0.75^2/pT + 0.05^2), with |eta| < 4.5 and pT > 30 GeV to count.
Besides the Gaussian core, the tau and jet responses have a low-side tail: a fraction of
them lose an exponentially distributed share of their energy (taus: neutral pions lost or
mismeasured; jets: punch-through, dead material, neutrinos of semileptonic heavy-flavour
decays), which feeds the missing ET along the object.
Directions are measured exactly (angular resolutions are negligible for these features).
The missing transverse momentum is minus the vector sum of everything measured (leptons,
taus, all jets, the soft recoil measured with a response below one) plus pile-up noise of
MET_NOISE sqrt(sum ET_soft) GeV per component, with a variance that fluctuates from event to
event (Gamma, shape 3) as the pile-up does, which gives the MET resolution non-Gaussian tails.
The selection is a single-lepton trigger and the lepton-hadron preselection: lepton
pT > 26 GeV, tau pT > 20 GeV, both |eta| < 2.5, separated by Delta R > 0.2.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np

from fivesigma.datasets.higgsml import kinematics as kin
from fivesigma.datasets.higgsml.processes import TruthEvents
from fivesigma.datasets.higgsml.radiation import MAX_PARTONS

JET_PT_MIN = 30.0  # GeV
JET_ETA_MAX = 4.5
CALORIMETER_ETA_MAX = 4.9
LEPTON_PT_MIN = 26.0  # GeV, single-lepton trigger plateau
TAU_PT_MIN = 20.0  # GeV
TRACKER_ETA_MAX = 2.5
DELTA_R_MIN = 0.2
SOFT_RESPONSE = 0.8  # calorimeter response to the unclustered soft recoil
PILEUP_SUMET = (3.0, 13.0)  # Gamma(shape, scale in GeV) of underlying event and pile-up sum ET
MET_NOISE = 1.75  # GeV^(1/2): MET resolution per component is MET_NOISE * sqrt(sum ET soft)
MET_NOISE_SHAPE = 3.0  # event-to-event Gamma spread (shape) of the MET noise variance
TAU_TAIL = (0.12, 0.15)  # share of taus in the low-side response tail, mean energy share lost
JET_TAIL = (0.10, 0.15)  # the same for jets


@dataclass
class RecoEvents:
    """Measured objects of ``n`` events (GeV)."""

    lepton: np.ndarray  # (n, 4)
    tau: np.ndarray  # (n, 4)
    jets: np.ndarray  # (n, J, 4) jets passing pT/eta, by decreasing pT, zero rows after the last
    jet_count: np.ndarray  # (n,) number of jets
    met: np.ndarray  # (n, 2) missing transverse momentum (px, py)
    sumet: np.ndarray  # (n,) scalar sum of transverse energy


@dataclass
class Fluctuations:
    """Random deviates of the detector response for ``n`` events."""

    lepton: np.ndarray  # (n,) standard normal, lepton pT response
    tau: np.ndarray  # (n,) standard normal, tau pT response
    jets: np.ndarray  # (n, MAX_PARTONS) standard normal, jet pT responses
    pileup_sumet: np.ndarray  # (n,) GeV, underlying event and pile-up sum ET
    met_scale: np.ndarray  # (n,) mean-one Gamma factor of the MET noise variance
    met: np.ndarray  # (n, 2) standard normal, MET noise components
    tau_loss: np.ndarray  # (n,) share of the tau energy lost in the response tail (mostly 0)
    jet_loss: np.ndarray  # (n, MAX_PARTONS) the same for jets


def tail_losses(rng: np.random.Generator, tail: tuple[float, float], shape) -> np.ndarray:
    """Energy shares lost: 0, or Exponential(mean ``tail[1]``) for a share ``tail[0]``."""
    fraction, mean = tail
    return np.where(rng.random(shape) < fraction, rng.exponential(mean, shape), 0.0)


def draw_fluctuations(rng: np.random.Generator, n: int) -> Fluctuations:
    return Fluctuations(
        rng.standard_normal(n),
        rng.standard_normal(n),
        rng.standard_normal((n, MAX_PARTONS)),
        rng.gamma(*PILEUP_SUMET, n),
        rng.gamma(MET_NOISE_SHAPE, 1.0 / MET_NOISE_SHAPE, n),
        rng.standard_normal((n, 2)),
        tail_losses(rng, TAU_TAIL, n),
        tail_losses(rng, JET_TAIL, (n, MAX_PARTONS)),
    )


def lepton_resolution(pt):
    return np.sqrt(0.015**2 + (0.0003 * pt) ** 2)


def tau_resolution(pt):
    return np.sqrt(0.08**2 + 0.55**2 / np.maximum(pt, 1.0))


def jet_resolution(pt):
    pt = np.maximum(pt, 1.0)
    return np.sqrt((4.0 / pt) ** 2 + 0.75**2 / pt + 0.05**2)


def measure(rng: np.random.Generator, truth: TruthEvents) -> RecoEvents:
    """Apply the detector response to generator-level events."""
    return respond(truth, draw_fluctuations(rng, len(truth.lepton)))


def respond(truth: TruthEvents, noise: Fluctuations) -> RecoEvents:
    """The detector response to ``truth`` for given random deviates ``noise``."""
    lepton, tau, jets, count, met, sumet = _respond(
        truth.lepton, truth.tau, truth.partons, truth.soft, noise.lepton, noise.tau,
        noise.jets, noise.pileup_sumet, noise.met_scale, noise.met, noise.tau_loss,
        noise.jet_loss,
    )  # fmt: skip
    return RecoEvents(lepton, tau, jets, count, met, sumet)


@numba.njit(cache=True)
def _smear_into(p, z, sigma, loss, out):
    """Scale the momentum of ``p`` by max(1 + sigma z - loss, 0.05) keeping its mass; return
    the new pT."""
    scale = max(1.0 + sigma * z - loss, 0.05)
    m2 = max(p[0] ** 2 - p[1] ** 2 - p[2] ** 2 - p[3] ** 2, 0.0)
    out[1], out[2], out[3] = p[1] * scale, p[2] * scale, p[3] * scale
    out[0] = math.sqrt(m2 + out[1] ** 2 + out[2] ** 2 + out[3] ** 2)
    return math.sqrt(out[1] ** 2 + out[2] ** 2)


@numba.njit(cache=True)
def _respond(
    lepton, tau, partons, soft, z_lep, z_tau, z_jets, pileup, met_scale, z_met, tau_loss, jet_loss
):
    n, slots = partons.shape[0], partons.shape[1]
    lep_out, tau_out = np.empty((n, 4)), np.empty((n, 4))
    jets_out = np.zeros((n, slots, 4))
    count = np.zeros(n, dtype=np.int64)
    met, sumet = np.empty((n, 2)), np.empty(n)
    jet = np.empty(4)
    for i in range(n):
        pt = math.sqrt(lepton[i, 1] ** 2 + lepton[i, 2] ** 2)
        lep_pt = _smear_into(
            lepton[i], z_lep[i], math.sqrt(0.015**2 + (0.0003 * pt) ** 2), 0.0, lep_out[i]
        )
        pt = max(math.sqrt(tau[i, 1] ** 2 + tau[i, 2] ** 2), 1.0)
        sigma = math.sqrt(0.08**2 + 0.55**2 / pt)
        tau_pt = _smear_into(tau[i], z_tau[i], sigma, tau_loss[i], tau_out[i])
        vis_x = lep_out[i, 1] + tau_out[i, 1] + SOFT_RESPONSE * soft[i, 0]
        vis_y = lep_out[i, 2] + tau_out[i, 2] + SOFT_RESPONSE * soft[i, 1]
        soft_sumet = pileup[i] + math.sqrt(soft[i, 0] ** 2 + soft[i, 1] ** 2)
        counted_pt = 0.0
        for k in range(slots):
            if partons[i, k, 0] <= 0.0:
                continue
            pt = math.sqrt(partons[i, k, 1] ** 2 + partons[i, k, 2] ** 2)
            eta = abs(math.asinh(partons[i, k, 3] / pt)) if pt > 0.0 else np.inf
            if eta >= CALORIMETER_ETA_MAX:
                continue
            floor = max(pt, 1.0)
            sigma = math.sqrt((4.0 / floor) ** 2 + 0.75**2 / floor + 0.05**2)
            jet_pt = _smear_into(partons[i, k], z_jets[i, k], sigma, jet_loss[i, k], jet)
            vis_x += jet[1]
            vis_y += jet[2]
            if jet_pt > JET_PT_MIN and eta < JET_ETA_MAX:
                counted_pt += jet_pt
                j = count[i]  # insert by decreasing pT
                while j > 0 and jets_out[i, j - 1, 1] ** 2 + jets_out[i, j - 1, 2] ** 2 < jet_pt**2:
                    jets_out[i, j] = jets_out[i, j - 1]
                    j -= 1
                jets_out[i, j] = jet
                count[i] += 1
            else:
                soft_sumet += jet_pt
        noise = MET_NOISE * math.sqrt(soft_sumet * met_scale[i])
        met[i, 0] = -vis_x + noise * z_met[i, 0]
        met[i, 1] = -vis_y + noise * z_met[i, 1]
        sumet[i] = lep_pt + tau_pt + counted_pt + soft_sumet
    return lep_out, tau_out, jets_out, count, met, sumet


def smear_numpy(p: np.ndarray, z: np.ndarray, sigma: np.ndarray, loss=0.0) -> np.ndarray:
    """Scale momenta by max(1 + sigma z - loss, 0.05), keeping direction and mass."""
    scale = np.maximum(1.0 + sigma * z - loss, 0.05)
    m2 = np.maximum(p[..., 0] ** 2 - np.sum(p[..., 1:] ** 2, axis=-1), 0.0)
    momentum = p[..., 1:] * scale[..., None]
    energy = np.sqrt(m2 + np.sum(momentum**2, axis=-1))
    return np.concatenate([energy[..., None], momentum], axis=-1)


def respond_numpy(truth: TruthEvents, noise: Fluctuations) -> RecoEvents:
    """NumPy twin of :func:`respond`."""
    lepton = smear_numpy(truth.lepton, noise.lepton, lepton_resolution(kin.pt(truth.lepton)))
    tau = smear_numpy(truth.tau, noise.tau, tau_resolution(kin.pt(truth.tau)), noise.tau_loss)
    present = truth.partons[..., 0] > 0
    jet_sigma = jet_resolution(kin.pt(truth.partons))
    jets = smear_numpy(truth.partons, noise.jets, jet_sigma, noise.jet_loss)
    jet_pt, jet_eta = kin.pt(jets), np.abs(kin.eta(truth.partons))
    in_calorimeter = present & (jet_eta < CALORIMETER_ETA_MAX)
    counted = in_calorimeter & (jet_pt > JET_PT_MIN) & (jet_eta < JET_ETA_MAX)
    soft_pt = np.hypot(truth.soft[:, 0], truth.soft[:, 1])
    soft_sumet = noise.pileup_sumet + soft_pt + np.sum(jet_pt * (in_calorimeter & ~counted), axis=1)
    visible = (
        lepton[:, 1:3]
        + tau[:, 1:3]
        + np.sum(jets[..., 1:3] * in_calorimeter[..., None], axis=1)
        + SOFT_RESPONSE * truth.soft
    )
    noise_sigma = MET_NOISE * np.sqrt(soft_sumet * noise.met_scale)
    met = -visible + noise_sigma[:, None] * noise.met
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

"""Generator-level events of the signal and background processes, as four-vectors (GeV).

Each process function draws ``n`` candidate proton-proton collisions and returns a
:class:`TruthEvents`: the electron or muon, the visible hadronic tau candidate (a true tau
or a jet faking one), the quarks and gluons that become jets, the neutrinos, and the
unclustered soft recoil. Transverse momentum balances: the hard system recoils against
initial-state radiation (ISR) partons and a soft intrinsic kT.

- ``higgs_ggf``, ``higgs_vbf``, ``higgs_vh``: H -> tau tau, m_H = 125 GeV, by production mode.
- ``z_tautau``: Z/gamma* -> tau tau (Breit-Wigner line shape), the irreducible background.
- ``top_pairs``: t tbar -> b W b W with one W -> lepton and one W -> hadronic tau or jets.
- ``w_jets``: W -> lepton nu with a jet misidentified as the hadronic tau.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from datasets.higgsml import kinematics as kin
from datasets.higgsml import taus

HIGGS_MASS = 125.0  # GeV
Z_MASS, Z_WIDTH = 91.1876, 2.4952  # GeV
W_MASS, W_WIDTH = 80.379, 2.085  # GeV
TOP_MASS, TOP_WIDTH = 172.5, 1.41  # GeV
B_MASS = 4.8  # GeV
Z_TAU_POLARISATION = -0.147  # mean tau- helicity in Z decays
MAX_PARTONS = 7  # jets-to-be per event: up to 4 from t tbar decays plus 3 ISR partons
MAX_ISR = 3


@dataclass
class TruthEvents:
    """Generator-level final state of ``n`` events (all momenta in GeV)."""

    lepton: np.ndarray  # (n, 4) electron or muon
    lepton_is_muon: np.ndarray  # (n,) bool
    tau: np.ndarray  # (n, 4) visible hadronic tau candidate
    partons: np.ndarray  # (n, MAX_PARTONS, 4) quarks and gluons, zero rows when absent
    invisible: np.ndarray  # (n, 4) sum of the neutrinos
    soft: np.ndarray  # (n, 2) unclustered soft recoil (px, py)


@dataclass(frozen=True)
class Radiation:
    """Initial-state radiation model: Poisson number of partons with power-law pT."""

    mean_partons: float  # mean number of ISR partons above pt_min
    pt_min: float  # GeV
    index: float  # pT spectrum ~ pT^-index
    eta_width: float = 2.3  # Gaussian spread of the partons' pseudorapidity
    kt_sigma: float = 4.0  # GeV, intrinsic soft kT per transverse component


def pad_partons(*groups: np.ndarray) -> np.ndarray:
    """Stack (n, 4) or (n, k, 4) parton arrays into (n, MAX_PARTONS, 4), zero-padded."""
    parts = [g[:, None, :] if g.ndim == 2 else g for g in groups]
    stacked = np.concatenate(parts, axis=1) if parts else np.zeros((0, 0, 4))
    n, k = stacked.shape[:2]
    out = np.zeros((n, MAX_PARTONS, 4))
    out[:, :k] = stacked[:, :MAX_PARTONS]
    return out


def radiate(rng: np.random.Generator, n: int, model: Radiation, minimum: int = 0):
    """ISR partons (n, MAX_ISR, 4) and soft kT (n, 2); at least ``minimum`` partons per event."""
    count = np.minimum(minimum + rng.poisson(model.mean_partons, n), MAX_ISR)
    pt = kin.sample_power_law(rng, model.pt_min, model.index, (n, MAX_ISR))
    pt *= np.arange(MAX_ISR)[None, :] < count[:, None]
    eta = np.clip(rng.normal(0.0, model.eta_width, (n, MAX_ISR)), -6.0, 6.0)
    phi = rng.uniform(-np.pi, np.pi, (n, MAX_ISR))
    partons = kin.from_pt_eta_phi_m(pt, eta, phi, pt * rng.uniform(0.04, 0.15, (n, MAX_ISR)))
    soft = rng.normal(0.0, model.kt_sigma, (n, 2))
    return partons, soft


def recoil(partons: np.ndarray, soft: np.ndarray) -> np.ndarray:
    """Transverse momentum (n, 2) balancing the given partons and soft kT."""
    return -(partons[..., 1:3].sum(axis=1) + soft)


def sample_rapidity(rng: np.random.Generator, n: int, width: float) -> np.ndarray:
    return rng.normal(0.0, width, n)


def sample_one_plus_cos2(u: np.ndarray) -> np.ndarray:
    """cos(theta) from the vector-boson decay density 3/8 (1 + cos^2 theta) (inverse CDF)."""
    q = 4.0 - 8.0 * u
    root = np.sqrt(q * q / 4.0 + 1.0)
    return np.cbrt(-q / 2.0 + root) + np.cbrt(-q / 2.0 - root)


def decay_to_taus(rng, boson: np.ndarray, vector: bool):
    """Boson -> tau- tau+ in its rest frame (isotropic for a scalar, 1 + cos^2 for a vector)."""
    n = len(boson)
    u = rng.random(n)
    cos_theta = sample_one_plus_cos2(u) if vector else 2.0 * u - 1.0
    direction = kin.unit_directions(cos_theta, rng.uniform(-np.pi, np.pi, n))
    return kin.two_body_decay(boson, taus.TAU_MASS, taus.TAU_MASS, direction)


def lepton_masses(rng, n: int):
    """Electron or muon with equal probability: (is_muon, mass in GeV)."""
    is_muon = rng.random(n) < 0.5
    return is_muon, np.where(is_muon, taus.MUON_MASS, taus.ELECTRON_MASS)


def decay_ditau(rng, tau_minus: np.ndarray, tau_plus: np.ndarray, helicity, correlation: float):
    """One tau decays to a lepton, the other hadronically; returns lepton, tau_vis, neutrinos, is_muon.

    ``helicity`` is the tau- helicity per event; the tau+ analysing polarisation is
    ``correlation * helicity`` (+1 for a vector boson, -1 for the scalar Higgs).
    """
    n = len(tau_minus)
    minus_is_leptonic = (rng.random(n) < 0.5)[:, None]
    leptonic = np.where(minus_is_leptonic, tau_minus, tau_plus)
    hadronic = np.where(minus_is_leptonic, tau_plus, tau_minus)
    pol_minus, pol_plus = helicity, correlation * helicity
    pol_lep = np.where(minus_is_leptonic[:, 0], pol_minus, pol_plus)
    pol_had = np.where(minus_is_leptonic[:, 0], pol_plus, pol_minus)
    is_muon, m_lep = lepton_masses(rng, n)
    lepton, nu_lep = taus.decay_leptonic(rng, leptonic, pol_lep, m_lep)
    visible, nu_had = taus.decay_hadronic(rng, hadronic, pol_had)
    return lepton, visible, nu_lep + nu_had, is_muon


def resonance_to_taus(rng, n, masses, partons, soft, rapidity_width, vector, mean_helicity):
    """A di-tau resonance recoiling against ``partons`` and ``soft``; returns TruthEvents."""
    px_py = recoil(partons, soft)
    boson = kin.from_mass_pt_rapidity(
        masses, px_py[:, 0], px_py[:, 1], sample_rapidity(rng, n, rapidity_width)
    )
    tau_minus, tau_plus = decay_to_taus(rng, boson, vector)
    helicity = np.where(rng.random(n) < 0.5 * (1.0 + mean_helicity), 1.0, -1.0)
    correlation = 1.0 if vector else -1.0
    lepton, visible, neutrinos, is_muon = decay_ditau(
        rng, tau_minus, tau_plus, helicity, correlation
    )
    return TruthEvents(lepton, is_muon, visible, pad_partons(partons), neutrinos, soft)


GGF_RADIATION = Radiation(mean_partons=1.4, pt_min=12.0, index=3.3)
VBF_RADIATION = Radiation(mean_partons=0.3, pt_min=12.0, index=3.8)
VH_RADIATION = Radiation(mean_partons=0.6, pt_min=12.0, index=3.8)
Z_RADIATION = Radiation(mean_partons=0.9, pt_min=12.0, index=3.8)
TOP_RADIATION = Radiation(mean_partons=0.8, pt_min=12.0, index=3.5)
W_RADIATION = Radiation(mean_partons=0.8, pt_min=12.0, index=3.6)


def higgs_ggf(rng: np.random.Generator, n: int) -> TruthEvents:
    """Gluon-fusion H -> tau tau: hard ISR, central Higgs."""
    partons, soft = radiate(rng, n, GGF_RADIATION)
    return resonance_to_taus(rng, n, np.full(n, HIGGS_MASS), partons, soft, 1.6, False, 0.0)


def higgs_vbf(rng: np.random.Generator, n: int) -> TruthEvents:
    """Vector-boson-fusion H -> tau tau: two forward tag quarks in opposite hemispheres."""
    side = np.where(rng.random(n) < 0.5, 1.0, -1.0)
    eta = np.stack([side * rng.normal(2.4, 1.0, n), -side * rng.normal(2.4, 1.0, n)], axis=1)
    pt = kin.sample_power_law(rng, 25.0, 3.0, (n, 2))
    tags = kin.from_pt_eta_phi_m(pt, eta, rng.uniform(-np.pi, np.pi, (n, 2)), 0.08 * pt)
    isr, soft = radiate(rng, n, VBF_RADIATION)
    partons = np.concatenate([tags, isr], axis=1)
    return resonance_to_taus(rng, n, np.full(n, HIGGS_MASS), partons, soft, 1.2, False, 0.0)


def higgs_vh(rng: np.random.Generator, n: int) -> TruthEvents:
    """Associated production W/Z + H with the vector boson decaying to two quarks."""
    is_w = rng.random(n) < 0.6
    m_v = np.where(
        is_w,
        kin.sample_breit_wigner(rng, W_MASS, W_WIDTH, 60.0, 100.0, n),
        kin.sample_breit_wigner(rng, Z_MASS, Z_WIDTH, 70.0, 110.0, n),
    )
    isr, soft = radiate(rng, n, VH_RADIATION)
    px_py = recoil(isr, soft)
    m_vh = HIGGS_MASS + m_v + rng.gamma(2.0, 60.0, n)
    system = kin.from_mass_pt_rapidity(m_vh, px_py[:, 0], px_py[:, 1], sample_rapidity(rng, n, 1.3))
    direction = kin.unit_directions(rng.uniform(-1, 1, n), rng.uniform(-np.pi, np.pi, n))
    higgs, vector = kin.two_body_decay(system, HIGGS_MASS, m_v, direction)
    direction = kin.unit_directions(rng.uniform(-1, 1, n), rng.uniform(-np.pi, np.pi, n))
    q1, q2 = kin.two_body_decay(vector, 0.3, 0.3, direction)
    tau_minus, tau_plus = decay_to_taus(rng, higgs, vector=False)
    helicity = np.where(rng.random(n) < 0.5, 1.0, -1.0)
    lepton, visible, neutrinos, is_muon = decay_ditau(rng, tau_minus, tau_plus, helicity, -1.0)
    return TruthEvents(lepton, is_muon, visible, pad_partons(q1, q2, isr), neutrinos, soft)


def z_tautau(rng: np.random.Generator, n: int) -> TruthEvents:
    """Z/gamma* -> tau tau with a Breit-Wigner mass and soft, quark-initiated ISR."""
    masses = kin.sample_breit_wigner(rng, Z_MASS, Z_WIDTH, 40.0, 250.0, n)
    partons, soft = radiate(rng, n, Z_RADIATION)
    return resonance_to_taus(rng, n, masses, partons, soft, 1.9, True, Z_TAU_POLARISATION)


def w_to_lepton(rng, w: np.ndarray):
    """W -> e/mu nu directly (80%) or via W -> tau nu, tau -> e/mu nu nu (20%).

    Returns (lepton, neutrinos, is_muon).
    """
    n = len(w)
    is_muon, m_lep = lepton_masses(rng, n)
    via_tau = rng.random(n) < 0.2
    direction = kin.unit_directions(rng.uniform(-1, 1, n), rng.uniform(-np.pi, np.pi, n))
    lepton, neutrinos = kin.two_body_decay(
        w, np.where(via_tau, taus.TAU_MASS, m_lep), 0.0, direction
    )
    tau = lepton[via_tau]
    lepton[via_tau], nu_tau = taus.decay_leptonic(rng, tau, -1.0, m_lep[via_tau])
    neutrinos[via_tau] += nu_tau
    return lepton, neutrinos, is_muon


def w_to_hadronic_tau(rng, w: np.ndarray):
    """W -> tau nu with tau -> hadrons nu (left-handed tau); returns (visible tau, neutrinos)."""
    n = len(w)
    direction = kin.unit_directions(rng.uniform(-1, 1, n), rng.uniform(-np.pi, np.pi, n))
    tau, nu = kin.two_body_decay(w, taus.TAU_MASS, 0.0, direction)
    visible, nu_tau = taus.decay_hadronic(rng, tau, -1.0)
    return visible, nu + nu_tau


def fake_tau(rng, jet: np.ndarray):
    """A jet misidentified as a hadronic tau: its narrow core carries a fraction of its momentum.

    Returns (visible tau candidate, remainder that joins the soft recoil).
    """
    n = len(jet)
    fraction = rng.uniform(0.55, 1.0, n)
    core = kin.from_pt_eta_phi_m(
        fraction * kin.pt(jet), kin.eta(jet), kin.phi(jet), rng.uniform(0.3, 1.8, n)
    )
    return core, jet - core


def w_jets(rng: np.random.Generator, n: int) -> TruthEvents:
    """W -> lepton nu plus jets, one of which fakes the hadronic tau."""
    isr, soft = radiate(rng, n, W_RADIATION, minimum=1)
    px_py = recoil(isr, soft)
    masses = kin.sample_breit_wigner(rng, W_MASS, W_WIDTH, 40.0, 200.0, n)
    w = kin.from_mass_pt_rapidity(masses, px_py[:, 0], px_py[:, 1], sample_rapidity(rng, n, 1.9))
    lepton, neutrinos, is_muon = w_to_lepton(rng, w)
    n_isr = np.count_nonzero(isr[..., 0] > 0, axis=1)
    pick = (rng.random(n) * n_isr).astype(np.int64)
    chosen = isr[np.arange(n), pick]
    tau, remainder = fake_tau(rng, chosen)
    isr[np.arange(n), pick] = 0.0
    soft = soft + remainder[:, 1:3]
    return TruthEvents(lepton, is_muon, tau, pad_partons(isr), neutrinos, soft)


def top_pairs(rng: np.random.Generator, n: int) -> TruthEvents:
    """t tbar -> b W+ b W-: one W gives the lepton, the other a hadronic tau (60%) or two
    quarks of which one fakes the tau (40%)."""
    isr, soft = radiate(rng, n, TOP_RADIATION)
    px_py = recoil(isr, soft)
    m_tt = 2.0 * TOP_MASS + rng.gamma(1.4, 110.0, n)
    system = kin.from_mass_pt_rapidity(m_tt, px_py[:, 0], px_py[:, 1], sample_rapidity(rng, n, 1.0))
    m_t = kin.sample_breit_wigner(rng, TOP_MASS, TOP_WIDTH, 160.0, 185.0, (2, n))
    direction = kin.unit_directions(rng.uniform(-1, 1, n), rng.uniform(-np.pi, np.pi, n))
    top_a, top_b = kin.two_body_decay(system, m_t[0], m_t[1], direction)
    bosons, bquarks = [], []
    for top in (top_a, top_b):
        m_w = kin.sample_breit_wigner(rng, W_MASS, W_WIDTH, 60.0, 100.0, n)
        direction = kin.unit_directions(rng.uniform(-1, 1, n), rng.uniform(-np.pi, np.pi, n))
        w, b = kin.two_body_decay(top, m_w, B_MASS, direction)
        bosons.append(w)
        bquarks.append(b)
    lepton, nu_lep, is_muon = w_to_lepton(rng, bosons[0])
    true_tau, nu_tau = w_to_hadronic_tau(rng, bosons[1])
    direction = kin.unit_directions(rng.uniform(-1, 1, n), rng.uniform(-np.pi, np.pi, n))
    q1, q2 = kin.two_body_decay(bosons[1], 0.3, 0.3, direction)
    fake, remainder = fake_tau(rng, q1)
    is_fake = (rng.random(n) < 0.4)[:, None]
    tau = np.where(is_fake, fake, true_tau)
    neutrinos = nu_lep + np.where(is_fake, 0.0, nu_tau)
    soft = soft + np.where(is_fake, remainder, 0.0)[:, 1:3]
    partons = pad_partons(bquarks[0], bquarks[1], np.where(is_fake, q2, 0.0), isr)
    return TruthEvents(lepton, is_muon, tau, partons, neutrinos, soft)


PROCESSES = {
    "ggH": higgs_ggf,
    "VBFH": higgs_vbf,
    "VH": higgs_vh,
    "Ztautau": z_tautau,
    "ttbar": top_pairs,
    "Wjets": w_jets,
}
SIGNAL_PROCESSES = ("ggH", "VBFH", "VH")

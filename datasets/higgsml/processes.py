"""Generator-level events of the signal and background processes, as four-vectors (GeV).

Each process function draws ``n`` candidate proton-proton collisions and returns a
:class:`TruthEvents`: the electron or muon, the visible hadronic tau candidate (a true tau
or a jet faking one), the quarks and gluons that become jets, the neutrinos, and the
unclustered soft recoil. Transverse momentum balances: the hard system recoils against
initial-state radiation (ISR) partons and a soft intrinsic kT.

- ``higgs_ggf``, ``higgs_vbf``, ``higgs_vh``: H -> tau tau, m_H = 125 GeV, by production mode.
- ``z_tautau``: Z/gamma* -> tau tau (Z and photon line shape with the measured high-mass
  tail), the irreducible background.
- ``top_pairs``: t tbar -> b W b W with one W -> lepton and one W -> hadronic tau or jets.
- ``w_jets``: W -> lepton nu with a jet misidentified as the hadronic tau.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

from fivesigma.datasets.higgsml import ditau, taus
from fivesigma.datasets.higgsml import kinematics as kin
from fivesigma.datasets.higgsml.radiation import Emission, Radiation, pad_partons, radiate

HIGGS_MASS = 125.0  # GeV
Z_MASS, Z_WIDTH = 91.1876, 2.4952  # GeV
W_MASS, W_WIDTH = 80.379, 2.085  # GeV
TOP_MASS, TOP_WIDTH = 172.5, 1.41  # GeV
B_MASS = 4.8  # GeV
Z_TAU_POLARISATION = -0.147  # mean tau- helicity in Z decays
# Z/gamma* line shape (see drell_yan_density): photon term relative to the Z peak, and the
# exponent of the parton-luminosity fall-off (M_Z / m)^k.
PHOTON_TERM, LUMINOSITY_EXPONENT = 0.0005, 1.0
DRELL_YAN_RANGE = (40.0, 1000.0)  # GeV
# Generator-level filter, looser than the selection by more than three resolutions, so
# that it only spares the detector simulation of events that could never be selected.
LEPTON_FILTER_PT, TAU_FILTER_PT, FILTER_ETA = 23.0, 14.0, 2.6  # GeV, GeV, |eta|


@dataclass
class TruthEvents:
    """Generator-level final state of ``n`` events (all momenta in GeV)."""

    lepton: np.ndarray  # (n, 4) electron or muon
    lepton_is_muon: np.ndarray  # (n,) bool
    tau: np.ndarray  # (n, 4) visible hadronic tau candidate
    partons: np.ndarray  # (n, MAX_PARTONS, 4) quarks and gluons, zero rows when absent
    invisible: np.ndarray  # (n, 4) sum of the neutrinos
    soft: np.ndarray  # (n, 2) unclustered soft recoil (px, py)

    def filtered(self) -> TruthEvents:
        """The events whose lepton and visible tau pass the generator-level filter."""
        keep = passes_filter(self.lepton, LEPTON_FILTER_PT) & passes_filter(self.tau, TAU_FILTER_PT)
        return TruthEvents(*(getattr(self, f.name)[keep] for f in fields(self)))


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
    return kin.two_body_decay(
        boson, taus.TAU_MASS, taus.TAU_MASS, cos_theta, rng.uniform(-np.pi, np.pi, n)
    )


def lepton_masses(rng, n: int):
    """Electron or muon with equal probability: (is_muon, mass in GeV)."""
    is_muon = rng.random(n) < 0.5
    return is_muon, np.where(is_muon, taus.MUON_MASS, taus.ELECTRON_MASS)


def passes_filter(visible: np.ndarray, pt_min: float) -> np.ndarray:
    """Generator-level filter on a visible object: pT > pt_min (GeV) and |eta| < FILTER_ETA."""
    pt = kin.pt(visible)
    return (pt > pt_min) & (np.abs(visible[:, 3]) < pt * math.sinh(FILTER_ETA))


def choose_decays(rng, helicity, correlation: float):
    """Which tau decays leptonically, and the analysing polarisations of both decays.

    ``helicity`` is the tau- helicity per event; the tau+ analysing polarisation is
    ``correlation * helicity`` (+1 for a vector boson, -1 for the scalar Higgs).
    Returns (tau- is leptonic, polarisation of the leptonic tau, of the hadronic tau).
    """
    minus_leptonic = rng.random(len(helicity)) < 0.5
    pol_lep = np.where(minus_leptonic, 1.0, correlation) * helicity
    pol_had = np.where(minus_leptonic, correlation, 1.0) * helicity
    return minus_leptonic, pol_lep, pol_had


def decay_pair(rng, leptonic: np.ndarray, hadronic: np.ndarray, pol_lep, pol_had):
    """Decay one tau to a lepton and the other to hadrons, keeping events that pass the filter.

    Returns (indices of the kept events, lepton, visible tau, neutrinos, is_muon).
    """
    is_muon, m_lep = lepton_masses(rng, len(leptonic))
    lepton, nu_lep = taus.decay_leptonic(rng, leptonic, pol_lep, m_lep)
    kept = np.flatnonzero(passes_filter(lepton, LEPTON_FILTER_PT))
    visible, nu_had = taus.decay_hadronic(rng, hadronic[kept], pol_had[kept])
    ok = passes_filter(visible, TAU_FILTER_PT)
    kept, visible, nu_had = kept[ok], visible[ok], nu_had[ok]
    return kept, lepton[kept], visible, nu_lep[kept] + nu_had, is_muon[kept]


def resonance_to_taus(rng, masses, isr: Emission, rapidity_width, vector, mean_helicity, tags=None):
    """A di-tau resonance recoiling against ISR and optional ``tags`` (n, k, 4) partons."""
    n = len(masses)
    px_py = -isr.transverse()
    if tags is not None:
        px_py -= tags[..., 1:3].sum(axis=1)
    rapidity = sample_rapidity(rng, n, rapidity_width)
    u = rng.random(n)
    cos_theta = sample_one_plus_cos2(u) if vector else 2.0 * u - 1.0
    phi = rng.uniform(-np.pi, np.pi, n)
    helicity = np.where(rng.random(n) < 0.5 * (1.0 + mean_helicity), 1.0, -1.0)
    minus_leptonic, pol_lep, pol_had = choose_decays(rng, helicity, 1.0 if vector else -1.0)
    leptonic, hadronic, possible = ditau.tau_pairs(
        masses, px_py[:, 0], px_py[:, 1], rapidity, cos_theta, phi, minus_leptonic,
        LEPTON_FILTER_PT, TAU_FILTER_PT,
    )  # fmt: skip
    candidates = np.flatnonzero(possible)
    kept, lepton, visible, neutrinos, is_muon = decay_pair(
        rng, leptonic[candidates], hadronic[candidates], pol_lep[candidates], pol_had[candidates]
    )
    kept = candidates[kept]
    partons = [isr.partons(rng, kept)] if tags is None else [tags[kept], isr.partons(rng, kept)]
    return TruthEvents(lepton, is_muon, visible, pad_partons(*partons), neutrinos, isr.soft[kept])


GGF_RADIATION = Radiation(mean_partons=1.2, pt_min=20.0, index=2.75)
VBF_RADIATION = Radiation(mean_partons=0.3, pt_min=20.0, index=3.5)
VH_RADIATION = Radiation(mean_partons=0.6, pt_min=20.0, index=3.5)
Z_RADIATION = Radiation(mean_partons=1.0, pt_min=20.0, index=3.7)
TOP_RADIATION = Radiation(mean_partons=0.8, pt_min=20.0, index=3.3)
W_RADIATION = Radiation(mean_partons=1.2, pt_min=20.0, index=3.5)


def higgs_ggf(rng: np.random.Generator, n: int) -> TruthEvents:
    """Gluon-fusion H -> tau tau: hard ISR, central Higgs."""
    isr = radiate(rng, n, GGF_RADIATION)
    return resonance_to_taus(rng, np.full(n, HIGGS_MASS), isr, 1.6, False, 0.0)


def higgs_vbf(rng: np.random.Generator, n: int) -> TruthEvents:
    """Vector-boson-fusion H -> tau tau: two forward tag quarks in opposite hemispheres."""
    side = np.where(rng.random(n) < 0.5, 1.0, -1.0)
    eta = np.stack([side * rng.normal(2.4, 1.0, n), -side * rng.normal(2.4, 1.0, n)], axis=1)
    pt = kin.sample_power_law(rng, 25.0, 3.0, (n, 2))
    tags = kin.from_pt_eta_phi_m(pt, eta, rng.uniform(-np.pi, np.pi, (n, 2)), 0.08 * pt)
    isr = radiate(rng, n, VBF_RADIATION)
    return resonance_to_taus(rng, np.full(n, HIGGS_MASS), isr, 1.2, False, 0.0, tags)


def higgs_vh(rng: np.random.Generator, n: int) -> TruthEvents:
    """Associated production W/Z + H with the vector boson decaying to two quarks."""
    is_w = rng.random(n) < 0.6
    m_v = np.where(
        is_w,
        kin.sample_breit_wigner(rng, W_MASS, W_WIDTH, 60.0, 100.0, n),
        kin.sample_breit_wigner(rng, Z_MASS, Z_WIDTH, 70.0, 110.0, n),
    )
    isr = radiate(rng, n, VH_RADIATION)
    px_py = -isr.transverse()
    m_vh = HIGGS_MASS + m_v + rng.gamma(2.0, 60.0, n)
    system = kin.from_mass_pt_rapidity(m_vh, px_py[:, 0], px_py[:, 1], sample_rapidity(rng, n, 1.3))
    higgs, vector = kin.two_body_decay(system, HIGGS_MASS, m_v, *kin.isotropic(rng, n))
    q1, q2 = kin.two_body_decay(vector, 0.3, 0.3, *kin.isotropic(rng, n))
    tau_minus, tau_plus = decay_to_taus(rng, higgs, vector=False)
    helicity = np.where(rng.random(n) < 0.5, 1.0, -1.0)
    minus_leptonic, pol_lep, pol_had = choose_decays(rng, helicity, -1.0)
    leptonic = np.where(minus_leptonic[:, None], tau_minus, tau_plus)
    hadronic = np.where(minus_leptonic[:, None], tau_plus, tau_minus)
    kept, lepton, visible, neutrinos, is_muon = decay_pair(
        rng, leptonic, hadronic, pol_lep, pol_had
    )
    partons = pad_partons(q1[kept], q2[kept], isr.partons(rng, kept))
    return TruthEvents(lepton, is_muon, visible, partons, neutrinos, isr.soft[kept])


def drell_yan_density(m):
    """Unnormalised dsigma/dm of Z/gamma* at mass m (GeV).

    A relativistic Breit-Wigner plus a photon term falling as 1/m^2, times a parton
    luminosity falling as M_Z / m. With these constants the cross section between 116 and
    150 GeV is 0.6% of the one between 66 and 116 GeV, and above 150 GeV 0.3%, as the
    Drell-Yan measurements at 7-8 TeV give: the Z/gamma* events a 125 GeV Higgs boson
    cannot be told apart from are as rare as in nature.
    """
    m = np.asarray(m, dtype=np.float64)
    z2, zw2 = Z_MASS**2, (Z_MASS * Z_WIDTH) ** 2
    shape = zw2 / ((m * m - z2) ** 2 + zw2) + PHOTON_TERM * z2 / (m * m)
    return (Z_MASS / m) ** LUMINOSITY_EXPONENT * shape


_DY_GRID = np.linspace(*DRELL_YAN_RANGE, 200_001)
_DY_CDF = np.concatenate([[0.0], np.cumsum(0.5 * np.diff(_DY_GRID) * (
    drell_yan_density(_DY_GRID[1:]) + drell_yan_density(_DY_GRID[:-1])
))])  # fmt: skip
_DY_CDF /= _DY_CDF[-1]


def drell_yan_masses(rng: np.random.Generator, n: int) -> np.ndarray:
    """Di-tau masses (GeV) of Z/gamma* in DRELL_YAN_RANGE, drawn from
    :func:`drell_yan_density` by inverting its tabulated cumulative distribution."""
    return np.interp(rng.random(n), _DY_CDF, _DY_GRID)


def z_tautau(rng: np.random.Generator, n: int) -> TruthEvents:
    """Z/gamma* -> tau tau with soft, quark-initiated ISR."""
    masses = drell_yan_masses(rng, n)
    isr = radiate(rng, n, Z_RADIATION)
    return resonance_to_taus(rng, masses, isr, 1.9, True, Z_TAU_POLARISATION)


def w_to_lepton(rng, w: np.ndarray):
    """W -> e/mu nu directly (80%) or via W -> tau nu, tau -> e/mu nu nu (20%).

    Returns (lepton, neutrinos, is_muon).
    """
    n = len(w)
    is_muon, m_lep = lepton_masses(rng, n)
    via_tau = rng.random(n) < 0.2
    lepton, neutrinos = kin.two_body_decay(
        w, np.where(via_tau, taus.TAU_MASS, m_lep), 0.0, *kin.isotropic(rng, n)
    )
    tau = lepton[via_tau]
    lepton[via_tau], nu_tau = taus.decay_leptonic(rng, tau, -1.0, m_lep[via_tau])
    neutrinos[via_tau] += nu_tau
    return lepton, neutrinos, is_muon


def w_to_hadronic_tau(rng, w: np.ndarray):
    """W -> tau nu with tau -> hadrons nu (left-handed tau); returns (visible tau, neutrinos)."""
    n = len(w)
    tau, nu = kin.two_body_decay(w, taus.TAU_MASS, 0.0, *kin.isotropic(rng, n))
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
    """W -> lepton nu recoiling against jets, one of which fakes the hadronic tau.

    The faking jet's pT follows the ISR spectrum above TAU_FILTER_PT: softer jets cannot
    give a visible tau passing the filter.
    """
    model = W_RADIATION
    isr = radiate(rng, n, model)
    source_pt = kin.sample_power_law(rng, TAU_FILTER_PT, model.index, n)
    source = kin.from_pt_eta_phi_m(
        source_pt,
        rng.normal(0.0, model.eta_width, n),
        rng.uniform(-np.pi, np.pi, n),
        source_pt * rng.uniform(0.04, 0.15, n),
    )
    px_py = -isr.transverse() - source[:, 1:3]
    masses = kin.sample_breit_wigner(rng, W_MASS, W_WIDTH, 40.0, 200.0, n)
    w = kin.from_mass_pt_rapidity(masses, px_py[:, 0], px_py[:, 1], sample_rapidity(rng, n, 1.9))
    lepton, neutrinos, is_muon = w_to_lepton(rng, w)
    kept = np.flatnonzero(passes_filter(lepton, LEPTON_FILTER_PT))
    tau, remainder = fake_tau(rng, source[kept])
    ok = passes_filter(tau, TAU_FILTER_PT)
    kept, tau, remainder = kept[ok], tau[ok], remainder[ok]
    soft = isr.soft[kept] + remainder[:, 1:3]
    partons = pad_partons(isr.partons(rng, kept))
    return TruthEvents(lepton[kept], is_muon[kept], tau, partons, neutrinos[kept], soft)


def top_pairs(rng: np.random.Generator, n: int) -> TruthEvents:
    """t tbar -> b W+ b W-: one W gives the lepton, the other a hadronic tau (60%) or two
    quarks of which one fakes the tau (40%)."""
    isr = radiate(rng, n, TOP_RADIATION)
    px_py = -isr.transverse()
    m_t = kin.sample_breit_wigner(rng, TOP_MASS, TOP_WIDTH, 160.0, 185.0, (2, n))
    m_tt = m_t[0] + m_t[1] + rng.gamma(1.4, 110.0, n)  # above threshold
    system = kin.from_mass_pt_rapidity(m_tt, px_py[:, 0], px_py[:, 1], sample_rapidity(rng, n, 1.0))
    top_a, top_b = kin.two_body_decay(system, m_t[0], m_t[1], *kin.isotropic(rng, n))
    bosons, bquarks = [], []
    for top in (top_a, top_b):
        m_w = kin.sample_breit_wigner(rng, W_MASS, W_WIDTH, 60.0, 100.0, n)
        w, b = kin.two_body_decay(top, m_w, B_MASS, *kin.isotropic(rng, n))
        bosons.append(w)
        bquarks.append(b)
    lepton, nu_lep, is_muon = w_to_lepton(rng, bosons[0])
    tau, nu_tau, remainder, quark = w_to_tau_candidate(rng, bosons[1], 0.4)
    isr_partons = isr.partons(rng, np.arange(n))
    partons = pad_partons(bquarks[0], bquarks[1], quark, isr_partons)
    return TruthEvents(
        lepton, is_muon, tau, partons, nu_lep + nu_tau, isr.soft + remainder
    ).filtered()


def w_to_tau_candidate(rng, w: np.ndarray, fake_share: float):
    """W -> hadronic tau nu, or (a share ``fake_share``) W -> two quarks of which one fakes
    the tau.

    Returns (visible tau candidate, neutrinos, the faking jet's remainder (px, py) that joins
    the soft recoil, the other quark (zero rows for true taus)).
    """
    n = len(w)
    true_tau, nu_tau = w_to_hadronic_tau(rng, w)
    q1, q2 = kin.two_body_decay(w, 0.3, 0.3, *kin.isotropic(rng, n))
    fake, remainder = fake_tau(rng, q1)
    is_fake = (rng.random(n) < fake_share)[:, None]
    return (
        np.where(is_fake, fake, true_tau),
        np.where(is_fake, 0.0, nu_tau),
        np.where(is_fake, remainder, 0.0)[:, 1:3],
        np.where(is_fake, q2, 0.0),
    )


PROCESSES = {
    "ggH": higgs_ggf,
    "VBFH": higgs_vbf,
    "VH": higgs_vh,
    "Ztautau": z_tautau,
    "ttbar": top_pairs,
    "Wjets": w_jets,
}
SIGNAL_PROCESSES = ("ggH", "VBFH", "VH")

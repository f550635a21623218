"""W W -> (e/mu nu)(hadronic tau nu or q q'): the diboson background (GeV).

Only the uncertainty challenge's samples (:mod:`datasets.higgsml.uncertainty`) carry it; the
2014 files keep their three backgrounds. The pair is produced above threshold (pair mass =
the two W masses plus a Gamma-distributed excess), recoils against initial-state radiation,
one W gives the electron or muon, the other a hadronic tau or, for a share
``FAKE_TAU_SHARE``, two quarks of which one is misidentified as the tau, as in t tbar.
"""

from __future__ import annotations

import numpy as np

from fivesigma.datasets.higgsml import kinematics as kin
from fivesigma.datasets.higgsml.processes import (
    W_MASS,
    W_WIDTH,
    TruthEvents,
    sample_rapidity,
    w_to_lepton,
    w_to_tau_candidate,
)
from fivesigma.datasets.higgsml.radiation import Radiation, pad_partons, radiate

WW_RADIATION = Radiation(mean_partons=0.8, pt_min=20.0, index=3.5)
PAIR_MASS_EXCESS = (1.5, 60.0)  # Gamma(shape, scale in GeV) of m_WW above the two W masses
FAKE_TAU_SHARE = 0.3


def w_pairs(rng: np.random.Generator, n: int) -> TruthEvents:
    """``n`` candidate W W collisions, filtered at generator level like the other processes."""
    isr = radiate(rng, n, WW_RADIATION)
    px_py = -isr.transverse()
    m_w = kin.sample_breit_wigner(rng, W_MASS, W_WIDTH, 60.0, 100.0, (2, n))
    m_ww = m_w[0] + m_w[1] + rng.gamma(*PAIR_MASS_EXCESS, n)
    system = kin.from_mass_pt_rapidity(m_ww, px_py[:, 0], px_py[:, 1], sample_rapidity(rng, n, 1.5))
    w_lep, w_tau = kin.two_body_decay(system, m_w[0], m_w[1], *kin.isotropic(rng, n))
    lepton, nu_lep, is_muon = w_to_lepton(rng, w_lep)
    tau, nu_tau, remainder, quark = w_to_tau_candidate(rng, w_tau, FAKE_TAU_SHARE)
    partons = pad_partons(quark, isr.partons(rng, np.arange(n)))
    return TruthEvents(
        lepton, is_muon, tau, partons, nu_lep + nu_tau, isr.soft + remainder
    ).filtered()

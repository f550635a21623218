"""Initial-state radiation: the partons a hard system recoils against (GeV).

A Poisson number of partons (at most MAX_ISR) with a power-law pT spectrum, uniform
azimuth and Gaussian pseudorapidity, plus a soft intrinsic kT. They become the jets of an
event (or, below the jet threshold, part of the soft term), and their summed transverse
momentum, with opposite sign, is the transverse momentum of the hard system.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fivesigma.datasets.higgsml import kinematics as kin

MAX_ISR = 3
MAX_PARTONS = 7  # jets-to-be per event: up to 4 from t tbar decays plus 3 ISR partons


@dataclass(frozen=True)
class Radiation:
    """Initial-state radiation model: Poisson number of partons with power-law pT."""

    mean_partons: float  # mean number of ISR partons above pt_min
    pt_min: float  # GeV
    index: float  # pT spectrum ~ pT^-index
    eta_width: float = 2.3  # Gaussian spread of the partons' pseudorapidity
    kt_sigma: float = 4.0  # GeV, intrinsic soft kT per transverse component


@dataclass
class Emission:
    """ISR of n events: ``count`` partons per event (at most MAX_ISR) whose pT and azimuth
    are stored flat, event after event, and the soft kT (n, 2).

    Only transverse momenta shape the recoil, so pseudorapidities and masses are drawn by
    :meth:`partons` for the events that survive the generator filter.
    """

    model: Radiation
    count: np.ndarray
    pt: np.ndarray
    phi: np.ndarray
    soft: np.ndarray

    def transverse(self) -> np.ndarray:
        """Summed transverse momentum (n, 2) of the partons and the soft kT (GeV)."""
        n = len(self.count)
        owner = np.repeat(np.arange(n), self.count)
        px = np.bincount(owner, self.pt * np.cos(self.phi), minlength=n)
        py = np.bincount(owner, self.pt * np.sin(self.phi), minlength=n)
        return np.stack([px, py], axis=1) + self.soft

    def partons(self, rng: np.random.Generator, kept: np.ndarray) -> np.ndarray:
        """Four-vectors (k, MAX_ISR, 4) of the partons of the events ``kept`` (indices)."""
        first = (np.cumsum(self.count) - self.count)[kept]
        present = np.arange(MAX_ISR)[None, :] < self.count[kept, None]
        rows, slots = np.nonzero(present)
        pt, phi = np.zeros(present.shape), np.zeros(present.shape)
        pt[rows, slots] = self.pt[first[rows] + slots]
        phi[rows, slots] = self.phi[first[rows] + slots]
        eta = np.clip(rng.normal(0.0, self.model.eta_width, pt.shape), -6.0, 6.0)
        return kin.from_pt_eta_phi_m(pt, eta, phi, pt * rng.uniform(0.04, 0.15, pt.shape))


def pad_partons(*groups: np.ndarray) -> np.ndarray:
    """Stack (n, 4) or (n, k, 4) parton arrays into (n, MAX_PARTONS, 4), zero-padded."""
    parts = [g[:, None, :] if g.ndim == 2 else g for g in groups]
    stacked = np.concatenate(parts, axis=1)
    n, k = stacked.shape[:2]
    out = np.zeros((n, MAX_PARTONS, 4))
    out[:, :k] = stacked[:, :MAX_PARTONS]
    return out


def radiate(rng: np.random.Generator, n: int, model: Radiation) -> Emission:
    """Draw the ISR of ``n`` events."""
    count = np.minimum(rng.poisson(model.mean_partons, n), MAX_ISR)
    total = int(count.sum())
    pt = kin.sample_power_law(rng, model.pt_min, model.index, total)
    phi = rng.uniform(-np.pi, np.pi, total)
    return Emission(model, count, pt, phi, rng.normal(0.0, model.kt_sigma, (n, 2)))

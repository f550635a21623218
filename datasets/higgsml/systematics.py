"""Systematic uncertainties of the HiggsML uncertainty challenge, applied to an event table.

An event table is a pandas DataFrame with the 30 HiggsML features (GeV, radians) and,
optionally, ``Weight``, ``Label`` (``s``/``b``) and ``Process`` columns. The nuisance
parameters, with their nominal values and the standard deviations of their priors:

- ``tes`` (1.0, 0.01): hadronic tau energy scale, multiplies the tau pT;
- ``jes`` (1.0, 0.01): jet energy scale, multiplies the pT of every jet;
- ``soft_met`` (0.0 GeV, prior half-normal of scale 3 GeV): extra Gaussian noise of the
  soft missing-ET term, ``soft_met`` GeV per transverse component, event by event;
- ``bkg_scale`` (1.0, 0.001): all background weights;
- ``ttbar_scale`` (1.0, 0.02): the t tbar weights on top of it;
- ``diboson_scale`` (1.0, 0.25): the diboson weights on top of it.

:func:`apply_systematics` changes the primary (PRI_) features as the detector calibration
would: the missing ET absorbs the change of the tau and jet momenta (it balances everything
measured), sum ET follows the scaled pT, jets falling below 30 GeV leave the jet count, and
events whose tau falls below the 20 GeV selection leave the table. The derived (DER_)
features are then recomputed from the primary ones by :func:`derive_features`, with the
2014 feature definitions (:func:`datasets.higgsml.features.compute_features`). Tables of
:mod:`datasets.higgsml.uncertainty` are built the same way, so at nominal values
``apply_systematics`` returns the table unchanged.

Limits of working on the table: the third and further jets are known only through
``PRI_jet_all_pt``, so their change of missing ET is not propagated and they keep counting
when the subleading jet stays above 30 GeV; jets and taus below threshold before the shift
are not in the table, so an upward shift cannot bring them in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from fivesigma.datasets.higgsml import kinematics as kin
from fivesigma.datasets.higgsml.detector_response import JET_PT_MIN, TAU_PT_MIN, RecoEvents
from fivesigma.datasets.higgsml.features import FEATURES, UNDEFINED, compute_features

TAU_VISIBLE_MASS = 0.8  # GeV, the visible hadronic tau's mass assumed from the table
JETS = ("leading", "subleading")
PRIMARY = tuple(name for name in FEATURES if name.startswith("PRI_"))
DERIVED = tuple(name for name in FEATURES if name.startswith("DER_"))


@dataclass(frozen=True)
class Nuisance:
    """A nuisance parameter: nominal value, prior standard deviation, allowed range, unit."""

    name: str
    nominal: float
    sigma: float
    low: float  # prior truncated to [low, high]
    high: float
    unit: str
    half_normal: bool = False  # prior |N(0, sigma)| above the nominal instead of N(nominal, sigma)

    def draw(self, rng: np.random.Generator) -> float:
        """One value from the prior."""
        while True:
            z = rng.standard_normal()
            value = self.nominal + self.sigma * (abs(z) if self.half_normal else z)
            if self.low <= value <= self.high:
                return float(value)


NUISANCES = {
    n.name: n
    for n in (
        Nuisance("tes", 1.0, 0.01, 0.9, 1.1, ""),
        Nuisance("jes", 1.0, 0.01, 0.9, 1.1, ""),
        Nuisance("soft_met", 0.0, 3.0, 0.0, 20.0, "GeV", half_normal=True),
        Nuisance("bkg_scale", 1.0, 0.001, 0.99, 1.01, ""),
        Nuisance("ttbar_scale", 1.0, 0.02, 0.8, 1.2, ""),
        Nuisance("diboson_scale", 1.0, 0.25, 0.0, 2.0, ""),
    )
}
NOMINAL = {name: n.nominal for name, n in NUISANCES.items()}


def draw_nuisances(rng: np.random.Generator) -> dict[str, float]:
    """One value of every nuisance parameter from its prior, in ``NUISANCES`` order."""
    return {name: n.draw(rng) for name, n in NUISANCES.items()}


def _pt_eta_phi(table: pd.DataFrame, prefix: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (table[f"{prefix}_pt"].to_numpy(), table[f"{prefix}_eta"].to_numpy(),
            table[f"{prefix}_phi"].to_numpy())  # fmt: skip


def reco_from_table(table: pd.DataFrame) -> RecoEvents:
    """Four-vectors rebuilt from the primary features: massless lepton and jets, tau of
    ``TAU_VISIBLE_MASS``; jets beyond the second become one jet of the remaining scalar pT
    (it enters only ``PRI_jet_all_pt``)."""
    n = len(table)
    lepton = kin.from_pt_eta_phi_m(*_pt_eta_phi(table, "PRI_lep"), np.zeros(n))
    tau = kin.from_pt_eta_phi_m(*_pt_eta_phi(table, "PRI_tau"), np.full(n, TAU_VISIBLE_MASS))
    count = table["PRI_jet_num"].to_numpy().astype(np.int64)
    jets = np.zeros((n, 3, 4))
    for k, name in enumerate(JETS):
        pt, eta, phi = _pt_eta_phi(table, f"PRI_jet_{name}")
        present = count > k
        jets[present, k] = kin.from_pt_eta_phi_m(
            pt[present], eta[present], phi[present], np.zeros(present.sum())
        )
    others = count >= 3
    rest = table["PRI_jet_all_pt"].to_numpy() - kin.pt(jets[:, 0]) - kin.pt(jets[:, 1])
    jets[others, 2] = kin.from_pt_eta_phi_m(np.maximum(rest[others], 0.0), 0.0, 0.0, 0.0)
    met, met_phi = table["PRI_met"].to_numpy(), table["PRI_met_phi"].to_numpy()
    met_xy = np.stack([met * np.cos(met_phi), met * np.sin(met_phi)], axis=1)
    return RecoEvents(lepton, tau, jets, count, met_xy, table["PRI_met_sumet"].to_numpy())


def derive_features(table: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``table`` whose 13 DER_ columns are recomputed from its PRI_ columns
    (rounded to 3 decimals, as the files carry them); every other column is kept."""
    features = compute_features(reco_from_table(table))
    out = table.copy()
    for name in DERIVED:
        out[name] = np.round(features[name], 3)
    return out


def apply_systematics(
    table: pd.DataFrame,
    tes: float = 1.0,
    jes: float = 1.0,
    soft_met: float = 0.0,
    bkg_scale: float = 1.0,
    ttbar_scale: float = 1.0,
    diboson_scale: float = 1.0,
    seed=0,
) -> pd.DataFrame:
    """The event table as measured with the given nuisance values (see the module notes).

    ``table`` needs the 30 features; its other columns are carried along. Background
    ``Weight`` values are scaled when the table has ``Weight``, ``Label`` and ``Process``.
    ``seed`` (an int or a ``numpy.random.Generator``) drives the ``soft_met`` noise. Rows
    whose tau pT falls below 20 GeV are dropped (the index is kept, so rows can be matched
    with the input).
    """
    missing = [name for name in FEATURES if name not in table.columns]
    if missing:
        raise ValueError(f"event table lacks the feature columns {missing}")
    for name, value in (("tes", tes), ("jes", jes), ("soft_met", soft_met)):
        limits = NUISANCES[name]
        if not limits.low <= value <= limits.high:
            raise ValueError(f"{name}={value} is outside [{limits.low}, {limits.high}]")
    out = table.copy()
    met, met_phi = out["PRI_met"].to_numpy(), out["PRI_met_phi"].to_numpy()
    met_x, met_y = met * np.cos(met_phi), met * np.sin(met_phi)
    sumet = out["PRI_met_sumet"].to_numpy().copy()

    def rescale(prefix, scale, present):
        """Scale one object's pT; the missing ET balances the change, sum ET follows it."""
        pt, _, phi = _pt_eta_phi(out, prefix)
        change = np.where(present, (scale - 1.0) * pt, 0.0)
        met_x[:] -= change * np.cos(phi)
        met_y[:] -= change * np.sin(phi)
        sumet[:] += change
        out[f"{prefix}_pt"] = np.where(present, pt * scale, pt)

    if tes != 1.0:
        rescale("PRI_tau", tes, np.ones(len(out), dtype=bool))
    if jes != 1.0:
        count = out["PRI_jet_num"].to_numpy()
        for k, name in enumerate(JETS):
            rescale(f"PRI_jet_{name}", jes, count > k)
        out["PRI_jet_all_pt"] = out["PRI_jet_all_pt"] * jes
        _drop_soft_jets(out)
    if soft_met > 0.0:
        rng = np.random.default_rng(seed)
        met_x += rng.normal(0.0, soft_met, len(out))
        met_y += rng.normal(0.0, soft_met, len(out))
    if tes != 1.0 or jes != 1.0 or soft_met > 0.0:
        out["PRI_met"] = np.hypot(met_x, met_y)
        out["PRI_met_phi"] = np.arctan2(met_y, met_x)
        out["PRI_met_sumet"] = sumet
        for name in PRIMARY:
            if name != "PRI_jet_num":
                out[name] = np.round(out[name].to_numpy(dtype=np.float64), 3)
        out = out[out["PRI_tau_pt"].to_numpy() > TAU_PT_MIN]
    out = derive_features(out)
    if {"Weight", "Label", "Process"} <= set(out.columns):
        out["Weight"] = out["Weight"] * background_scales(
            out["Label"].to_numpy(), out["Process"].to_numpy(), bkg_scale, ttbar_scale,
            diboson_scale,
        )  # fmt: skip
    return out


def background_scales(label, process, bkg_scale=1.0, ttbar_scale=1.0, diboson_scale=1.0):
    """Per-event weight factors: 1 for signal, ``bkg_scale`` for background, times
    ``ttbar_scale`` for t tbar and ``diboson_scale`` for diboson events."""
    label, process = np.asarray(label), np.asarray(process)
    factor = np.where(label == "b", bkg_scale, 1.0)
    factor = factor * np.where(process == "ttbar", ttbar_scale, 1.0)
    return factor * np.where(process == "diboson", diboson_scale, 1.0)


def _drop_soft_jets(out: pd.DataFrame) -> None:
    """Jets below JET_PT_MIN after scaling leave the count (they stay in the missing ET)."""
    count = out["PRI_jet_num"].to_numpy().copy()
    lead = out["PRI_jet_leading_pt"].to_numpy()
    sub = out["PRI_jet_subleading_pt"].to_numpy()
    all_pt = out["PRI_jet_all_pt"].to_numpy().copy()
    sub_lost = (count >= 2) & (sub <= JET_PT_MIN)  # the softer jets are lost with it
    all_pt[sub_lost] = lead[sub_lost]
    count[sub_lost] = 1
    lead_lost = (count >= 1) & (lead <= JET_PT_MIN)
    all_pt[lead_lost] = 0.0
    count[lead_lost] = 0
    for k, name in enumerate(JETS):
        for part in ("pt", "eta", "phi"):
            column = f"PRI_jet_{name}_{part}"
            out[column] = np.where(count > k, out[column].to_numpy(), UNDEFINED)
    out["PRI_jet_num"] = count
    out["PRI_jet_all_pt"] = all_pt

"""Di-tau mass estimate from the visible lepton, the visible hadronic tau and missing ET.

A likelihood scan in the spirit of the missing mass calculator (MMC). In the collinear
approximation each tau's neutrinos fly along its visible decay products, which carry a
fraction x of the tau momentum, so the missing transverse momentum is

    MET = (1/x_lep - 1) pT_lep + (1/x_had - 1) pT_had,     m_tautau = m_vis / sqrt(x_lep x_had).

The scan runs over x_lep on a grid; for each value the best x_had follows in closed form and
the likelihood is Gaussian in the MET mismatch, with the resolution expected for the event:
the soft term and pile-up, ``MET_SIGMA * sqrt(sum ET)``, and the jets' energy resolution,
``JET_SIGMA`` times their scalar pT sum, added in quadrature,
times prior densities of x_lep and x_had. The priors are Beta distributions describing
selected events: the lepton and tau pT thresholds keep taus whose visible products carry
most of the momentum (the bare decay spectra, (5 - 9x^2 + 4x^3)/3 for tau -> l nu nu and
flat for tau -> hadrons nu, would pull the estimate high). The estimate is the
posterior-weighted geometric mean of m_tautau. The estimator fails (returns ``UNDEFINED``)
when no point of the scan matches the MET within ``CHI2_MAX``: then the MET is not
compatible with two taus, as in W + jets.

``mass_mmc`` is the compiled kernel; ``mass_mmc_numpy`` is its plain NumPy twin.
"""

from __future__ import annotations

import math

import numba
import numpy as np

UNDEFINED = -999.0
GRID = 40  # points in x_lep
X_MIN = 0.025  # smallest visible momentum fraction scanned
MET_SIGMA = 0.85  # GeV^(1/2): MET resolution sqrt(sum ET) coefficient assumed by the fit
JET_SIGMA = 0.15  # MET resolution assumed per GeV of scalar jet pT sum
SIGMA_FLOOR = 4.0  # GeV
CHI2_MAX = 9.0
NEGLIGIBLE_CHI2 = 60.0  # scan points this far above the best carry weight below e^-30
LEPTON_PRIOR = (5.0, 3.0)  # Beta(a, b) of x_lep for selected events
HADRON_PRIOR = (2.0, 1.0)  # Beta(a, b) of x_had for selected events


def x_grid() -> np.ndarray:
    """Visible momentum fractions x_lep scanned (bin centres on [X_MIN, 1])."""
    return X_MIN + (1.0 - X_MIN) * (np.arange(GRID) + 0.5) / GRID


def beta_shape(x, shape):
    """Unnormalised Beta density x^(a-1) (1-x)^(b-1)."""
    a, b = shape
    return x ** (a - 1.0) * (1.0 - x) ** (b - 1.0)


@numba.njit(cache=True)
def _scan_event(p1x, p1y, p2x, p2y, metx, mety, sigma, log_mvis, inputs, chi2, b):
    """Return (estimate, min chi2) for one event; ``chi2`` and ``b`` are scratch arrays."""
    xs, log_xs, log_priors, had_a, had_b, chi2_max = inputs
    p2sq = p2x * p2x + p2y * p2y
    b_max = 1.0 / xs[0] - 1.0
    chi2_min = np.inf
    for k in range(xs.shape[0]):
        a = 1.0 / xs[k] - 1.0
        rx = metx - a * p1x
        ry = mety - a * p1y
        b[k] = min(max((rx * p2x + ry * p2y) / p2sq, 0.0), b_max)
        dx = rx - b[k] * p2x
        dy = ry - b[k] * p2y
        chi2[k] = (dx * dx + dy * dy) / (sigma * sigma)
        chi2_min = min(chi2_min, chi2[k])
    if chi2_min > chi2_max:
        return UNDEFINED, chi2_min
    sum_w = 0.0
    sum_wlog = 0.0
    for k in range(xs.shape[0]):
        if chi2[k] - chi2_min > NEGLIGIBLE_CHI2:
            continue
        log_x2 = -math.log1p(b[k])
        # prior of x_had times the Jacobian |dx_had/db| = x_had^2
        log_w = -0.5 * (chi2[k] - chi2_min) + log_priors[k] + (had_a + 1.0) * log_x2
        if had_b != 1.0:
            log_w += (had_b - 1.0) * (math.log(b[k]) + log_x2)
        w = math.exp(log_w)
        sum_w += w
        sum_wlog += w * (log_mvis - 0.5 * (log_xs[k] + log_x2))
    if not sum_w > 0.0:
        return UNDEFINED, chi2_min
    return math.exp(sum_wlog / sum_w), chi2_min


@numba.njit(cache=True)
def _scan(p1, p2, met, sigma, log_mvis, inputs):
    n = p1.shape[0]
    out = np.empty(n)
    chi2 = np.empty(inputs[0].shape[0])
    b = np.empty(inputs[0].shape[0])
    for i in range(n):
        out[i] = _scan_event(
            p1[i, 0], p1[i, 1], p2[i, 0], p2[i, 1], met[i, 0], met[i, 1],
            sigma[i], log_mvis[i], inputs, chi2, b,
        )[0]  # fmt: skip
    return out


def _inputs(lepton, tau, met, sumet, jet_pt):
    lepton, tau = np.asarray(lepton, dtype=np.float64), np.asarray(tau, dtype=np.float64)
    visible = lepton + tau
    m2 = visible[:, 0] ** 2 - np.sum(visible[:, 1:] ** 2, axis=1)
    log_mvis = 0.5 * np.log(np.maximum(m2, 1e-6))
    variance = MET_SIGMA**2 * np.asarray(sumet, dtype=np.float64)
    variance += (JET_SIGMA * np.asarray(jet_pt, dtype=np.float64)) ** 2
    sigma = np.maximum(np.sqrt(variance), SIGMA_FLOOR)
    xs = x_grid()
    a, b = LEPTON_PRIOR
    log_priors = (a - 1.0) * np.log(xs) + (b - 1.0) * np.log1p(-xs)
    scan = (xs, np.log(xs), log_priors, float(HADRON_PRIOR[0]), float(HADRON_PRIOR[1]), CHI2_MAX)
    return (
        np.ascontiguousarray(lepton[:, 1:3]),
        np.ascontiguousarray(tau[:, 1:3]),
        np.ascontiguousarray(met, dtype=np.float64),
        sigma,
        log_mvis,
        scan,
    )


def mass_mmc(lepton, tau, met, sumet, jet_pt) -> np.ndarray:
    """Di-tau mass estimates (GeV), ``UNDEFINED`` (-999.0) where the estimator fails.

    lepton, tau: (n, 4) visible four-vectors (E, px, py, pz) in GeV; met: (n, 2) missing
    transverse momentum in GeV; sumet: (n,) scalar transverse energy sum in GeV; jet_pt:
    (n,) scalar pT sum of the jets in GeV (PRI_jet_all_pt).
    """
    return _scan(*_inputs(lepton, tau, met, sumet, jet_pt))


def mass_mmc_numpy(lepton, tau, met, sumet, jet_pt) -> np.ndarray:
    """Plain NumPy twin of :func:`mass_mmc` (same algorithm, vectorised over events)."""
    p1, p2, met, sigma, log_mvis, (xs, _, _, had_a, had_b, chi2_max) = _inputs(
        lepton, tau, met, sumet, jet_pt
    )
    a = 1.0 / xs - 1.0  # (k,)
    r = met[:, None, :] - a[None, :, None] * p1[:, None, :]  # (n, k, 2)
    p2sq = np.sum(p2 * p2, axis=1)[:, None]
    b = np.clip(np.sum(r * p2[:, None, :], axis=2) / p2sq, 0.0, 1.0 / xs[0] - 1.0)
    chi2 = np.sum((r - b[..., None] * p2[:, None, :]) ** 2, axis=2) / sigma[:, None] ** 2
    chi2_min = chi2.min(axis=1, keepdims=True)
    x2 = 1.0 / (1.0 + b)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = (
            np.exp(-0.5 * (chi2 - chi2_min))
            * beta_shape(xs, LEPTON_PRIOR)
            * x2 ** (had_a + 1.0)
            * (1.0 - x2) ** (had_b - 1.0)
        )
        log_m = log_mvis[:, None] - 0.5 * np.log(xs * x2)
        estimate = np.exp(np.sum(w * log_m, axis=1) / np.sum(w, axis=1))
    ok = (chi2_min[:, 0] <= chi2_max) & (np.sum(w, axis=1) > 0.0)
    return np.where(ok, estimate, UNDEFINED)

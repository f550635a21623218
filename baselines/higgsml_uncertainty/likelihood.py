"""Binned Poisson likelihood of mu with constrained nuisance parameters, and its profile.

Expected events in bin b:

    nu_b(mu, alpha) = sum_g c_g(mu, alpha) h_gb prod_k F_gkb(alpha_k),

g the template groups (signal and each background process), h_gb their nominal histograms,
c_g a normalisation (mu for signal, bkg_scale (times ttbar_scale or diboson_scale) for the
backgrounds) and F_gkb the shape response to nuisance k, a quadratic in alpha_k through the
templates at shifted values (F = 1 at alpha = 0). Each nuisance is written in units of its
prior width, alpha = (theta - nominal) / sigma, and constrained by a unit Gaussian term.

    NLL(mu, alpha) = sum_b (nu_b - n_b ln nu_b) + sum_k alpha_k^2 / 2.

The 68% interval [p16, p84] is where the profile NLL (minimised over alpha) is within 0.5 of
its minimum, found with Brent's method.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq, minimize

MU_BOUNDS = (-1.0, 10.0)  # negative mu: fewer events than the background alone
NU_FLOOR = 1e-9  # expected events below this count as this (empty bins)
HALF = 0.5  # profile NLL rise that bounds a 68% interval


@dataclass
class Shape:
    """A quadratic response F(alpha) = 1 + a alpha + b alpha^2 per group and bin."""

    a: np.ndarray  # (groups, bins)
    b: np.ndarray

    @classmethod
    def through(cls, points, ratios) -> Shape:
        """The quadratic through (0, 1) and two (alpha, ratio) points; ``ratios`` holds the
        histograms at ``points`` divided by the nominal ones, (2, groups, bins)."""
        (x1, x2), (r1, r2) = points, ratios
        det = x1 * x2 * (x2 - x1)
        a = ((r1 - 1.0) * x2**2 - (r2 - 1.0) * x1**2) / det
        b = ((r2 - 1.0) * x1 - (r1 - 1.0) * x2) / det
        return cls(a, b)

    def value(self, alpha: float) -> np.ndarray:
        return np.maximum(1.0 + self.a * alpha + self.b * alpha**2, 1e-3)

    def slope(self, alpha: float) -> np.ndarray:
        inside = 1.0 + self.a * alpha + self.b * alpha**2 > 1e-3
        return np.where(inside, self.a + 2.0 * self.b * alpha, 0.0)


@dataclass
class Norm:
    """A normalisation nuisance: factor 1 + sigma alpha on the groups ``mask`` selects."""

    sigma: float
    mask: np.ndarray  # (groups,) bool


@dataclass
class BinnedModel:
    """Nominal histograms, signal group first, and the nuisances allowed to float."""

    nominal: np.ndarray  # (groups, bins) expected events at mu = 1, nominal values
    shapes: dict[str, Shape]
    norms: dict[str, Norm]
    bounds: dict[str, tuple[float, float]]  # alpha range of each nuisance

    @property
    def names(self) -> list[str]:
        return [*self.shapes, *self.norms]

    def expected(self, mu: float, alphas: np.ndarray):
        """(nu (bins,), d nu / d mu (bins,), d nu / d alpha (k, bins))."""
        coeff = np.ones(len(self.nominal))
        coeff[0] = mu
        terms = self.nominal.copy()
        log_slopes = []
        for alpha, shape in zip(alphas, self.shapes.values(), strict=False):
            value = shape.value(alpha)
            terms *= value
            log_slopes.append(shape.slope(alpha) / value)
        norm_factors = []
        for alpha, norm in zip(alphas[len(self.shapes) :], self.norms.values(), strict=True):
            factor = 1.0 + norm.sigma * alpha
            coeff = np.where(norm.mask, coeff * factor, coeff)
            norm_factors.append((norm, factor))
        weighted = coeff[:, None] * terms
        nu = weighted.sum(axis=0)
        d_mu = terms[0]
        for norm, factor in norm_factors:
            if norm.mask[0]:
                d_mu = d_mu * factor
        grads = [(weighted * s).sum(axis=0) for s in log_slopes]
        grads += [(weighted[n.mask] * (n.sigma / f)).sum(axis=0) for n, f in norm_factors]
        return nu, d_mu, np.array(grads).reshape(len(alphas), len(nu))

    def nll(self, params: np.ndarray, counts: np.ndarray):
        """NLL and its gradient at params = (mu, alpha_1, ..., alpha_k)."""
        nu, d_mu, d_alpha = self.expected(params[0], params[1:])
        nu_safe = np.maximum(nu, NU_FLOOR)
        value = float(np.sum(nu_safe - counts * np.log(nu_safe)) + 0.5 * np.sum(params[1:] ** 2))
        pull = 1.0 - counts / nu_safe
        grad = np.concatenate([[pull @ d_mu], d_alpha @ pull + params[1:]])
        return value, grad


@dataclass
class Measurement:
    mu_hat: float
    p16: float
    p84: float
    alphas: dict[str, float]  # best-fit nuisances in prior-width units

    @property
    def delta_mu_hat(self) -> float:
        return 0.5 * (self.p84 - self.p16)


def _minimise(model: BinnedModel, counts, start: np.ndarray, mu: float | None = None):
    """Minimum of the NLL over all parameters, or over the alphas at fixed ``mu``."""
    bounds = [model.bounds[name] for name in model.names]
    if mu is None:
        fun, x0, bounds = (lambda p: model.nll(p, counts)), start, [MU_BOUNDS, *bounds]
    else:
        if not bounds:
            return model.nll(np.array([mu]), counts)[0], start

        def fun(alphas):
            value, grad = model.nll(np.concatenate([[mu], alphas]), counts)
            return value, grad[1:]

        x0 = start[1:]
    result = minimize(fun, x0, jac=True, method="L-BFGS-B", bounds=bounds)
    best = result.x if mu is None else np.concatenate([[mu], result.x])
    return float(result.fun), best


def _start(model: BinnedModel, counts: np.ndarray) -> np.ndarray:
    """Where the fit starts: mu from the excess over the background, nuisances nominal."""
    signal, background = model.nominal[0].sum(), model.nominal[1:].sum()
    mu0 = float(np.clip((counts.sum() - background) / signal, 0.0, MU_BOUNDS[1] - 0.05))
    return np.concatenate([[mu0], np.zeros(len(model.names))])


def profile_scan(model: BinnedModel, counts, mus) -> np.ndarray:
    """-2 ln(L(mu) / L(mu_hat)) at each of ``mus``, the nuisances fitted again at each mu (the
    curve whose crossings of 1 are the 68% interval's ends)."""
    counts = np.asarray(counts, dtype=np.float64)
    best_nll, best = _minimise(model, counts, _start(model, counts))
    return np.array([2.0 * (_minimise(model, counts, best, float(mu))[0] - best_nll) for mu in mus])


def measure(model: BinnedModel, counts: np.ndarray) -> Measurement:
    """Best-fit mu, its profile-likelihood 68% interval and the best-fit nuisances."""
    counts = np.asarray(counts, dtype=np.float64)
    signal = model.nominal[0].sum()
    best_nll, best = _minimise(model, counts, _start(model, counts))
    mu_hat = float(best[0])

    def rise(mu):
        return _minimise(model, counts, best, mu)[0] - best_nll - HALF

    first_step = max(np.sqrt(max(counts.sum(), 1.0)) / signal, 0.02)  # counting error
    ends = []
    for direction, limit in ((-1.0, MU_BOUNDS[0]), (1.0, MU_BOUNDS[1])):
        inner, step = mu_hat, first_step
        while True:
            outer = float(np.clip(inner + direction * step, *MU_BOUNDS))
            if rise(outer) >= 0:
                ends.append(brentq(rise, inner, outer, xtol=1e-4))
                break
            if outer == limit:
                ends.append(limit)
                break
            inner, step = outer, 2.0 * step
    alphas = dict(zip(model.names, best[1:].tolist(), strict=True))
    return Measurement(mu_hat, ends[0], ends[1], alphas)

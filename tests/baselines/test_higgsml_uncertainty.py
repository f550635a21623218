"""The uncertainty baselines' likelihood: interpolation, gradient, Asimov fits, intervals and
coverage on toy pseudo-experiments drawn from the binned model itself."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fivesigma.baselines.higgsml_uncertainty.likelihood import BinnedModel, Norm, Shape, measure
from fivesigma.baselines.higgsml_uncertainty.model import Model, weighted_quantiles
from fivesigma.datasets.higgsml import uncertainty as un

NOMINAL = np.array(
    [
        [20.0, 30.0, 40.0, 60.0],  # signal at mu = 1
        [3000.0, 600.0, 150.0, 40.0],  # background A
        [500.0, 100.0, 30.0, 10.0],  # background B
    ]
)


def toy_model(profiled: bool) -> BinnedModel:
    if not profiled:
        return BinnedModel(NOMINAL, {}, {}, {})
    up = np.array([[1.01, 1.0, 0.99, 0.98], [0.96, 1.04, 1.12, 1.25], [0.99, 1.01, 1.02, 1.04]])
    down = 2.0 - up + 0.002
    shapes = {"tes": Shape.through((-1.0, 1.0), np.array([down, up]))}
    norms = {"b_scale": Norm(0.1, np.array([False, False, True]))}
    return BinnedModel(NOMINAL, shapes, norms, {"tes": (-5.0, 5.0), "b_scale": (-5.0, 5.0)})


def test_shape_passes_through_its_points():
    ratios = np.array([[[0.97, 1.2]], [[1.05, 0.7]]])
    shape = Shape.through((1.0, 2.0), ratios)
    assert np.allclose(shape.value(0.0), 1.0)
    assert np.allclose(shape.value(1.0), ratios[0]) and np.allclose(shape.value(2.0), ratios[1])


def test_gradient_matches_finite_differences():
    model = toy_model(True)
    counts = np.array([3400.0, 700.0, 230.0, 120.0])
    params = np.array([1.3, 0.4, -0.7])
    _, grad = model.nll(params, counts)
    for k in range(len(params)):
        step = np.zeros(3)
        step[k] = 1e-4
        numeric = (model.nll(params + step, counts)[0] - model.nll(params - step, counts)[0]) / 2e-4
        assert grad[k] == pytest.approx(numeric, rel=1e-4, abs=1e-5)


@pytest.mark.parametrize("profiled", [False, True])
def test_asimov_fit_recovers_mu(profiled):
    model = toy_model(profiled)
    asimov = model.expected(1.7, np.zeros(len(model.names)))[0]
    result = measure(model, asimov)
    assert result.mu_hat == pytest.approx(1.7, abs=1e-3)
    assert result.p16 < 1.7 < result.p84


def test_counting_interval_against_a_grid_scan():
    """One bin, no nuisances: the interval where n ln(nu) - nu is within 0.5 of its maximum."""
    model = BinnedModel(np.array([[100.0], [1000.0]]), {}, {}, {})
    result = measure(model, np.array([1130.0]))
    grid = np.linspace(0.0, 3.0, 300_001)
    nu = 100.0 * grid + 1000.0
    nll = nu - 1130.0 * np.log(nu)
    inside = grid[nll <= nll.min() + 0.5]
    assert result.mu_hat == pytest.approx(1.3, abs=1e-4)
    assert result.p16 == pytest.approx(inside[0], abs=1e-4)
    assert result.p84 == pytest.approx(inside[-1], abs=1e-4)
    assert result.delta_mu_hat == pytest.approx(math.sqrt(1130.0) / 100.0, rel=0.01)


def test_profiled_interval_is_wider_than_the_stats_only_one():
    asimov = toy_model(True).expected(1.0, np.zeros(2))[0]
    stats, profiled = measure(toy_model(False), asimov), measure(toy_model(True), asimov)
    assert profiled.p84 - profiled.p16 > 1.1 * (stats.p84 - stats.p16)


def test_coverage_on_toys_from_the_model():
    """40 toys with nuisances drawn from their priors: the profiled interval covers about
    68% (binomial sd 7.4%), the statistics-only one clearly less."""
    rng = np.random.default_rng(5)
    covered = {False: 0, True: 0}
    truth_model = toy_model(True)
    for _ in range(40):
        mu, alphas = rng.uniform(0.5, 2.0), rng.standard_normal(2)
        counts = rng.poisson(truth_model.expected(mu, alphas)[0])
        for profiled in (False, True):
            result = measure(toy_model(profiled), counts)
            covered[profiled] += result.p16 <= mu <= result.p84
    assert covered[True] / 40 > 0.5
    assert covered[False] < covered[True]


def test_weighted_quantile_edges():
    values = np.array([0.1, 0.2, 0.3, 0.4])
    edges = weighted_quantiles(values, np.array([1.0, 1.0, 1.0, 1.0]), 2)
    assert edges[0] == 0.0 and edges[-1] == 1.0 and 0.2 <= edges[1] <= 0.3


@pytest.mark.slow
def test_models_end_to_end_on_a_small_sample():
    train = un.training_set(12_000, seed=3)
    truths = un.draw_truths(1, seed=3)
    events, truth = un.pseudo_experiments(truths, seed=3)
    events = events.drop(columns="pseudo_experiment")
    results = {p: Model(profiled=p, bins=6).fit(train).predict(events) for p in (False, True)}
    for result in results.values():
        assert result["p16"] <= result["mu_hat"] <= result["p84"]
        assert result["delta_mu_hat"] == pytest.approx((result["p84"] - result["p16"]) / 2)
    width = {p: r["p84"] - r["p16"] for p, r in results.items()}
    assert width[True] > width[False]

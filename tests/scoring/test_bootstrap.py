import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score

from fivesigma.scoring.kernels.bootstrap import (
    auc_replicas,
    interval,
    mean_replicas,
    poisson_counts,
    probability_beats,
    replica_sums,
    replica_sums_numpy,
    roc_auc,
)


def test_counts_follow_poisson_one():
    counts = np.concatenate([poisson_counts(7, r, 50_000) for r in range(4)])
    frequencies = np.bincount(counts, minlength=5)[:5] / counts.size
    expected = [math.exp(-1) / math.factorial(k) for k in range(5)]
    assert np.allclose(frequencies, expected, atol=0.004)
    assert counts.mean() == pytest.approx(1.0, abs=0.01)


def test_counts_depend_on_seed_replica_and_stream_only():
    base = poisson_counts(3, 5, 1000)
    assert (poisson_counts(3, 5, 1000) == base).all()
    assert (poisson_counts(3, 5, 2000)[:1000] == base).all()  # a row's count ignores n
    for other in (
        poisson_counts(4, 5, 1000),
        poisson_counts(3, 6, 1000),
        poisson_counts(3, 5, 1000, stream=1),
    ):
        assert (other != base).mean() > 0.4


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 9000), st.integers(1, 3), st.integers(0, 2**32), st.integers(0, 1))
def test_kernel_matches_numpy_twin(n, width, seed, stream):
    values = np.random.default_rng(n).normal(size=(n, width))
    assert np.allclose(
        replica_sums(values, seed, 3, stream),
        replica_sums_numpy(values, seed, 3, stream),
        rtol=1e-10,
        atol=1e-9,
    )


def test_mean_replicas_are_count_weighted_means():
    values = np.random.default_rng(0).random(300)
    replicas = mean_replicas(values, seed=11, n_replicas=5)
    for r in range(5):
        counts = poisson_counts(11, r, 300)
        assert replicas[r] == pytest.approx((counts * values).sum() / counts.sum(), rel=1e-12)


@settings(max_examples=30, deadline=None)
@given(st.integers(2, 400), st.integers(0, 1000))
def test_auc_replicas_match_sklearn_with_count_weights(n, seed):
    rng = np.random.default_rng(seed)
    positive = rng.random(n) < 0.4
    scores = np.round(rng.random(n) + 0.5 * positive, 1)  # ties on purpose
    replicas = auc_replicas(scores, positive, seed, 4)
    for r in range(4):
        counts = poisson_counts(seed, r, n)
        drawn = positive[counts > 0]
        if drawn.all() or not drawn.any():
            continue  # a replica without both classes falls back to the full-sample AUC
        assert replicas[r] == pytest.approx(
            roc_auc_score(positive, scores, sample_weight=counts), rel=1e-12
        )


def test_roc_auc_matches_sklearn_with_ties():
    rng = np.random.default_rng(5)
    positive = rng.random(500) < 0.3
    scores = rng.integers(0, 10, 500)
    assert roc_auc(scores, positive) == pytest.approx(roc_auc_score(positive, scores), rel=1e-14)
    assert math.isnan(roc_auc(scores, np.ones(500, dtype=bool)))


def test_interval_and_probability_beats():
    replicas = np.arange(1001, dtype=float)
    assert interval(replicas, 0.9) == pytest.approx((50.0, 950.0))
    assert probability_beats([1.0, 2.0, 3.0, 4.0], [0.0, 2.0, 5.0, 1.0]) == pytest.approx(0.625)
    assert probability_beats([1.0, 2.0], [2.0, 3.0], higher_is_better=False) == 1.0
    with pytest.raises(ValueError, match="same non-zero length"):
        probability_beats([1.0], [1.0, 2.0])

"""The uncertainty challenge's interval score against a direct transcription of its formula."""

from __future__ import annotations

import math
import random

import numpy as np
import pandas as pd
import pytest

from fivesigma.scoring.metrics import interval_coverage as ic
from tests.scoring import twins


def intervals(rng: random.Random, n: int, half_width: float, shift: float):
    mu = [rng.uniform(0.1, 3.0) for _ in range(n)]
    centre = [m + rng.gauss(shift, 0.2) for m in mu]
    return mu, [c - half_width for c in centre], [c + half_width for c in centre]


@pytest.mark.parametrize(
    "n, half_width, shift",
    [(100, 0.2, 0.0), (100, 0.05, 0.0), (100, 0.6, 0.0), (1000, 0.2, 0.1), (37, 0.3, -0.2)],
)
def test_score_matches_the_formula(n, half_width, shift):
    rng = random.Random(n * 7 + int(half_width * 100))
    mu, p16, p84 = intervals(rng, n, half_width, shift)
    mu_hat = [(a + b) / 2 for a, b in zip(p16, p84, strict=True)]
    delta = [half_width * rng.uniform(0.5, 1.5) for _ in mu]
    got = ic.interval_scores(mu, mu_hat, delta, p16, p84)
    assert got["score"] == pytest.approx(twins.interval_score(mu, p16, p84), rel=1e-12)
    mae, rmse = twins.interval_point_errors(mu, mu_hat, delta)
    assert got["mae"] == pytest.approx(mae, rel=1e-12)
    assert got["rmse"] == pytest.approx(rmse, rel=1e-12)
    assert got["mean_width"] == pytest.approx(2 * half_width)


def test_point_errors_are_averaged_over_sets_sharing_a_true_mu():
    """Five pseudo-experiments at three true values: each set counts once, whatever its size."""
    mu = [1.0, 1.0, 1.0, 2.0, 0.5]
    mu_hat = [1.2, 0.7, 1.1, 2.4, 0.5]
    delta = [0.2, 0.2, 0.1, 0.3, 0.05]
    got = ic.interval_scores(
        mu, mu_hat, delta, [m - 0.3 for m in mu_hat], [m + 0.3 for m in mu_hat]
    )
    assert (got["mae"], got["rmse"]) == pytest.approx(
        twins.interval_point_errors(mu, mu_hat, delta)
    )
    # by hand, mu = 2.0's set alone: |e| = 0.4, ||e| - delta| = 0.1
    alone = ic.interval_scores([2.0], [2.4], [0.3], [2.0], [2.8])
    assert alone["mae"] == pytest.approx(0.5)
    assert alone["rmse"] == pytest.approx(math.sqrt(0.16 + (0.16 - 0.09) ** 2))


def test_penalty_regions():
    n = 100
    sigma68 = math.sqrt(0.6827 * 0.3173 / n)
    assert ic.coverage_penalty(0.6827, n) == 1.0
    assert ic.coverage_penalty(0.6827 + 1.9 * sigma68, n) == 1.0
    assert ic.coverage_penalty(0.6827 - 3 * sigma68, n) == pytest.approx(2.0)  # 1 + 1^4
    assert ic.coverage_penalty(0.6827 + 4 * sigma68, n) == pytest.approx(9.0)  # 1 + 2^3
    # the stricter side: under-coverage by k sigma costs more than over-coverage by k sigma
    assert ic.coverage_penalty(0.6827 - 5 * sigma68, n) > ic.coverage_penalty(
        0.6827 + 5 * sigma68, n
    )


def test_interval_on_its_edge_covers():
    got = ic.interval_scores([1.0, 2.0], [1.0, 1.0], [0.2, 0.2], [1.0, 1.5], [1.5, 2.0])
    assert got["coverage"] == 1.0


def test_files_are_aligned_by_pseudo_experiment(tmp_path):
    truth = pd.DataFrame(
        {"pseudo_experiment": [0, 1, 2, 3], "mu": [1.0, 2.0, 0.5, 1.5], "tes": 1.0}
    )
    predictions = pd.DataFrame(
        {
            "pseudo_experiment": [3, 1, 0, 2],
            "mu_hat": [1.4, 2.1, 1.0, 0.9],
            "delta_mu_hat": [0.1] * 4,
            "p16": [1.3, 2.0, 0.9, 0.8],
            "p84": [1.5, 2.2, 1.1, 1.0],
        }
    )
    truth.to_csv(tmp_path / "truth.csv", index=False)
    predictions.to_csv(tmp_path / "predictions.csv", index=False)
    got = ic.score_files(tmp_path / "predictions.csv", tmp_path / "truth.csv")
    assert got["coverage"] == 0.75  # pseudo-experiment 2 (mu 0.5) is missed
    mu, p16, p84 = [1.0, 2.0, 0.5, 1.5], [0.9, 2.0, 0.8, 1.3], [1.1, 2.2, 1.0, 1.5]
    assert got["score"] == pytest.approx(twins.interval_score(mu, p16, p84))


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda p: p.drop(columns="p84"), "missing columns ['p84']"),
        (
            lambda p: p.assign(mu_hat=["1", "x", "1"]),
            "column 'mu_hat', row 1: expected a finite number",
        ),
        (lambda p: p.assign(p16=[0.0, np.inf, 0.0]), "column 'p16', row 1"),
        (lambda p: p.assign(p16=[0.0, 3.0, 0.0]), "row 1: p16 is above p84"),
        (lambda p: p.assign(pseudo_experiment=[0, 0, 2]), "pseudo_experiment 0 repeated at row 1"),
        (lambda p: p.iloc[:2], "no prediction for pseudo_experiment 2"),
        (
            lambda p: pd.concat([p, p.iloc[:1].assign(pseudo_experiment=7)]),
            "1 rows name pseudo-experiments",
        ),
    ],
)
def test_bad_predictions_are_named(change, message):
    truth = pd.DataFrame({"pseudo_experiment": [0, 1, 2], "mu": [1.0, 1.0, 1.0]})
    good = pd.DataFrame(
        {"pseudo_experiment": [0, 1, 2], "mu_hat": 1.0, "delta_mu_hat": 0.1, "p16": 0.9, "p84": 1.1}
    )
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        ic.score_predictions(change(good), truth, "sub.csv")

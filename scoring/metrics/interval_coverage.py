"""The HiggsML uncertainty challenge's score: 68% intervals of mu judged by width and coverage.

Definition (FAIR Universe HiggsML Uncertainty Challenge, NeurIPS 2024 competition): over N
pseudo-experiments with true signal strengths mu_i and submitted intervals [p16_i, p84_i],

    coverage c = (1/N) #{i : p16_i <= mu_i <= p84_i},    w = (1/N) sum_i (p84_i - p16_i),
    score = -ln((w + eps) f(c, N)),   eps = 1e-3,
    sigma68 = sqrt(0.6827 (1 - 0.6827) / N),
    f = 1                                                if |c - 0.6827| <= 2 sigma68,
    f = 1 + |(c - (0.6827 - 2 sigma68)) / sigma68|^4     below that band,
    f = 1 + |(c - (0.6827 + 2 sigma68)) / sigma68|^3     above it.

Higher is better: narrow intervals score high unless their coverage leaves the band that an
exact 68% interval reaches with 95% probability. Also reported: the coverage, the mean width,
and the challenge's errors of the point estimates, with e_i = mu_hat_i - mu_i and the
submitted uncertainty delta_i = delta_mu_hat_i, computed for each set of pseudo-experiments
sharing a true mu and then averaged over the sets:

    MAE  = mean |e_i| + mean ||e_i| - delta_i|,
    RMSE = sqrt(mean e_i^2 + mean (e_i^2 - delta_i^2)^2),

so that an uncertainty that does not match the actual error costs as an error does.

This module depends on NumPy and pandas only, so an organiser's scoring program can import
it from the installed package (``fivesigma.scoring.metrics.interval_coverage``) or carry
this file beside itself.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

CONFIDENCE = 0.6827  # the probability content of +-1 sigma of a Gaussian, rounded
EPSILON = 1e-3
TRUTH_COLUMNS = ("pseudo_experiment", "mu")
PREDICTION_COLUMNS = ("pseudo_experiment", "mu_hat", "delta_mu_hat", "p16", "p84")


def coverage_penalty(coverage: float, n: int) -> float:
    """f(c, N): 1 inside CONFIDENCE +- 2 sigma68, growing as the 4th (below) or 3rd (above)
    power of the distance to the band's edge in units of sigma68."""
    sigma68 = math.sqrt(CONFIDENCE * (1.0 - CONFIDENCE) / n)
    low, high = CONFIDENCE - 2.0 * sigma68, CONFIDENCE + 2.0 * sigma68
    if coverage < low:
        return 1.0 + abs((coverage - low) / sigma68) ** 4
    if coverage > high:
        return 1.0 + abs((coverage - high) / sigma68) ** 3
    return 1.0


def point_errors(mu_true, mu_hat, delta_mu_hat) -> tuple[float, float]:
    """(MAE, RMSE) of the point estimates as the module notes define them: per set of
    pseudo-experiments sharing a true mu, then averaged over the sets."""
    error = mu_hat - mu_true
    sets = np.unique(mu_true, return_inverse=True)[1]
    members = np.bincount(sets)

    def set_means(values: np.ndarray) -> np.ndarray:
        return np.bincount(sets, weights=values) / members

    mae = set_means(np.abs(error)) + set_means(np.abs(np.abs(error) - delta_mu_hat))
    rmse = np.sqrt(set_means(error**2) + set_means((error**2 - delta_mu_hat**2) ** 2))
    return float(np.mean(mae)), float(np.mean(rmse))


def interval_scores(mu_true, mu_hat, delta_mu_hat, p16, p84) -> dict[str, float]:
    """score, coverage, mean_width, mae, rmse and n over aligned arrays (one entry per
    pseudo-experiment)."""
    mu_true, mu_hat, delta_mu_hat, p16, p84 = (
        np.asarray(a, dtype=np.float64) for a in (mu_true, mu_hat, delta_mu_hat, p16, p84)
    )
    n = len(mu_true)
    if n == 0:
        raise ValueError("no pseudo-experiments to score")
    if not all(len(a) == n for a in (mu_hat, delta_mu_hat, p16, p84)):
        raise ValueError(
            "mu_true, mu_hat, delta_mu_hat, p16 and p84 must have one value per pseudo-experiment"
        )
    coverage = float(np.mean((p16 <= mu_true) & (mu_true <= p84)))
    width = float(np.mean(np.abs(p84 - p16)))
    mae, rmse = point_errors(mu_true, mu_hat, delta_mu_hat)
    return {
        "score": -math.log((width + EPSILON) * coverage_penalty(coverage, n)),
        "coverage": coverage,
        "mean_width": width,
        "mae": mae,
        "rmse": rmse,
        "n": n,
    }


def check_predictions(
    predictions: pd.DataFrame, truth: pd.DataFrame, where: str = "predictions"
) -> pd.DataFrame:
    """The predictions aligned row by row with ``truth`` (by ``pseudo_experiment``).

    Raises ValueError naming ``where``, the column and the first offending row when a column
    is missing, a value is not a finite number, p16 > p84, a pseudo-experiment is repeated or
    one of the truth's is missing.
    """
    missing = [c for c in PREDICTION_COLUMNS if c not in predictions.columns]
    if missing:
        raise ValueError(
            f"{where}: missing columns {missing} (expected {list(PREDICTION_COLUMNS)})"
        )
    for column in PREDICTION_COLUMNS:
        values = pd.to_numeric(predictions[column], errors="coerce").to_numpy(dtype=np.float64)
        bad = np.flatnonzero(~np.isfinite(values))
        if len(bad):
            raise ValueError(
                f"{where}: column {column!r}, row {bad[0]}: expected a finite number, "
                f"got {predictions[column].iloc[bad[0]]!r}"
            )
    ids = predictions["pseudo_experiment"].to_numpy(dtype=np.float64)
    repeated = np.flatnonzero(pd.Series(ids).duplicated().to_numpy())
    if len(repeated):
        raise ValueError(
            f"{where}: pseudo_experiment {ids[repeated[0]]:g} repeated at row {repeated[0]}"
        )
    inverted = np.flatnonzero(
        predictions["p16"].to_numpy(float) > predictions["p84"].to_numpy(float)
    )
    if len(inverted):
        raise ValueError(f"{where}: row {inverted[0]}: p16 is above p84")
    aligned = truth[["pseudo_experiment"]].merge(
        predictions.astype({"pseudo_experiment": truth["pseudo_experiment"].dtype}),
        on="pseudo_experiment",
        how="left",
        indicator=True,
    )
    absent = aligned.index[aligned["_merge"] != "both"]
    if len(absent):
        raise ValueError(
            f"{where}: no prediction for pseudo_experiment {truth['pseudo_experiment'].iloc[absent[0]]} "
            f"({len(absent)} of {len(truth)} missing)"
        )
    extra = len(predictions) - len(truth)
    if extra > 0:
        raise ValueError(f"{where}: {extra} rows name pseudo-experiments not in the reference")
    return aligned.drop(columns="_merge")


def score_predictions(
    predictions: pd.DataFrame, truth: pd.DataFrame, where: str = "predictions"
) -> dict[str, float]:
    """Check ``predictions`` (columns ``PREDICTION_COLUMNS``) against ``truth`` (at least
    ``TRUTH_COLUMNS``) and return :func:`interval_scores`."""
    missing = [c for c in TRUTH_COLUMNS if c not in truth.columns]
    if missing:
        raise ValueError(f"reference: missing columns {missing}")
    aligned = check_predictions(predictions, truth, where)
    return interval_scores(*aligned_columns(truth, aligned))


def aligned_columns(truth: pd.DataFrame, aligned: pd.DataFrame) -> tuple:
    """The arguments of :func:`interval_scores` from ``truth`` and the predictions aligned
    with it by :func:`check_predictions`."""
    return (truth["mu"], *(aligned[c] for c in ("mu_hat", "delta_mu_hat", "p16", "p84")))


def score_files(predictions_path, truth_path) -> dict[str, float]:
    """:func:`score_predictions` of two CSV files."""
    return score_predictions(
        pd.read_csv(predictions_path), pd.read_csv(truth_path), str(predictions_path)
    )

"""Bootstrap replicas of scores, paired across submissions.

Replicas use the Poisson bootstrap: in replica r, row i of a scored subset (rows in
solution order) enters ``count(seed, stream, r, i)`` times, a Poisson(1) number drawn
from a counter-based hash; ``stream`` tells the subsets apart (0 public, 1 private). The
counts depend only on the seed and the solution, never on the submission, so two submissions scored on the same solution with the
same seed see the same resamples, and ``P(A beats B)`` is the fraction of replicas in which
A's replica score beats B's.

A replica statistic is a ratio of count-weighted sums (a mean, or the AMS with weights
renormalised per class within the replica), computed by :func:`replica_sums` in one
streaming pass over the rows per replica.
"""

from __future__ import annotations

import math

import numba
import numpy as np
import pandas as pd

from fivesigma.scoring.kernels.ams import ams
from fivesigma.scoring.kernels.frozen import frozen

MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
MIX_2 = np.uint64(0x94D049BB133111EB)
GOLDEN = np.uint64(0x9E3779B97F4A7C15)
SEED_STEP = np.uint64(0xD1B54A32D192ED03)
# Poisson(1) cumulative probabilities P(K <= k), k = 0..7, on a 16-bit scale.
POISSON_THRESHOLDS = np.array(
    [round(65536 * sum(math.exp(-1) / math.factorial(j) for j in range(k + 1))) for k in range(8)],
    dtype=np.uint64,
)
BLOCK = 4096  # rows per block: keeps a block of values in L1 while all replicas visit it


def _mix_numpy(z: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser on uint64 arrays (wrapping arithmetic)."""
    z = (z ^ (z >> np.uint64(30))) * MIX_1
    z = (z ^ (z >> np.uint64(27))) * MIX_2
    return z ^ (z >> np.uint64(31))


def poisson_counts(seed: int, replica: int, n: int, stream: int = 0) -> np.ndarray:
    """Poisson(1) counts of rows 0..n-1 in one replica (the NumPy definition, uint8).

    Four counts come from each 64-bit hash of (seed, replica, i // 4): 16 bits each,
    mapped through the Poisson(1) cumulative distribution (exact to 1/65536).
    """
    rows = np.arange(n, dtype=np.uint64)
    start = (np.array([seed], dtype=np.uint64) * SEED_STEP + np.uint64(stream)) * SEED_STEP
    key = _mix_numpy(start + np.uint64(replica) + GOLDEN)[0]
    hashed = _mix_numpy(key + (rows >> np.uint64(2)) * GOLDEN)
    uniform = (hashed >> ((rows & np.uint64(3)) * np.uint64(16))) & np.uint64(0xFFFF)
    return (uniform[:, None] >= POISSON_THRESHOLDS[None, :]).sum(axis=1).astype(np.uint8)


@numba.njit(cache=True, nogil=True, inline="always")
def _mix(z):
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


_T0, _T1, _T2, _T3, _T4, _T5, _T6, _T7 = (np.uint64(t) for t in POISSON_THRESHOLDS)


@numba.njit(cache=True, nogil=True, inline="always")
def _poisson_count(u):
    """Poisson(1) count for a 16-bit uniform ``u``: the number of thresholds it reaches."""
    return (
        (u >= _T0)
        + (u >= _T1)
        + (u >= _T2)
        + (u >= _T3)
        + (u >= _T4)
        + (u >= _T5)
        + (u >= _T6)
        + (u >= _T7)
    )


@numba.njit(cache=True, nogil=True, inline="always")
def _replica_key(seed, stream, replica):
    return _mix((seed * SEED_STEP + stream) * SEED_STEP + np.uint64(replica) + GOLDEN)


@numba.njit(cache=True, nogil=True, inline="always")
def _row_count(key, row):
    """Poisson(1) count of one ``row`` in the replica of ``key`` (as in :func:`poisson_counts`)."""
    hashed = _mix(key + np.uint64(row >> 2) * GOLDEN)
    return _poisson_count((hashed >> np.uint64(16 * (row & 3))) & np.uint64(0xFFFF))


@numba.njit(cache=True, nogil=True, fastmath=True)
def _replica_sums(columns, seed, stream, n_replicas):
    """out[r, k] = sum_i count(seed, r, i) * columns[k, i], block by block over the rows."""
    width, n = columns.shape
    out = np.zeros((n_replicas, width))
    counts = np.empty(BLOCK)
    for start in range(0, n, BLOCK):
        size = min(BLOCK, n - start)
        for r in range(n_replicas):
            key = _replica_key(seed, stream, r)
            for quad in range((size + 3) >> 2):
                hashed = _mix(key + np.uint64((start >> 2) + quad) * GOLDEN)
                for lane in range(4):
                    counts[4 * quad + lane] = _poisson_count(
                        (hashed >> np.uint64(16 * lane)) & np.uint64(0xFFFF)
                    )
            for k in range(width):
                column = columns[k, start : start + size]
                total = 0.0
                for i in range(size):
                    total += counts[i] * column[i]
                out[r, k] += total
    return out


def replica_sums(values: np.ndarray, seed: int, n_replicas: int, stream: int = 0) -> np.ndarray:
    """Count-weighted column sums of ``values`` (rows x k) in each replica: (n_replicas, k)."""
    values = np.asarray(values, dtype=np.float64).reshape(len(values), -1)
    return _replica_sums(
        frozen(values.T, np.float64), np.uint64(seed), np.uint64(stream), int(n_replicas)
    )


def replica_sums_numpy(
    values: np.ndarray, seed: int, n_replicas: int, stream: int = 0
) -> np.ndarray:
    """The NumPy twin of :func:`replica_sums` (slow; the oracle in tests)."""
    values = np.asarray(values, dtype=np.float64).reshape(len(values), -1)
    counts = [poisson_counts(seed, r, len(values), stream) for r in range(n_replicas)]
    return np.array([c @ values for c in counts]).reshape(n_replicas, -1)


def ratio(numerator: np.ndarray, denominator: np.ndarray, fallback: float) -> np.ndarray:
    """numerator / denominator, with ``fallback`` where a replica drew no rows (denominator 0)."""
    safe = np.where(denominator > 0, denominator, 1.0)
    return np.where(denominator > 0, numerator / safe, fallback)


def mean_replicas(values, seed: int, n_replicas: int, stream: int = 0) -> np.ndarray:
    """Replicas of the mean of ``values`` (rows in solution order, e.g. per-event scores).

    A replica that draws no row at all (likely only for a handful of rows) gets the mean.
    """
    values = np.asarray(values, dtype=np.float64)
    sums = replica_sums(np.column_stack([values, np.ones_like(values)]), seed, n_replicas, stream)
    return ratio(sums[:, 0], sums[:, 1], float(values.mean()) if values.size else 0.0)


def interval(replicas: np.ndarray, confidence: float = 0.95) -> tuple[float, float]:
    """Percentile interval of the replicas (central ``confidence``)."""
    replicas = np.asarray(replicas, dtype=np.float64)
    if not replicas.size:
        return math.nan, math.nan
    tail = 100.0 * (1.0 - confidence) / 2.0
    low, high = np.percentile(replicas, [tail, 100.0 - tail])
    return float(low), float(high)


def probability_beats(replicas_a, replicas_b, higher_is_better: bool = True) -> float:
    """P(A beats B): the fraction of paired replicas where A scores better (ties count half)."""
    a = np.asarray(replicas_a, dtype=np.float64)
    b = np.asarray(replicas_b, dtype=np.float64)
    if a.shape != b.shape or not a.size:
        raise ValueError(
            f"paired replicas must have the same non-zero length, got {a.size} and {b.size}"
        )
    better = (a > b) if higher_is_better else (a < b)
    return float(np.mean(better + 0.5 * (a == b)))


def ams_replicas(
    signal,
    selected,
    weights,
    totals: tuple[float, float],
    seed: int,
    n_replicas: int,
    stream: int = 0,
    b_reg: float = 10.0,
) -> np.ndarray:
    """Replicas of the AMS of one subset, weights renormalised per class within each replica.

    ``signal``, ``selected`` and raw ``weights`` (events) are the subset's rows in solution
    order; ``totals`` = (signal, background) are the class totals the weights are scaled to.
    """
    signal = np.asarray(signal, dtype=bool)
    selected = np.asarray(selected, dtype=bool)
    weights = np.asarray(weights, dtype=np.float64)
    signal_weight = np.where(signal, weights, 0.0)
    background_weight = weights - signal_weight
    columns = np.column_stack(
        [signal_weight * selected, signal_weight, background_weight * selected, background_weight]
    )
    sums = replica_sums(columns, seed, n_replicas, stream)
    s = totals[0] * ratio(sums[:, 0], sums[:, 1], 0.0)
    b = totals[1] * ratio(sums[:, 2], sums[:, 3], 0.0)
    return ams(s, b, b_reg)


@numba.njit(cache=True, nogil=True)
def _replica_auc(positive, tie_start, rows, seed, stream, n_replicas):
    """ROC AUC per replica over rows sorted by increasing score; ties share half credit."""
    out = np.empty(n_replicas)
    for r in range(n_replicas):
        key = _replica_key(seed, stream, r)
        negatives_below = 0.0
        pairs = 0.0
        tie_positives = 0.0
        tie_negatives = 0.0
        total_positives = 0.0
        for j in range(rows.size):
            if tie_start[j]:
                pairs += tie_positives * (negatives_below + 0.5 * tie_negatives)
                negatives_below += tie_negatives
                total_positives += tie_positives
                tie_positives = 0.0
                tie_negatives = 0.0
            count = _row_count(key, rows[j])
            if positive[j]:
                tie_positives += count
            else:
                tie_negatives += count
        pairs += tie_positives * (negatives_below + 0.5 * tie_negatives)
        total_positives += tie_positives
        total_negatives = negatives_below + tie_negatives
        out[r] = (
            pairs / (total_positives * total_negatives)
            if total_positives * total_negatives > 0
            else np.nan
        )
    return out


def auc_replicas(scores, positive, seed: int, n_replicas: int, stream: int = 0) -> np.ndarray:
    """Replicas of the ROC AUC of ``scores`` for the truth ``positive`` (rows in solution order).

    A replica without both classes gets the AUC of the full sample.
    """
    scores = np.asarray(scores, dtype=np.float64)
    positive = np.asarray(positive, dtype=bool)
    order = np.argsort(scores, kind="stable")
    ordered = scores[order]
    tie_start = np.append(True, ordered[1:] != ordered[:-1])
    replicas = _replica_auc(
        frozen(positive[order], np.bool_),
        frozen(tie_start, np.bool_),
        frozen(order, np.int64),
        np.uint64(seed),
        np.uint64(stream),
        int(n_replicas),
    )
    undefined = np.isnan(replicas)
    if undefined.any():
        replicas[undefined] = roc_auc(scores, positive)
    return replicas


def roc_auc(scores, positive) -> float:
    """ROC AUC as the Mann-Whitney statistic with average ranks for ties (NaN without both classes)."""
    positive = np.asarray(positive, dtype=bool)
    n_pos = int(positive.sum())
    n_neg = positive.size - n_pos
    if not n_pos or not n_neg:
        return math.nan
    ranks = pd.Series(np.asarray(scores, dtype=np.float64)).rank(method="average").to_numpy()
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))

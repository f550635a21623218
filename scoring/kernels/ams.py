"""HiggsML approximate median significance (AMS).

    AMS = sqrt(2 * ((s + b + b_reg) * ln(1 + s / (b + b_reg)) - s)),  b_reg = 10

s and b are the sums of the event weights of true signal and true background events that a
submission selects (labels ``s``). Weights are in expected events for the integrated
luminosity of the dataset, so s and b are event counts, and the AMS is a significance in
standard deviations.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numba
import numpy as np
import pandas as pd

from fivesigma.scoring.kernels.frozen import frozen
from fivesigma.scoring.subsets import subset_masks
from fivesigma.scoring.validation import match_ids

B_REG = 10.0


def ams(s, b, b_reg: float = B_REG):
    """AMS of a selection with signal weight ``s`` and background weight ``b`` (events).

    Scalars give a float computed exactly as the official formula (``math.log``); arrays give
    an array. A negative radicand from rounding (s much smaller than b) gives 0.
    """
    if np.ndim(s) == 0 and np.ndim(b) == 0:
        s, b = float(s), float(b)
        radicand = 2.0 * ((s + b + b_reg) * math.log(1.0 + s / (b + b_reg)) - s)
        return math.sqrt(radicand) if radicand > 0.0 else 0.0
    s, b = np.broadcast_arrays(np.asarray(s, dtype=np.float64), np.asarray(b, dtype=np.float64))
    values = _ams_values(frozen(s.ravel(), np.float64), frozen(b.ravel(), np.float64), float(b_reg))
    return values.reshape(s.shape)


@numba.njit(cache=True, nogil=True)
def _ams_values(s, b, b_reg):
    """The AMS formula element by element (one pass, no temporaries)."""
    out = np.empty(s.size)
    for k in range(s.size):
        radicand = 2.0 * ((s[k] + b[k] + b_reg) * np.log(1.0 + s[k] / (b[k] + b_reg)) - s[k])
        out[k] = np.sqrt(radicand) if radicand > 0.0 else 0.0
    return out


def is_signal(labels) -> np.ndarray:
    """Boolean array: True for signal. Accepts ``s``/``b`` strings, booleans or 1/0."""
    values = np.asarray(labels)
    if values.dtype.kind in "OUS":
        return values == "s"
    return values.astype(bool)


def class_normalised_weights(
    weights, signal, subset, totals: tuple[float, float] | None = None
) -> np.ndarray:
    """Weights of the ``subset`` rows rescaled per class, as the official ``KaggleWeight``.

    Within the subset, signal weights are scaled to sum to the signal total and background
    weights to the background total. ``totals`` = (signal, background) defaults to the sums
    over all rows given. Rows outside the subset get weight 0.
    """
    weights = np.asarray(weights, dtype=np.float64)
    signal = np.asarray(signal, dtype=bool)
    subset = np.asarray(subset, dtype=bool)
    if totals is None:
        totals = (weights[signal].sum(), weights[~signal].sum())
    scaled = np.zeros_like(weights)
    for members, total in ((subset & signal, totals[0]), (subset & ~signal, totals[1])):
        in_subset = weights[members].sum()
        if in_subset > 0:
            scaled[members] = weights[members] * (total / in_subset)
    return scaled


class SelectionAms(NamedTuple):
    """AMS of a labelled selection with the s and b (weighted events) that enter it."""

    ams: float
    s: float
    b: float


def selection_ams(signal, selected, weights, b_reg: float = B_REG) -> SelectionAms:
    """AMS of the events ``selected`` given their truth ``signal`` flags and ``weights``."""
    signal = np.asarray(signal, dtype=bool)
    selected = np.asarray(selected, dtype=bool)
    weights = np.asarray(weights, dtype=np.float64)
    s = float(weights[selected & signal].sum())
    b = float(weights[selected & ~signal].sum())
    return SelectionAms(ams(s, b, b_reg), s, b)


def score_submission(
    solution: pd.DataFrame,
    submission: pd.DataFrame,
    totals: tuple[float, float] | None = None,
    b_reg: float = B_REG,
) -> dict[str, float]:
    """Public and private AMS of a submission: ``{"public": float, "private": float}``.

    ``solution``: EventId, Label (s/b), Weight and Usage (Public/Private) or KaggleSet (b/v).
    ``submission``: EventId, RankOrder, Class (s/b); only Class enters the AMS. Weights are
    renormalised per class within each subset (to ``totals``, by default the class sums over
    the whole solution). Raises :class:`~scoring.validation.SubmissionError` when event ids
    do not match.
    """
    signal = is_signal(solution["Label"].to_numpy())
    weights = solution["Weight"].to_numpy(dtype=np.float64)
    masks = subset_masks(solution)
    ids = solution["EventId"].to_numpy()
    positions = match_ids(
        ids[masks["public"] | masks["private"]], submission["EventId"].to_numpy(), ids, "event"
    )
    selected = np.zeros(len(solution), dtype=bool)
    selected[masks["public"] | masks["private"]] = submission["Class"].to_numpy()[positions] == "s"
    if totals is None:
        totals = (weights[signal].sum(), weights[~signal].sum())
    return {
        name: selection_ams(
            signal, selected & mask, class_normalised_weights(weights, signal, mask, totals), b_reg
        ).ams
        for name, mask in masks.items()
    }


class AmsCurve(NamedTuple):
    """AMS when selecting every event scoring at least ``threshold`` (arrays, best-first)."""

    threshold: np.ndarray
    n_selected: np.ndarray
    s: np.ndarray
    b: np.ndarray
    ams: np.ndarray


def ams_curve(labels, weights, scores, b_reg: float = B_REG) -> AmsCurve:
    """AMS as a function of the selection threshold on ``scores`` (higher = more signal-like).

    One sort by decreasing score (none for a RankOrder, a permutation of 1..n) and one
    cumulative pass: entry k selects the events whose score is at least ``threshold[k]``;
    tied scores enter together. ``labels`` as in :func:`is_signal`, ``weights`` in events.
    """
    scores = np.asarray(scores)
    order, tied = _descending_order(scores)
    s, b = _running_sums(order, frozen(is_signal(labels), np.bool_), frozen(weights, np.float64))
    ordered = scores[order]
    if not tied:
        return AmsCurve(ordered, np.arange(1, order.size + 1), s, b, ams(s, b, b_reg))
    kept = np.flatnonzero(np.append(ordered[1:] != ordered[:-1], True))  # last of each tie
    s, b = s[kept], b[kept]
    return AmsCurve(ordered[kept], kept + 1, s, b, ams(s, b, b_reg))


@numba.njit(cache=True, nogil=True)
def _running_sums(order, signal, weights):
    """Cumulative signal and background weight along ``order``."""
    n = order.size
    s_sum = np.empty(n)
    b_sum = np.empty(n)
    s = 0.0
    b = 0.0
    for k in range(n):
        i = order[k]
        if signal[i]:
            s += weights[i]
        else:
            b += weights[i]
        s_sum[k] = s
        b_sum[k] = b
    return s_sum, b_sum


@numba.njit(cache=True, nogil=True)
def _rank_order(ranks):
    """Positions by decreasing rank when ``ranks`` is a permutation of 1..n, and whether it is."""
    n = ranks.size
    order = np.full(n, -1, dtype=np.int64)
    for i in range(n):
        position = n - ranks[i]
        if position < 0 or position >= n or order[position] >= 0:
            return order, False
        order[position] = i
    return order, True


def _descending_order(scores: np.ndarray) -> tuple[np.ndarray, bool]:
    """Indices by decreasing score (read-only) and whether ties are possible.

    O(n) when the scores are a RankOrder (a permutation of 1..n, hence no ties).
    """
    if scores.dtype.kind in "iu" and scores.size:
        order, is_permutation = _rank_order(frozen(scores, np.int64))
        if is_permutation:
            return frozen(order, np.int64), False
    return frozen(np.argsort(scores)[::-1], np.int64), True

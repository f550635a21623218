"""Cross-validation of a HiggsML baseline, scored as the challenge scores.

The training file is dealt into K stratified folds; K models each train on all folds but
one and score the held-out one, so every training event gets an out-of-fold score. The
held-out events' weights are renormalised per class to the class totals of the whole
training file (what the official KaggleWeight does for the public and private subsets),
so an AMS is on the leaderboard's scale whatever the number of events.

The cut of a trained method is a share of the events: those scoring highest are called
signal. The share is chosen on out-of-fold scores and applied to other events, never to
the ones it was chosen on:

- the AMS of fold k is measured at the share chosen on the other folds' out-of-fold
  scores, so the validation AMS is that of events that chose neither the model nor the
  cut, the situation of the hidden test set;
- the submission's share is chosen on all out-of-fold scores and applied to the test
  events, ranked by the mean score of the K models.

Choosing the share maximises the AMS averaged over nearby cuts (those selecting within 1%
of the events as many events) minus one standard deviation of its estimate. Both guard
against a cut that looks best by chance: the raw maximum of the AMS curve often isolates a
few percent of the events where the sample happens to hold little background, and on a
small sample (a few thousand events, each background event weighing a hundred or more) a
handful of background events decides the AMS of a tight cut.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from fivesigma.baselines.higgsml.event_loading import Events
from fivesigma.baselines.higgsml.methods import make_method
from fivesigma.scoring.kernels.ams import (
    AmsCurve,
    ams_curve,
    class_normalised_weights,
    selection_ams,
)

SMOOTHING = 0.01  # half-width of the AMS averaging window, as a fraction of the events
CUT_CONFIDENCE = 1.0  # standard deviations of the AMS estimate subtracted before maximising


def renormalise(
    labels: np.ndarray, weights: np.ndarray, class_totals: tuple[float, float]
) -> np.ndarray:
    """Weights rescaled so signal sums to ``class_totals[0]`` and background to ``class_totals[1]``."""
    return class_normalised_weights(
        weights, labels == 1, np.ones(len(labels), dtype=bool), class_totals
    )


def smoothed_ams(curve: AmsCurve, half_width: float) -> np.ndarray:
    """The AMS of each cut of ``curve`` averaged over the cuts selecting a number of events
    within ``half_width`` of its own (``curve.n_selected`` rises along the curve)."""
    selected = curve.n_selected
    cumulative = np.concatenate([[0.0], np.cumsum(curve.ams)])
    low = np.searchsorted(selected, selected - half_width, side="left")
    high = np.searchsorted(selected, selected + half_width, side="right")
    return (cumulative[high] - cumulative[low]) / (high - low)


def ams_lower_bound(
    ams: np.ndarray, n_signal: np.ndarray, n_background: np.ndarray, confidence: float
) -> np.ndarray:
    """AMS minus ``confidence`` standard deviations of its estimate from the selected events.

    With AMS about s / sqrt(b), and s and b sums of ``n_signal`` and ``n_background``
    events of similar weight, the relative variance of the AMS is about
    1 / n_signal + 1 / (4 n_background).
    """
    n_signal, n_background = np.maximum(n_signal, 1), np.maximum(n_background, 1)
    return ams * (1.0 - confidence * np.sqrt(1.0 / n_signal + 0.25 / n_background))


class Cut(NamedTuple):
    """A cut on a discriminant: ``score > threshold`` selects ``fraction`` of the events."""

    threshold: float
    fraction: float


def best_cut(
    labels: np.ndarray,
    weights: np.ndarray,
    scores: np.ndarray,
    smoothing: float = SMOOTHING,
    confidence: float = CUT_CONFIDENCE,
) -> Cut:
    """The cut on ``scores`` maximising the AMS of the events scoring above it.

    The AMS is computed for every distinct score in one sort (``scoring.kernels.ams.ams_curve``),
    lowered by ``confidence`` standard deviations (:func:`ams_lower_bound`) and averaged
    over the cuts whose number of selected events differs from its own by at most
    ``smoothing`` times the number of events (``smoothing=0, confidence=0``: the plain
    maximum). The threshold lies halfway between the lowest selected score and the next
    lower one, so that "score > threshold" selects exactly the chosen set.
    """
    curve = ams_curve(labels, weights, scores)
    background = ams_curve(labels, (np.asarray(labels) != 1).astype(np.float64), scores).b
    bound = ams_lower_bound(curve.ams, curve.n_selected - background, background, confidence)
    best = int(np.argmax(smoothed_ams(curve._replace(ams=bound), smoothing * len(scores))))
    fraction = float(curve.n_selected[best] / len(scores))
    if best + 1 == len(curve.threshold):  # selecting every event is best
        return Cut(float(curve.threshold[best]) - 1.0, fraction)
    return Cut(float((curve.threshold[best] + curve.threshold[best + 1]) / 2), fraction)


def top_fraction_threshold(scores: np.ndarray, fraction: float) -> float:
    """The threshold for which "score > threshold" selects the ``fraction`` of events with
    the highest scores (rounded to whole events; tied scores go in or out together)."""
    ordered = np.sort(np.asarray(scores, dtype=np.float64))[::-1]
    k = int(round(fraction * len(ordered)))
    if k <= 0:
        return float(ordered[0])
    if k >= len(ordered):
        return float(ordered[-1]) - 1.0
    return float((ordered[k - 1] + ordered[k]) / 2)


def fold_rows(labels: np.ndarray, n_folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(training rows, validation rows) of a stratified K-fold split of the events.

    The events of each class are shuffled (``seed``) and dealt in turn to the folds, so
    every fold holds the same share of signal, to within one event.
    """
    if n_folds < 2:
        raise ValueError(f"cross-validation needs at least 2 folds, got {n_folds}")
    rng = np.random.default_rng(seed)
    fold = np.empty(len(labels), dtype=np.int64)
    for cls in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == cls))
        fold[members] = np.arange(len(members)) % n_folds
    rows = np.arange(len(labels))
    return [(rows[fold != k], rows[fold == k]) for k in range(n_folds)]


@dataclass
class CrossValidation:
    """The K fitted models of a cross-validation and what they measured."""

    models: list  # one per fold, each trained without its fold
    fold_ams: list[float]  # AMS of each held-out fold at a cut chosen without it
    cut: Cut  # chosen on all out-of-fold scores (the method's own cut for the window)
    fixed_threshold: float | None  # the method's own cut, None for trained methods

    def decision(self, features) -> np.ndarray:
        """The mean discriminant of the K models."""
        return np.mean([model.decision(features) for model in self.models], axis=0)

    def test_threshold(self, scores: np.ndarray) -> float:
        """The cut on the test events' mean discriminant ``scores``: the method's own, or
        the share of events chosen on the training events."""
        if self.fixed_threshold is not None:
            return self.fixed_threshold
        return top_fraction_threshold(scores, self.cut.fraction)


def cross_validate(
    method_name: str, events: Events, n_folds: int, seed: int, threads: int = 1
) -> CrossValidation:
    """Train ``method_name`` on each K-1 folds of ``events`` and measure it on the K-th.

    A method with its own fixed cut (the mass window) keeps it; for the others the share
    of events called signal is chosen as the module docstring describes.
    """
    labels, event_weights = events.truth()
    folds = fold_rows(labels, n_folds, seed)
    scores, models = np.empty(len(labels)), []
    for train_rows, val_rows in folds:
        train = events.subset(train_rows)
        models.append(make_method(method_name, seed, threads).fit(train.features, *train.truth()))
        scores[val_rows] = models[-1].decision(events.subset(val_rows).features)
    totals = events.class_totals()
    fixed = models[0].fixed_threshold
    fold_ams = []
    for train_rows, val_rows in folds:
        if fixed is None:
            chosen = best_cut(
                labels[train_rows],
                renormalise(labels[train_rows], event_weights[train_rows], totals),
                scores[train_rows],
            )
            threshold = top_fraction_threshold(scores[val_rows], chosen.fraction)
        else:
            threshold = fixed
        weights = renormalise(labels[val_rows], event_weights[val_rows], totals)
        selected = scores[val_rows] > threshold
        fold_ams.append(selection_ams(labels[val_rows] == 1, selected, weights).ams)
    if fixed is None:
        cut = best_cut(labels, renormalise(labels, event_weights, totals), scores)
    else:
        cut = Cut(fixed, float(np.mean(scores > fixed)))
    return CrossValidation(models, fold_ams, cut, fixed)

"""The two reference models: a classifier score histogram fitted for mu, without or with the
nuisance parameters.

``Model(profiled=False)`` (statistics only): a gradient-boosted classifier trained on half of
the training set; the other half fills the score histogram of the signal and of each
background at nominal values; each pseudo-experiment's histogram is fitted for mu alone.

``Model(profiled=True)``: the same histogram with every nuisance of
:data:`datasets.higgsml.systematics.NUISANCES` as a constrained parameter: the template half
is measured again at shifted ``tes``, ``jes`` (-1 and +1 sigma) and ``soft_met`` (+1 and +2
prior widths) with :func:`systematics.apply_systematics` and scored again, which gives each
bin's quadratic response; ``bkg_scale``, ``ttbar_scale`` and ``diboson_scale`` scale the
background templates. The interval is the profile-likelihood one.

Both follow the interface of a code submission: ``fit(train)`` once with the training table
(30 features, ``Weight``, ``Label``, ``Process``), then ``predict(events)`` per
pseudo-experiment (30 features) returning ``mu_hat``, ``delta_mu_hat``, ``p16``, ``p84``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier

from fivesigma.baselines.higgsml_uncertainty.likelihood import BinnedModel, Norm, Shape, measure
from fivesigma.datasets.higgsml.features import FEATURES
from fivesigma.datasets.higgsml.systematics import NUISANCES, apply_systematics

BINS = 12
BACKGROUNDS = ("Ztautau", "Wjets", "ttbar", "diboson")
SHIFTS = {"tes": (-1.0, 1.0), "jes": (-1.0, 1.0), "soft_met": (1.0, 2.0)}  # in prior widths
NORMS = {"bkg_scale": BACKGROUNDS, "ttbar_scale": ("ttbar",), "diboson_scale": ("diboson",)}
ALPHA_BOUNDS = {"soft_met": (0.0, 5.0), "diboson_scale": (-4.0, 4.0)}  # else (-5, 5)


class Model:
    """A classifier-score histogram fit of mu (see the module notes)."""

    def __init__(self, profiled: bool = True, seed: int = 0, bins: int = BINS):
        self.profiled, self.seed, self.bins = profiled, seed, bins

    def fit(self, train: pd.DataFrame) -> Model:
        half = np.random.default_rng(self.seed).random(len(train)) < 0.5
        learn, templates = train[half], train[~half]
        self.classifier = train_classifier(learn, self.seed)
        share = templates["Weight"].groupby(templates["Label"]).sum()
        total = train["Weight"].groupby(train["Label"]).sum()
        templates = templates.assign(  # the half stands for the whole expected yield
            Weight=templates["Weight"] * templates["Label"].map(total / share)
        )
        signal_scores = self.score(templates[templates["Label"] == "s"])
        signal_weight = templates.loc[templates["Label"] == "s", "Weight"].to_numpy()
        self.edges = weighted_quantiles(signal_scores, signal_weight, self.bins)
        nominal = self.histograms(templates)
        shapes = {}
        if self.profiled:
            for name, points in SHIFTS.items():
                ratios = []
                for alpha in points:
                    value = NUISANCES[name].nominal + alpha * NUISANCES[name].sigma
                    shifted = apply_systematics(templates, **{name: value}, seed=self.seed)
                    ratios.append(pooled_response(self.histograms(shifted), nominal))
                shapes[name] = Shape.through(points, np.array(ratios))
        groups = ("signal", *BACKGROUNDS)
        norms = {
            name: Norm(NUISANCES[name].sigma, np.isin(groups, members))
            for name, members in NORMS.items()
            if self.profiled
        }
        bounds = {name: ALPHA_BOUNDS.get(name, (-5.0, 5.0)) for name in [*shapes, *norms]}
        self.likelihood = BinnedModel(nominal, shapes, norms, bounds)
        return self

    def score(self, events: pd.DataFrame) -> np.ndarray:
        """Classifier signal probability of each event."""
        return self.classifier.predict_proba(events[list(FEATURES)].to_numpy())[:, 1]

    def histograms(self, table: pd.DataFrame) -> np.ndarray:
        """(signal + 4 backgrounds, bins) sums of ``Weight`` per score bin."""
        index = self.bin_index(self.score(table))
        weight, process, label = (table[c].to_numpy() for c in ("Weight", "Process", "Label"))
        out = np.zeros((1 + len(BACKGROUNDS), self.bins))
        masks = [label == "s", *(process == name for name in BACKGROUNDS)]
        for g, mask in enumerate(masks):
            out[g] = np.bincount(index[mask], weight[mask], minlength=self.bins)
        return out

    def bin_index(self, scores: np.ndarray) -> np.ndarray:
        return np.clip(np.searchsorted(self.edges, scores, side="right") - 1, 0, self.bins - 1)

    def observed(self, events: pd.DataFrame) -> np.ndarray:
        """The events of one pseudo-experiment counted in the score bins."""
        return np.bincount(self.bin_index(self.score(events)), minlength=self.bins)

    def predict(self, events: pd.DataFrame) -> dict[str, float]:
        result = measure(self.likelihood, self.observed(events))
        return {
            "mu_hat": result.mu_hat,
            "delta_mu_hat": result.delta_mu_hat,
            "p16": result.p16,
            "p84": result.p84,
        }


def pooled_response(shifted: np.ndarray, nominal: np.ndarray) -> np.ndarray:
    """Shifted over nominal histograms per bin: the signal's own, and the summed
    backgrounds' for every background (their sum has the Monte Carlo statistics to show a
    1% scale change; the processes' own scales are the normalisation nuisances)."""
    pool = np.array([[1] + [0] * len(BACKGROUNDS), [0] + [1] * len(BACKGROUNDS)])
    ratio = (pool @ shifted) / np.maximum(pool @ nominal, 1e-12)
    return ratio[[0] + [1] * len(BACKGROUNDS)]


def train_classifier(train: pd.DataFrame, seed: int) -> HistGradientBoostingClassifier:
    """Gradient-boosted trees on the 30 features, classes balanced by weight."""
    label = (train["Label"] == "s").to_numpy()
    weight = train["Weight"].to_numpy()
    weight = np.where(label, weight / weight[label].sum(), weight / weight[~label].sum())
    classifier = HistGradientBoostingClassifier(
        max_iter=100, learning_rate=0.15, max_leaf_nodes=31, random_state=seed
    )
    return classifier.fit(
        train[list(FEATURES)].to_numpy(), label, sample_weight=weight * len(train)
    )


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, bins: int) -> np.ndarray:
    """``bins + 1`` edges from 0 to 1 holding equal shares of the weight of ``values``."""
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order]) / weights.sum()
    inner = np.interp(np.arange(1, bins) / bins, cumulative, values[order])
    return np.concatenate([[0.0], inner, [1.0]])

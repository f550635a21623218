"""The three HiggsML reference discriminants: mass window, boosted decision trees, XGBoost.

Trained methods use one CPU thread unless told otherwise: a run then takes the same time
on a busy machine as on an idle one, where several threads fighting other jobs for cores
can be many times slower. Each method maps the 30 event features (GeV, radians, -999.0 where undefined) to one
discriminant value per event, larger meaning more signal-like. ``fit`` takes the features,
the truth (1 = signal H -> tau tau, 0 = background) and the physics event weights.
``fixed_threshold`` is the cut above which an event is called signal when the method
defines one itself (the mass window); otherwise it is ``None`` and the cut is chosen to
maximise the AMS on validation data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

UNDEFINED = -999.0  # the official marker of a quantity that is not defined for an event
HIGGS_MASS = 125.0  # GeV
WINDOW_HALF_WIDTH = 22.0  # GeV, the published simple-window benchmark


def balanced_weights(labels: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Event weights rescaled so both classes have the same sum, and all sum to the event count.

    The physics weights of signal are about 600 times smaller than those of background;
    training on them directly would teach a classifier to ignore signal. Rescaling keeps the
    shape within each class and gives the weights a mean of one, so tree hyper-parameters
    such as the minimum child weight keep their usual meaning.
    """
    labels = np.asarray(labels)
    weights = np.asarray(weights, dtype=np.float64)
    out = np.empty_like(weights)
    for cls in (0, 1):
        members = labels == cls
        out[members] = weights[members] * (0.5 * len(weights) / weights[members].sum())
    return out


class MassWindow:
    """Signal if |DER_mass_MMC - 125 GeV| < 22 GeV: the published simple-window benchmark.

    Discriminant: -|DER_mass_MMC - 125| in GeV, so the fixed cut is -22 GeV. Events with
    an undefined mass (-999.0) lie far outside the window.
    """

    name = "window"
    fixed_threshold = -WINDOW_HALF_WIDTH

    def fit(self, features: pd.DataFrame, labels: np.ndarray, weights: np.ndarray) -> MassWindow:
        return self

    def decision(self, features: pd.DataFrame) -> np.ndarray:
        mass = features["DER_mass_MMC"].to_numpy(dtype=np.float64)
        return -np.abs(mass - HIGGS_MASS)


class BoostedDecisionTrees:
    """Boosted decision trees with the settings of the TMVA benchmark.

    Shallow trees (depth 3), a few hundred of them, AdaBoost-like shrinkage; -999.0 is kept
    as an ordinary value, as TMVA saw it. Trained with class-balanced weights. Discriminant:
    the signal probability.
    """

    name = "bdt"
    fixed_threshold = None

    def __init__(
        self,
        seed: int = 0,
        threads: int = 1,
        n_trees: int = 400,
        max_depth: int = 3,
        learning_rate: float = 0.1,
    ):
        from sklearn.ensemble import HistGradientBoostingClassifier

        self.threads = threads
        self.model = HistGradientBoostingClassifier(
            max_iter=n_trees,
            max_depth=max_depth,
            learning_rate=learning_rate,
            early_stopping=False,
            random_state=seed,
        )

    def fit(
        self, features: pd.DataFrame, labels: np.ndarray, weights: np.ndarray
    ) -> BoostedDecisionTrees:
        with threadpool_limits(self.threads, user_api="openmp"):
            self.model.fit(
                features.to_numpy(np.float64),
                labels,
                sample_weight=balanced_weights(labels, weights),
            )
        return self

    def decision(self, features: pd.DataFrame) -> np.ndarray:
        with threadpool_limits(self.threads, user_api="openmp"):
            return self.model.predict_proba(features.to_numpy(np.float64))[:, 1]


class XGBoost:
    """XGBoost gradient boosting with -999.0 treated as missing and class-balanced weights.

    Deeper trees (depth 6) than the BDT, as in the XGBoost demo of the challenge.
    Discriminant: the signal probability.
    """

    name = "xgboost"
    fixed_threshold = None

    def __init__(
        self,
        seed: int = 0,
        threads: int = 1,
        n_trees: int = 300,
        max_depth: int = 6,
        learning_rate: float = 0.1,
    ):
        from xgboost import XGBClassifier

        self.model = XGBClassifier(
            n_estimators=n_trees,
            max_depth=max_depth,
            learning_rate=learning_rate,
            missing=UNDEFINED,
            tree_method="hist",
            n_jobs=threads,
            random_state=seed,
        )

    def fit(self, features: pd.DataFrame, labels: np.ndarray, weights: np.ndarray) -> XGBoost:
        self.model.fit(
            features.to_numpy(np.float64), labels, sample_weight=balanced_weights(labels, weights)
        )
        return self

    def decision(self, features: pd.DataFrame) -> np.ndarray:
        return self.model.predict_proba(features.to_numpy(np.float64))[:, 1]


METHODS: dict[str, type[MassWindow] | type[BoostedDecisionTrees] | type[XGBoost]] = {
    cls.name: cls for cls in (MassWindow, BoostedDecisionTrees, XGBoost)
}


def check_method(name: str) -> None:
    """Raise a clear error unless ``name`` is one of the baselines."""
    if name not in METHODS:
        raise ValueError(f"unknown HiggsML baseline {name!r}; choose one of {', '.join(METHODS)}")


def make_method(name: str, seed: int = 0, threads: int = 1):
    """A fresh, unfitted instance of the method called ``name`` (window, bdt, xgboost).

    ``threads``: CPU threads the trained methods may use.
    """
    check_method(name)
    cls = METHODS[name]
    return cls() if issubclass(cls, MassWindow) else cls(seed=seed, threads=threads)

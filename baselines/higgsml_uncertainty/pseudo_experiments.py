"""Train a reference model once and measure mu in every pseudo-experiment of a data folder."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from fivesigma.baselines.higgsml_uncertainty.model import Model
from fivesigma.datasets.higgsml.uncertainty import FILE_NAMES

METHODS = {"stats": False, "profiled": True}  # method name: profiled
PREDICTION_COLUMNS = ("pseudo_experiment", "mu_hat", "delta_mu_hat", "p16", "p84")


def predict_all(model, test: pd.DataFrame) -> pd.DataFrame:
    """``model.predict`` on each pseudo-experiment of ``test`` (rows grouped by
    ``pseudo_experiment``); one row per pseudo-experiment."""
    rows = []
    for number, events in test.groupby("pseudo_experiment", sort=True):
        rows.append(
            {"pseudo_experiment": number, **model.predict(events.drop(columns="pseudo_experiment"))}
        )
    return pd.DataFrame(rows, columns=list(PREDICTION_COLUMNS))


def run(method: str, data_dir=None, out_path=None, seed: int = 0, *, train=None, test=None):
    """Fit ``method`` (``stats`` or ``profiled``) on the training file, predict every
    pseudo-experiment of the test file; written to ``out_path`` when given. The files are
    ``data_dir/train.csv`` and ``data_dir/test.csv`` unless ``train`` or ``test`` name them."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {sorted(METHODS)}")
    if data_dir is None and (train is None or test is None):
        raise ValueError("give a data folder, or both the training and the test file")
    train = Path(train) if train is not None else Path(data_dir) / FILE_NAMES["training"]
    test = Path(test) if test is not None else Path(data_dir) / FILE_NAMES["test"]
    model = Model(profiled=METHODS[method], seed=seed).fit(pd.read_csv(train))
    predictions = predict_all(model, pd.read_csv(test))
    if out_path is not None:
        predictions.to_csv(out_path, index=False)
    return predictions

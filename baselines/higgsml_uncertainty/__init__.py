"""Reference models of the HiggsML uncertainty challenge: a statistics-only and a profiled
binned likelihood fit of the signal strength mu on a classifier score.

Command line: ``python -m fivesigma.baselines.higgsml_uncertainty stats|profiled --data DIR
[--out predictions.csv] [--seed N]`` (DIR holds ``train.csv`` and ``test.csv`` of
:mod:`datasets.higgsml.uncertainty`, and optionally ``truth.csv`` to print the score). From
Python: ``Model(profiled=True).fit(train)`` then ``model.predict(events)`` per
pseudo-experiment, or ``run(method, data_dir)`` for every pseudo-experiment at once.
"""

from fivesigma.baselines.higgsml_uncertainty.model import Model
from fivesigma.baselines.higgsml_uncertainty.pseudo_experiments import METHODS, predict_all, run

__all__ = ["METHODS", "Model", "predict_all", "run"]

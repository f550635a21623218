"""HiggsML reference baselines: the simple mass window, boosted decision trees, XGBoost.

Command line: ``python -m fivesigma.baselines.higgsml window|bdt|xgboost --train training.csv
--test test.csv --out submission.csv [--cv K] [--seed N]``. From Python:
``baselines.higgsml.run(method, train_path, test_path, out_path, seed=0)``.
"""

from fivesigma.baselines.higgsml.methods import METHODS
from fivesigma.baselines.higgsml.pipeline import run

__all__ = ["METHODS", "run"]

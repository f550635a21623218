"""Generic row-wise metrics for tabular challenges: ROC AUC, log loss, accuracy.

Solution columns default to ``id``, ``target`` and ``Usage``; submission columns to ``id``
and ``prediction``; a bundle renames them with the options ``id_column``, ``target_column``
and ``prediction_column``. ROC AUC and log loss are binary: the target is 0/1 (or
true/false) and the prediction a score (AUC) or the probability of class 1 (log loss).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from fivesigma.scoring.kernels.bootstrap import auc_replicas, mean_replicas, roc_auc
from fivesigma.scoring.metric import Metric
from fivesigma.scoring.subsets import SUBSETS, subset_masks
from fivesigma.scoring.validation import float_column, match_ids, unique_ids

LOG_LOSS_CLIP = 1e-15


class TabularMetric(Metric):
    """A metric of one prediction per solution row, matched by an id column."""

    option_defaults = {
        "id_column": "id",
        "target_column": "target",
        "prediction_column": "prediction",
    }

    def __init__(self, **options):
        super().__init__(**options)
        self.id_column = self.options["id_column"]
        self.submission_columns = (self.id_column, self.options["prediction_column"])
        self.solution_columns = (self.id_column, self.options["target_column"])

    def validate_submission(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
        ids = frame[self.id_column]
        problems = []
        empty = np.flatnonzero(ids.isna().to_numpy())
        if empty.size:
            problems.append(
                f"column {self.id_column!r} has empty values in rows {', '.join(map(str, empty[:5] + 1))}"
            )
        else:
            problems += unique_ids(ids.to_numpy(), self.id_column)
        predictions, found = self.predictions(frame)
        problems += found
        if problems:
            return frame, problems
        return pd.DataFrame(
            {self.id_column: ids.to_numpy(), self.options["prediction_column"]: predictions}
        ), []

    def predictions(self, frame: pd.DataFrame) -> tuple[np.ndarray | None, list[str]]:
        return float_column(frame, self.options["prediction_column"])

    def _aligned(self, solution: pd.DataFrame, submission: pd.DataFrame):
        masks = subset_masks(solution)
        scored = masks["public"] | masks["private"]
        ids = solution[self.id_column].to_numpy()
        positions = match_ids(
            ids[scored], submission[self.id_column].to_numpy(), ids, self.id_column
        )
        predictions = np.empty(
            len(solution), dtype=submission[self.options["prediction_column"]].dtype
        )
        predictions[scored] = submission[self.options["prediction_column"]].to_numpy()[positions]
        return masks, predictions

    def check(self, solution: pd.DataFrame, submission: pd.DataFrame) -> None:
        self._aligned(solution, submission)

    def evaluate(self, solution, submission, *, n_bootstrap=1000, seed=0, **context) -> dict:
        masks, predictions = self._aligned(solution, submission)
        target = solution[self.options["target_column"]].to_numpy()
        result: dict = {"diagnostics": {}}
        for stream, subset in enumerate(SUBSETS):
            mask = masks[subset]
            score, replicas = self.subset_score(
                target[mask], predictions[mask], seed, n_bootstrap, stream
            )
            result[subset] = self.subset_result(score, replicas)
            result["diagnostics"][subset] = {"rows": int(mask.sum())}
        return result

    def subset_score(
        self, target, predictions, seed, n_bootstrap, stream
    ) -> tuple[float, np.ndarray]:
        """The score of one subset and its bootstrap replicas."""
        losses = self.row_values(target, predictions)
        if not losses.size:
            return math.nan, np.zeros(0)
        return float(losses.mean()), mean_replicas(losses, seed, n_bootstrap, stream)

    def row_values(self, target, predictions) -> np.ndarray:
        """Per-row values whose mean is the score."""
        raise NotImplementedError


def binary_target(target) -> np.ndarray:
    """Target values as booleans; ValueError unless they are 0/1 or true/false."""
    values = pd.Series(target)
    if values.dtype == bool:
        return values.to_numpy()
    numbers = pd.to_numeric(values, errors="coerce")
    if numbers.isna().any() or not numbers.isin([0, 1]).all():
        shown = values[~numbers.isin([0, 1])].astype(str).unique()[:5]
        raise ValueError(
            f"the solution's target must be 0 or 1 for this metric; found {', '.join(shown)}"
        )
    return numbers.to_numpy() == 1


class RocAucMetric(TabularMetric):
    key = "roc_auc"
    title = "Area under the ROC curve"
    higher_is_better = True
    best = 1.0
    worst = 0.0
    formula_latex = (
        r"\mathrm{AUC} = P(\hat y_{+} > \hat y_{-}) + \tfrac{1}{2} P(\hat y_{+} = \hat y_{-})"
    )
    description = "Probability that a random positive row scores above a random negative row (ties count half)."

    def subset_score(self, target, predictions, seed, n_bootstrap, stream):
        positive = binary_target(target)
        score = roc_auc(predictions, positive)
        if math.isnan(score):
            raise ValueError(
                "ROC AUC needs both classes in each leaderboard subset of the solution"
            )
        return score, auc_replicas(predictions, positive, seed, n_bootstrap, stream)


class LogLossMetric(TabularMetric):
    key = "log_loss"
    title = "Binary log loss"
    higher_is_better = False
    best = 0.0
    worst = math.inf
    formula_latex = r"-\frac{1}{N}\sum_i \left[y_i \ln p_i + (1 - y_i)\ln(1 - p_i)\right]"
    description = "Mean negative log-likelihood of the truth under the predicted probability of class 1 (clipped to [1e-15, 1 - 1e-15])."

    def predictions(self, frame):
        return float_column(frame, self.options["prediction_column"], low=0.0, high=1.0)

    def row_values(self, target, predictions):
        positive = binary_target(target)
        p = np.clip(predictions.astype(np.float64), LOG_LOSS_CLIP, 1.0 - LOG_LOSS_CLIP)
        return -np.where(positive, np.log(p), np.log1p(-p))


class AccuracyMetric(TabularMetric):
    key = "accuracy"
    title = "Accuracy"
    higher_is_better = True
    best = 1.0
    worst = 0.0
    formula_latex = r"\frac{1}{N}\sum_i \mathbf{1}[\hat y_i = y_i]"
    description = "Fraction of rows whose predicted label equals the true label."

    def predictions(self, frame):
        values = frame[self.options["prediction_column"]]
        empty = np.flatnonzero(values.isna().to_numpy())
        if empty.size:
            return None, [
                f"column {self.options['prediction_column']!r} has empty values in rows {', '.join(map(str, empty[:5] + 1))}"
            ]
        return values.to_numpy(), []

    def row_values(self, target, predictions):
        target = pd.Series(target)
        predictions = pd.Series(predictions)
        if pd.api.types.is_numeric_dtype(target) and pd.api.types.is_numeric_dtype(predictions):
            return (target.to_numpy() == predictions.to_numpy()).astype(np.float64)
        return (target.astype(str).to_numpy() == predictions.astype(str).to_numpy()).astype(
            np.float64
        )

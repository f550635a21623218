"""The HiggsML leaderboard metric: AMS of the events a submission labels as signal."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from fivesigma.scoring.kernels.ams import (
    B_REG,
    ams_curve,
    class_normalised_weights,
    is_signal,
    selection_ams,
)
from fivesigma.scoring.kernels.bootstrap import ams_replicas
from fivesigma.scoring.metric import Metric, downsample, rounded
from fivesigma.scoring.subsets import SUBSETS, subset_masks
from fivesigma.scoring.validation import (
    integer_column,
    label_column,
    match_ids,
    permutation,
    unique_ids,
)

CURVE_POINTS = 200


class AmsMetric(Metric):
    key = "ams"
    title = "Approximate median significance (AMS)"
    higher_is_better = True
    best = math.inf
    worst = 0.0
    formula_latex = r"\mathrm{AMS} = \sqrt{2\left((s + b + b_\mathrm{reg})\ln\left(1 + \frac{s}{b + b_\mathrm{reg}}\right) - s\right)},\quad b_\mathrm{reg} = 10"
    description = (
        "Approximate median significance of the events labelled `s`: *s* and *b* are the summed weights "
        "(expected events) of true signal and true background among them. Event weights are renormalised "
        "per class within each leaderboard subset. Only `Class` enters the score; `RankOrder` feeds the "
        "AMS-versus-threshold diagnostics."
    )
    submission_columns = ("EventId", "RankOrder", "Class")
    option_defaults = {
        "weight_column": "Weight",
        "signal_total": None,
        "background_total": None,
        "b_reg": B_REG,
    }

    def __init__(self, **options):
        super().__init__(**options)
        self.solution_columns = ("EventId", "Label", self.options["weight_column"])
        if (self.options["signal_total"] is None) != (self.options["background_total"] is None):
            raise ValueError("options signal_total and background_total must be given together")

    def validate_submission(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
        ids, problems = integer_column(frame, "EventId", minimum=0)
        if ids is not None:
            problems += unique_ids(ids, "EventId")
        ranks, rank_problems = integer_column(frame, "RankOrder")
        problems += rank_problems
        if ranks is not None:
            problems += permutation(ranks, "RankOrder")
        labels, label_problems = label_column(frame, "Class", ("s", "b"))
        problems += label_problems
        if problems:
            return frame, problems
        return pd.DataFrame({"EventId": ids, "RankOrder": ranks, "Class": labels}), []

    def _aligned(self, solution: pd.DataFrame, submission: pd.DataFrame):
        masks = subset_masks(solution)
        scored = masks["public"] | masks["private"]
        ids = solution["EventId"].to_numpy()
        positions = match_ids(ids[scored], submission["EventId"].to_numpy(), ids, "EventId")
        return masks, scored, positions

    def check(self, solution: pd.DataFrame, submission: pd.DataFrame) -> None:
        self._aligned(solution, submission)

    def class_totals(
        self, solution: pd.DataFrame, signal: np.ndarray, weights: np.ndarray
    ) -> tuple[float, float]:
        """(signal, background) weight totals the subsets are renormalised to."""
        if self.options["signal_total"] is not None:
            return float(self.options["signal_total"]), float(self.options["background_total"])
        return float(weights[signal].sum()), float(weights[~signal].sum())

    def evaluate(self, solution, submission, *, n_bootstrap=1000, seed=0, **context) -> dict:
        masks, scored, positions = self._aligned(solution, submission)
        signal = is_signal(solution["Label"].to_numpy())
        weights = solution[self.options["weight_column"]].to_numpy(dtype=np.float64)
        totals = self.class_totals(solution, signal, weights)
        selected = np.zeros(len(solution), dtype=bool)
        selected[scored] = submission["Class"].to_numpy()[positions] == "s"
        ranks = np.zeros(len(solution), dtype=np.int64)
        ranks[scored] = submission["RankOrder"].to_numpy()[positions]
        b_reg = float(self.options["b_reg"])
        result: dict = {"diagnostics": {}}
        for stream, subset in enumerate(SUBSETS):
            mask = masks[subset]
            scaled = class_normalised_weights(weights, signal, mask, totals)[mask]
            at_labels = selection_ams(signal[mask], selected[mask], scaled, b_reg)
            replicas = ams_replicas(
                signal[mask],
                selected[mask],
                weights[mask],
                totals,
                seed,
                n_bootstrap,
                stream,
                b_reg,
            )
            result[subset] = self.subset_result(at_labels.ams, replicas)
            result["diagnostics"][subset] = ams_diagnostics(
                signal[mask], selected[mask], scaled, ranks[mask], at_labels, b_reg
            )
        return result


def ams_diagnostics(
    signal: np.ndarray,
    selected: np.ndarray,
    weights: np.ndarray,
    ranks: np.ndarray,
    at_labels,
    b_reg: float,
) -> dict:
    """AMS versus fraction selected by RankOrder, weighted ROC curve and AUC, AMS at the labels."""
    n = signal.size
    if n == 0:
        return {"events": 0}
    curve = ams_curve(signal, weights, ranks, b_reg)
    best = int(np.argmax(curve.ams))
    picked = downsample(curve.ams.size, CURVE_POINTS, keep=best)
    signal_total = max(float(curve.s[-1]), np.finfo(float).tiny)
    background_total = max(float(curve.b[-1]), np.finfo(float).tiny)
    tpr = np.concatenate([[0.0], curve.s / signal_total])
    fpr = np.concatenate([[0.0], curve.b / background_total])
    roc_picked = downsample(tpr.size, CURVE_POINTS)
    return {
        "events": int(n),
        "at_labels": {
            "ams": at_labels.ams,
            "s": at_labels.s,
            "b": at_labels.b,
            "fraction_selected": float(selected.mean()),
        },
        "best_threshold": {
            "ams": float(curve.ams[best]),
            "fraction_selected": float(curve.n_selected[best] / n),
        },
        "ams_curve": {
            "fraction_selected": rounded(curve.n_selected[picked] / n),
            "ams": rounded(curve.ams[picked]),
        },
        "roc": {
            "fpr": rounded(fpr[roc_picked]),
            "tpr": rounded(tpr[roc_picked]),
            "auc": float(np.trapezoid(tpr, fpr)),
        },
    }

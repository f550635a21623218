"""One baseline run: read the files, cross-validate, write the submission."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from fivesigma.baselines.higgsml.cross_validation import cross_validate
from fivesigma.baselines.higgsml.event_loading import load_events
from fivesigma.baselines.higgsml.kaggle_submission import write_submission
from fivesigma.baselines.higgsml.methods import check_method

DEFAULT_FOLDS = 3


def run(
    method: str,
    train_path: str | Path,
    test_path: str | Path,
    out_path: str | Path,
    seed: int = 0,
    cv: int | None = None,
    threads: int = 1,
) -> dict:
    """Run the baseline ``method`` (window, bdt or xgboost) and write its submission.

    The training file is split into ``cv`` stratified folds (default 3); one model is
    trained per fold on the other folds, and the share of events called signal is chosen
    on out-of-fold scores (``validation.cross_validate``). The test events are scored by
    the mean discriminant of the fold models and the chosen share of them, those scoring
    highest, is labelled signal. ``threads``: CPU threads the trained methods may use.

    Returns a dict with ``method``, ``validation_ams`` (mean over the held-out folds, each
    at a cut chosen without it), ``validation_ams_std`` (sample standard deviation over the
    folds), ``fold_ams``, ``threshold`` (the cut on the mean discriminant applied to the
    test events), ``selected_fraction`` (of training events called signal out of fold),
    ``test_selected_fraction``, ``n_train``, ``n_test``, ``out_path`` and ``seconds``
    (wall-clock time of the whole run).
    """
    start = time.perf_counter()
    check_method(method)
    n_folds = DEFAULT_FOLDS if cv is None else cv
    train = load_events(train_path, with_truth=True)
    test = load_events(test_path, with_truth=False)
    validation = cross_validate(method, train, n_folds, seed, threads)
    scores = validation.decision(test.features)
    threshold = validation.test_threshold(scores)
    submission = write_submission(out_path, test.event_ids, scores, threshold)
    fold_ams = validation.fold_ams
    return {
        "method": method,
        "validation_ams": float(np.mean(fold_ams)),
        "validation_ams_std": float(np.std(fold_ams, ddof=1)),
        "fold_ams": fold_ams,
        "threshold": threshold,
        "selected_fraction": validation.cut.fraction,
        "test_selected_fraction": float((submission["Class"] == "s").mean()),
        "n_train": len(train.event_ids),
        "n_test": len(test.event_ids),
        "out_path": str(out_path),
        "seconds": time.perf_counter() - start,
    }

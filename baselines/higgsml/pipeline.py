"""One baseline run: read the files, train, validate, write the submission."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from fivesigma.baselines.higgsml.events import load_events
from fivesigma.baselines.higgsml.methods import check_method
from fivesigma.baselines.higgsml.submission import write_submission
from fivesigma.baselines.higgsml.validation import fold_rows, train_and_validate

HOLDOUT_FOLDS = 5  # without cross-validation, one fold in five (20%) is held out


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

    The method is trained on the training file minus a stratified validation fold (one
    fold of five, or the first of ``cv`` folds), its threshold is chosen on that fold, and
    that model labels the test events. With ``cv`` the other folds are trained and
    validated too, and the AMS is reported as their mean and standard deviation.
    ``threads``: CPU threads the trained methods may use.

    Returns a dict with ``method``, ``validation_ams`` (mean over folds),
    ``validation_ams_std`` (``None`` without ``cv``), ``fold_ams``, ``threshold`` (the cut
    on the method's discriminant applied to the test events), ``selected_fraction`` (of
    validation events called signal), ``test_selected_fraction``, ``n_train``, ``n_test``,
    ``out_path`` and ``seconds`` (wall-clock time of the whole run).
    """
    start = time.perf_counter()
    check_method(method)
    train = load_events(train_path, with_truth=True)
    test = load_events(test_path, with_truth=False)
    folds = fold_rows(train.labels, HOLDOUT_FOLDS if cv is None else cv, seed)
    if cv is None:
        folds = folds[:1]
    model, results = None, []
    for train_rows, val_rows in folds:
        fitted, result = train_and_validate(method, train, train_rows, val_rows, seed, threads)
        if model is None:
            model = fitted
        results.append(result)
    submission = write_submission(
        out_path, test.event_ids, model.decision(test.features), results[0].threshold
    )
    fold_ams = [r.ams for r in results]
    return {
        "method": method,
        "validation_ams": float(np.mean(fold_ams)),
        "validation_ams_std": None if cv is None else float(np.std(fold_ams, ddof=1)),
        "fold_ams": fold_ams,
        "threshold": results[0].threshold,
        "selected_fraction": results[0].selected_fraction,
        "test_selected_fraction": float((submission["Class"] == "s").mean()),
        "n_train": len(train.event_ids),
        "n_test": len(test.event_ids),
        "out_path": str(out_path),
        "seconds": time.perf_counter() - start,
    }

"""HiggsML baselines on the generated dataset: validation AMS, test AMS and runtime.

Generates the default-size dataset (818,238 events: 250,000 training, 550,000 test) once,
runs the mass window, the BDT and XGBoost through ``baselines.higgsml.run`` (three-fold
cross-validation of the training file; the test events scored by the mean of the three
fold models), and scores each submission on the hidden public and private subsets with
``scoring.kernels.ams.score_submission``, each subset's weights renormalised to the class totals
of the dataset (those of the training file), as the official KaggleWeight is. Each method
runs once: a run takes seconds to minutes, so a median over repeats would add nothing but
time. Training uses one thread, so the CPU time of a run is its time on an idle core; the
wall-clock time on a shared machine can be several times longer. Expected, as published on the real data: window (1.5) << bdt (3.2) < xgboost
(3.6-3.7), and a validation AMS that predicts the public one.

Then the small-sample situation met with the real data: 11,000 training rows, trained on
one half and scored on the other with each class renormalised to the official totals. On
the real rows the XGBoost baseline (then with its cut chosen on one validation fold) gave
2.5, a default ``XGBClassifier`` labelling its top 15% as signal 3.1. Here both run on the
same halvings of 11,000 rows of the generated training file.
"""

from __future__ import annotations

import math
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from fivesigma.baselines.higgsml import run as run_baseline
from fivesigma.datasets.higgsml import FEATURES, generate, read_events
from fivesigma.scoring.kernels.ams import score_submission

AREA = "baselines_higgsml"
SEED = 0
PUBLISHED = {"window": 1.545, "bdt": 3.250, "xgboost": 3.60}  # public AMS on the real test set
REAL_LADDER = "window 1.545, TMVA BDT 3.25, XGBoost 3.60 (demo) to 3.72 (single), winner 3.78"
SMALL_ROWS, HALVINGS = 11_000, 5
SIGNAL_TOTAL, BACKGROUND_TOTAL = 691.988607712, 410999.847322


def run(table) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        data = Path(scratch)
        generate(data, seed=SEED)
        solution = read_events(data / "solution.csv")
        training = read_events(data / "training.csv")
        signal = (training["Label"] == "s").to_numpy()
        totals = (training["Weight"][signal].sum(), training["Weight"][~signal].sum())
        results = {}
        for method in ("window", "bdt", "xgboost"):
            cpu = time.process_time()
            result = run_baseline(
                method, data / "training.csv", data / "test.csv", data / f"{method}.csv", seed=SEED
            )
            cpu = time.process_time() - cpu
            test = score_submission(solution, pd.read_csv(data / f"{method}.csv"), totals=totals)
            results[method] = (result["validation_ams"], test["public"], test["private"])
            print(
                f"{method}: validation AMS {result['validation_ams']:.3f}, public {test['public']:.3f}, "
                f"private {test['private']:.3f}, {result['seconds']:.1f} s wall, {cpu:.1f} s CPU "
                f"({result['n_train']} training events)",
                flush=True,
            )
            table.add(
                AREA,
                f"{method}: validation / public / private AMS, run time wall / CPU "
                f"({result['n_train']:,} training events, 3 folds, one thread)",
                f"{result['validation_ams']:.3f} / {test['public']:.3f} / {test['private']:.3f}, "
                f"{result['seconds']:.0f} s / {cpu:.0f} s",
                f"published public {PUBLISHED[method]}; CPU under 10 min",
                cpu < 600,
            )
        window, bdt, xgb = (results[m] for m in ("window", "bdt", "xgboost"))
        table.add(
            AREA,
            "public AMS ladder on generated data: window / bdt / xgboost",
            f"{window[1]:.3f} / {bdt[1]:.3f} / {xgb[1]:.3f}",
            f"real: {REAL_LADDER}; xgboost 3.5-3.8, window about 1.5",
            3.5 <= xgb[1] <= 3.8 and 1.4 <= window[1] <= 1.7,
        )
        for k, sample in ((0, "validation"), (2, "private test")):
            w, b, x = window[k], bdt[k], xgb[k]
            table.add(
                AREA,
                f"ordering of {sample} AMS: window << bdt < xgboost",
                f"{w:.3f} << {b:.3f} < {x:.3f}",
                "window < bdt / 1.5 and bdt < xgboost",
                w < b / 1.5 and b < x,
            )
        gap = max(abs(v - public) for v, public, _ in results.values())
        table.add(
            AREA,
            "largest |validation - public AMS| over the three methods",
            f"{gap:.3f}",
            "< 0.3 (real data, cut chosen on the validation events: 4.74 against 3.30)",
            gap < 0.3,
        )
        small_sample(table, data / "training.csv", data)


def renormalised_ams(labels: np.ndarray, weights: np.ndarray, selected: np.ndarray) -> float:
    """AMS of ``selected`` with each class's weights scaled to the official totals."""
    signal = labels == "s"
    s = weights[selected & signal].sum() * SIGNAL_TOTAL / weights[signal].sum()
    b = weights[selected & ~signal].sum() * BACKGROUND_TOTAL / weights[~signal].sum()
    return math.sqrt(2 * ((s + b + 10) * math.log(1 + s / (b + 10)) - s))


def small_sample(table, training_path: Path, scratch: Path) -> None:
    """The baseline against a default XGBClassifier with a top-15% cut on 11,000 rows."""
    from xgboost import XGBClassifier

    training = read_events(training_path)
    rows = training.iloc[np.random.default_rng(SEED).choice(len(training), SMALL_ROWS, False)]
    baseline, default = [], []
    for split in range(HALVINGS):
        order = np.random.default_rng(split).permutation(len(rows))
        train, score = rows.iloc[order[: len(rows) // 2]], rows.iloc[order[len(rows) // 2 :]]
        train.to_csv(scratch / "small-train.csv", index=False)
        score[["EventId", *FEATURES]].to_csv(scratch / "small-test.csv", index=False)
        run_baseline(
            "xgboost",
            scratch / "small-train.csv",
            scratch / "small-test.csv",
            scratch / "small.csv",
            seed=split,
        )
        submission = pd.read_csv(scratch / "small.csv").set_index("EventId")
        called = (submission.loc[score["EventId"], "Class"] == "s").to_numpy()
        labels, weights = score["Label"].to_numpy(), score["Weight"].to_numpy()
        baseline.append(renormalised_ams(labels, weights, called))
        classifier = XGBClassifier(n_jobs=1, random_state=split)
        classifier.fit(train[list(FEATURES)], (train["Label"] == "s").to_numpy())
        probability = classifier.predict_proba(score[list(FEATURES)])[:, 1]
        top = probability > np.quantile(probability, 0.85)
        default.append(renormalised_ams(labels, weights, top))
    each = ", ".join(f"{b:.2f}/{d:.2f}" for b, d in zip(baseline, default, strict=True))
    print(f"small sample, baseline/default per halving: {each}", flush=True)
    table.add(
        AREA,
        f"{SMALL_ROWS:,} training rows, half trained / half scored, mean of {HALVINGS} halvings: "
        "xgboost baseline vs default XGBClassifier top 15%",
        f"{np.mean(baseline):.3f} vs {np.mean(default):.3f} (per halving {each})",
        "baseline >= default (real rows: 2.5 vs 3.1 before, >= 3.05 wanted)",
        np.mean(baseline) >= np.mean(default),
    )

"""HiggsML baselines on the generated dataset: validation AMS, test AMS and runtime.

Generates the default-size dataset (818,238 events: 250,000 training, 550,000 test) once,
runs the mass window, the BDT and XGBoost through ``baselines.higgsml.run`` (training on
80% of the training file, cut chosen on the other 20%), and scores each submission on the
hidden public and private subsets with ``scoring.kernels.ams.score_submission``, each subset's
weights renormalised to the class totals of the dataset (those of the training file), as
the official KaggleWeight is. Each method runs once: a run takes seconds to minutes, so a median over repeats
would add nothing but time. Expected ordering, as published on the real data:
window (1.5) << bdt (3.2) < xgboost (3.6-3.7).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd

from fivesigma.baselines.higgsml import run as run_baseline
from fivesigma.datasets.higgsml import generate, read_events
from fivesigma.scoring.kernels.ams import score_submission

AREA = "baselines_higgsml"
SEED = 0
PUBLISHED = {"window": 1.545, "bdt": 3.250, "xgboost": 3.60}  # public AMS on the real test set


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
            result = run_baseline(
                method, data / "training.csv", data / "test.csv", data / f"{method}.csv", seed=SEED
            )
            test = score_submission(solution, pd.read_csv(data / f"{method}.csv"), totals=totals)
            results[method] = (result["validation_ams"], test["private"])
            print(
                f"{method}: validation AMS {result['validation_ams']:.3f}, public {test['public']:.3f}, "
                f"private {test['private']:.3f}, {result['seconds']:.1f} s ({result['n_train']} training events)",
                flush=True,
            )
            table.add(
                AREA,
                f"{method}: validation / public / private AMS, run time ({result['n_train']:,} training events)",
                f"{result['validation_ams']:.3f} / {test['public']:.3f} / {test['private']:.3f}, {result['seconds']:.0f} s",
                f"published public {PUBLISHED[method]}; under 10 min",
                result["seconds"] < 600,
            )
        for k, sample in enumerate(("validation", "private test")):
            window, bdt, xgb = (results[m][k] for m in ("window", "bdt", "xgboost"))
            table.add(
                AREA,
                f"ordering of {sample} AMS: window << bdt < xgboost",
                f"{window:.3f} << {bdt:.3f} < {xgb:.3f}",
                "window < bdt / 1.5 and bdt < xgboost",
                window < bdt / 1.5 and bdt < xgb,
            )

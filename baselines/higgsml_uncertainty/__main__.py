"""Command line: ``python -m fivesigma.baselines.higgsml_uncertainty stats|profiled --data DIR``."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from fivesigma.baselines.higgsml_uncertainty.pseudo_experiments import METHODS, run
from fivesigma.datasets.higgsml.uncertainty import FILE_NAMES
from fivesigma.scoring.metrics.interval_coverage import score_predictions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m fivesigma.baselines.higgsml_uncertainty",
        description="Measure mu with a 68%% interval in every pseudo-experiment.",
    )
    parser.add_argument("method", choices=sorted(METHODS))
    parser.add_argument("--data", required=True, help="folder with train.csv and test.csv")
    parser.add_argument("--out", default="predictions.csv", help="predictions CSV to write")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        predictions = run(args.method, args.data, args.out, args.seed)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(
        f"wrote {len(predictions)} pseudo-experiments to {args.out} in {time.perf_counter() - start:.1f} s"
    )
    truth = Path(args.data) / FILE_NAMES["truth"]
    if truth.exists():
        import pandas as pd

        print(json.dumps(score_predictions(predictions, pd.read_csv(truth)), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

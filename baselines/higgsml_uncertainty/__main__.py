"""Command line: ``python -m fivesigma.baselines.higgsml_uncertainty stats|profiled --data DIR``
(``train.csv``, ``test.csv`` and, to print the score, ``truth.csv`` in DIR), or the files
named one by one with ``--train``, ``--test`` and ``--truth``."""

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
    parser.add_argument("--data", help="folder with train.csv, test.csv (and truth.csv)")
    parser.add_argument("--train", help="training CSV (default DATA/train.csv)")
    parser.add_argument("--test", help="pseudo-experiments CSV (default DATA/test.csv)")
    parser.add_argument("--truth", help="true values, to print the score (default DATA/truth.csv)")
    parser.add_argument("--out", default="predictions.csv", help="predictions CSV to write")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.data is None and (args.train is None or args.test is None):
        parser.error("give --data DIR, or --train and --test")
    start = time.perf_counter()
    try:
        predictions = run(
            args.method, args.data, args.out, args.seed, train=args.train, test=args.test
        )
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(
        f"wrote {len(predictions)} pseudo-experiments to {args.out} in {time.perf_counter() - start:.1f} s"
    )
    truth = Path(args.truth) if args.truth else Path(args.data or ".") / FILE_NAMES["truth"]
    if args.truth or (args.data and truth.exists()):
        import pandas as pd

        try:
            scores = score_predictions(predictions, pd.read_csv(truth), where=args.out)
        except (OSError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(json.dumps(scores, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

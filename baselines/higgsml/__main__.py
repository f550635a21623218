"""Command line of the HiggsML baselines.

    python -m fivesigma.baselines.higgsml window|bdt|xgboost --train training.csv --test test.csv \\
        --out submission.csv [--cv K] [--seed N]
    python -m fivesigma.baselines.higgsml split --train training.csv --out-dir valid/ [--fraction F] [--seed N]
"""

from __future__ import annotations

import argparse
import sys

from fivesigma.baselines.higgsml.methods import METHODS
from fivesigma.baselines.higgsml.pipeline import DEFAULT_FOLDS, run
from fivesigma.baselines.higgsml.split import write_validation_split


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(
        prog="python -m fivesigma.baselines.higgsml", description=__doc__.split("\n")[0]
    )
    commands = cli.add_subparsers(dest="command", required=True)
    for name, cls in METHODS.items():
        method = commands.add_parser(name, help=(cls.__doc__ or name).split("\n")[0])
        method.add_argument(
            "--train", required=True, help="training file (Kaggle layout, with Weight and Label)"
        )
        method.add_argument("--test", required=True, help="test file (EventId and the 30 features)")
        method.add_argument("--out", required=True, help="submission CSV to write")
        method.add_argument(
            "--cv",
            type=int,
            default=DEFAULT_FOLDS,
            metavar="K",
            help=f"number of cross-validation folds (default {DEFAULT_FOLDS})",
        )
        method.add_argument("--seed", type=int, default=0)
        method.add_argument(
            "--threads", type=int, default=1, help="CPU threads to train with (default 1)"
        )
    split = commands.add_parser("split", help="hold out part of the training file to score locally")
    split.add_argument(
        "--train", required=True, help="training file (Kaggle layout, with Weight and Label)"
    )
    split.add_argument(
        "--out-dir", required=True, help="directory for training.csv, test.csv, solution.csv"
    )
    split.add_argument(
        "--fraction", type=float, default=0.2, help="fraction of events held out (default 0.2)"
    )
    split.add_argument("--seed", type=int, default=0)
    return cli


def describe(result: dict) -> str:
    """The lines printed after a run."""
    folds = ", ".join(f"{a:.3f}" for a in result["fold_ams"])
    lines = [
        f"{result['method']}: validation AMS {result['validation_ams']:.3f}"
        f" +- {result['validation_ams_std']:.3f} over {len(result['fold_ams'])} folds ({folds})"
    ]
    lines.append(
        f"threshold {result['threshold']:.6g} on the discriminant; "
        f"{100 * result['selected_fraction']:.1f}% of training (out of fold) and "
        f"{100 * result['test_selected_fraction']:.1f}% of test events called signal"
    )
    lines.append(
        f"wrote {result['out_path']} ({result['n_test']} events) in {result['seconds']:.1f} s"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.command == "split":
            paths = write_validation_split(args.train, args.out_dir, args.fraction, args.seed)
            print("wrote " + ", ".join(str(p) for p in paths))
        else:
            print(
                describe(
                    run(
                        args.command,
                        args.train,
                        args.test,
                        args.out,
                        seed=args.seed,
                        cv=args.cv,
                        threads=args.threads,
                    )
                )
            )
    except (ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Score or check a submission locally, exactly as the challenge site does.

    python -m fivesigma.scoring score METRIC --solution PATH --submission PATH [--seconds-per-event S] [--json]
    python -m fivesigma.scoring validate METRIC --submission PATH
    python -m fivesigma.scoring list

Exit status: 0 on success, 2 when the submission is invalid (the reasons are printed),
1 for any other problem (e.g. a malformed solution file).
"""

from __future__ import annotations

import argparse
import json
import sys

from fivesigma.scoring import registry
from fivesigma.scoring.validation import SubmissionError


def _option(text: str) -> tuple[str, object]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"options are KEY=VALUE, got {text!r}")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m fivesigma.scoring", description=__doc__.split("\n\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    score = commands.add_parser("score", help="public and private scores of a submission")
    validate = commands.add_parser("validate", help="check the format of a submission")
    commands.add_parser("list", help="the metrics and their columns")
    for command in (score, validate):
        command.add_argument("metric", help=f"one of {', '.join(registry.keys())}")
        command.add_argument(
            "--submission", required=True, help="submission file (.csv, .csv.gz or .zip)"
        )
        command.add_argument(
            "--option",
            type=_option,
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="metric option, as in a bundle's metric_options",
        )
    score.add_argument(
        "--solution",
        required=True,
        help="solution file with a Usage (Public/Private) or KaggleSet (b/v) column",
    )
    score.add_argument(
        "--seconds-per-event",
        type=float,
        help="mean reconstruction time per event, s (throughput metric)",
    )
    score.add_argument(
        "--bootstrap",
        type=int,
        default=1000,
        help="bootstrap replicas for the intervals (default 1000)",
    )
    score.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    score.add_argument(
        "--json",
        action="store_true",
        help="print the full result, replicas and diagnostics included, as JSON",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "list":
        for key in registry.keys():
            metric = registry.get(key)
            direction = "higher is better" if metric.higher_is_better else "lower is better"
            print(
                f"{key:11s} {metric.title} ({direction}); submission columns: {', '.join(metric.submission_columns)}"
            )
        return 0
    try:
        metric = registry.get(args.metric, **dict(args.option))
        submission = metric.read_submission(args.submission, name=args.submission)
        if args.command == "validate":
            print(f"{args.submission}: valid {metric.key} submission, {len(submission)} rows")
            return 0
        solution = metric.read_solution(args.solution)
        metric.check(solution, submission)
        context = (
            {} if args.seconds_per_event is None else {"seconds_per_event": args.seconds_per_event}
        )
        result = metric.evaluate(
            solution, submission, n_bootstrap=args.bootstrap, seed=args.seed, **context
        )
    except SubmissionError as error:
        print(f"invalid submission: {error}", file=sys.stderr)
        return 2
    except (KeyError, ValueError, OSError) as error:
        print(f"error: {str(error).strip(chr(39))}", file=sys.stderr)
        return 1
    if args.json:
        json.dump(result, sys.stdout)
        print()
        return 0
    confidence = round(100 * metric.options["confidence"])
    for subset in ("public", "private"):
        part = result[subset]
        print(
            f"{subset:8s} {metric.key} = {part['score']:.5f}   {confidence}% interval [{part['ci_low']:.5f}, {part['ci_high']:.5f}]"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Command line: ``python -m fivesigma.datasets.trackml generate --out DIR --seed N --events N``."""

from __future__ import annotations

import argparse
import sys

from fivesigma.datasets.trackml.generate import generate
from fivesigma.datasets.trackml.simulate import DEFAULT_PILEUP


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m fivesigma.datasets.trackml", description=__doc__
    )
    commands = parser.add_subparsers(dest="command", required=True)
    gen = commands.add_parser("generate", help="simulate events and write a challenge dataset")
    gen.add_argument("--out", required=True, help="output directory")
    gen.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    gen.add_argument("--events", type=int, default=10, help="training events (default 10)")
    gen.add_argument("--test-events", type=int, default=5, help="test events (default 5)")
    gen.add_argument(
        "--pileup", type=float, default=DEFAULT_PILEUP,
        help=f"mean pile-up collisions per event (default {DEFAULT_PILEUP:g})",
    )  # fmt: skip
    gen.add_argument("--first-event-id", type=int, default=1000, help="id of the first event")
    args = parser.parse_args(argv)
    try:
        written = generate(
            args.out, seed=args.seed, n_train=args.events, n_test=args.test_events,
            pileup=args.pileup, first_event_id=args.first_event_id, progress=True,
        )  # fmt: skip
    except (ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"wrote {args.out}: {len(written['train']) // 4} training and "
          f"{len(written['test']) // 2} test events, solution {written['solution']}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())

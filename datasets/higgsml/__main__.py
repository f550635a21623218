"""Command line: ``python -m fivesigma.datasets.higgsml generate --out DIR --seed N [--events N]``."""

from __future__ import annotations

import argparse
import sys
import time

from tqdm import tqdm

from fivesigma.datasets.higgsml.official_files import FILE_NAMES, generate
from fivesigma.datasets.higgsml.processes import PROCESSES
from fivesigma.datasets.higgsml.sample_weights import OFFICIAL_EVENTS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m fivesigma.datasets.higgsml",
        description="Simulate HiggsML-style H -> tau tau events in the official file layouts.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    gen = commands.add_parser("generate", help="simulate events and write the official files")
    gen.add_argument("--out", required=True, help="output directory")
    gen.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    gen.add_argument(
        "--events", type=int, default=OFFICIAL_EVENTS,
        help=f"number of events (default {OFFICIAL_EVENTS}, the official file)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.events < 1:
        parser.error("--events must be positive")

    steps = len(PROCESSES) + 2 + len(FILE_NAMES)  # one per progress message
    start = time.perf_counter()
    with tqdm(total=steps, unit="step", desc="higgsml") as bar:

        def progress(message: str) -> None:
            if bar.postfix:  # the previous step is done
                bar.update(1)
            bar.set_postfix_str(message)

        try:
            paths = generate(args.out, seed=args.seed, n_events=args.events, progress=progress)
        except OSError as exc:
            bar.close()
            print(f"error: cannot write the files in {args.out}: {exc}", file=sys.stderr)
            return 1
        bar.update(1)
    print(f"wrote {args.events} events (seed {args.seed}) in {time.perf_counter() - start:.1f} s:")
    for name, path in paths.items():
        print(f"  {name:9s} {path}  ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

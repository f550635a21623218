"""Command line: ``python -m fivesigma.baselines.trackml dbscan|seeded --input DIR --out FILE``.

Reconstructs every event of DIR (``eventNNNNNNNNN-hits.csv`` files), writes the
``event_id,hit_id,track_id`` submission and prints each event's accuracy (when a truth
file lies next to its hits) and seconds, then the means.
"""

import argparse
import sys

from fivesigma.datasets.trackml import FormatError

from .reconstruction import METHODS, run


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m fivesigma.baselines.trackml", description="TrackML reference trackers."
    )
    parser.add_argument("method", choices=METHODS)
    parser.add_argument("--input", required=True, help="directory of eventNNNNNNNNN-hits.csv files")
    parser.add_argument("--out", required=True, help="submission CSV to write")
    parser.add_argument("--events", type=int, default=None, help="only the first N events")
    args = parser.parse_args(argv)
    if args.events is not None and args.events < 1:
        parser.error("--events must be at least 1")
    try:
        summary = run(args.method, args.input, args.out, args.events, report=print)
    except (FileNotFoundError, FormatError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    line = (
        f"{args.method}: {len(summary['events'])} events, {summary['mean_seconds']:.3f} s/event"
        f" ({summary['mean_cpu_seconds']:.3f} s CPU)"
    )
    if "mean_accuracy" in summary:
        line += (
            f", mean accuracy {summary['mean_accuracy']:.4f}"
            f", throughput score {summary['throughput_score']:.4f}"
        )
    print(line)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

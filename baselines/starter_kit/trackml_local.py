"""Score TrackML runs locally as the server does: a solution from training events, and timing.

Shipped at the root of the TrackML starter kit as ``trackml_local.py``:

    python trackml_local.py solution --events data/train --out valid/solution.csv
    python trackml_local.py time --code code_submission --input data/train --out valid/code.csv

``solution`` writes the truth of events that have truth files (the training events) with
an event_id column and a Usage column (whole events Public or Private, as on the
leaderboard), the layout ``python -m fivesigma.scoring score trackml`` reads.

``time`` runs a code submission as the throughput phase does: ``Model(code_dir)`` from
``submission.py`` (not timed), then ``predict_one_event(event_id, hits, cells)`` one
event at a time, each call timed on the wall clock (seconds). The first event is a
warm-up and is not counted, as on the server. It writes ``event_id,hit_id,track_id`` and
prints the mean seconds per event for ``python -m fivesigma.scoring score throughput
--seconds-per-event``. The server times the same calls on its own machine, so its times
differ from yours by the relative speed of the two machines.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from fivesigma.datasets.trackml import list_events, read_event


def event_id(prefix: str | Path) -> int:
    """The event id of a prefix such as ``DIR/event000001000``."""
    return int(Path(prefix).name.removeprefix("event"))


def event_prefixes(directory: str | Path) -> list[str]:
    prefixes = list_events(directory)
    if not prefixes:
        raise ValueError(f"{directory}: no event files (eventNNNNNNNNN-hits.csv ...) found")
    return prefixes


def solution_frame(
    events_dir: str | Path, public_fraction: float = 0.4, seed: int = 0
) -> pd.DataFrame:
    """Truth of every event in ``events_dir``, event_id first, Usage (Public/Private) last."""
    prefixes = event_prefixes(events_dir)
    public = set(
        np.random.default_rng(seed).permutation(len(prefixes))[
            : round(public_fraction * len(prefixes))
        ]
    )
    frames = []
    for k, prefix in enumerate(prefixes):
        (truth,) = read_event(prefix, parts=("truth",))
        truth.insert(0, "event_id", event_id(prefix))
        frames.append(truth.assign(Usage="Public" if k in public else "Private"))
    return pd.concat(frames, ignore_index=True)


def load_model(code_dir: Path):
    """``Model(code_dir)`` from ``code_dir/submission.py``."""
    path = code_dir / "submission.py"
    if not path.is_file():
        raise ValueError(f"{code_dir}: no submission.py at the root of the code submission")
    sys.path.insert(0, str(code_dir))
    spec = importlib.util.spec_from_file_location("submission", path)
    if spec is None or spec.loader is None:
        raise ValueError(f"{path}: cannot be loaded as a Python module")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Model(str(code_dir))


def timed_run(code_dir: Path, input_dir: Path) -> tuple[pd.DataFrame, list[float]]:
    """The submission's track ids for every hit of every event, and each event's seconds."""
    model = load_model(code_dir)
    frames, seconds = [], []
    for prefix in event_prefixes(input_dir):
        hits, cells = read_event(prefix, parts=("hits", "cells"))
        start = time.perf_counter()
        track_id = np.asarray(model.predict_one_event(event_id(prefix), hits, cells))
        seconds.append(time.perf_counter() - start)
        if track_id.shape != (len(hits),):
            raise ValueError(
                f"{prefix}: predict_one_event returned {track_id.size} ids for {len(hits)} hits"
            )
        frames.append(
            pd.DataFrame(
                {"event_id": event_id(prefix), "hit_id": hits["hit_id"], "track_id": track_id}
            )
        )
    return pd.concat(frames, ignore_index=True), seconds


def main(argv: list[str] | None = None) -> int:
    cli = argparse.ArgumentParser(prog="trackml_local.py", description=__doc__.split("\n")[0])
    commands = cli.add_subparsers(dest="command", required=True)
    solution = commands.add_parser("solution", help="solution file from events with truth")
    solution.add_argument("--events", required=True, help="directory of events with truth files")
    solution.add_argument("--out", required=True, help="solution CSV to write")
    solution.add_argument(
        "--public-fraction", type=float, default=0.4, help="share of events that are public"
    )
    solution.add_argument("--seed", type=int, default=0)
    timing = commands.add_parser("time", help="run and time a code submission")
    timing.add_argument(
        "--code", required=True, help="unpacked code submission (holds submission.py)"
    )
    timing.add_argument("--input", required=True, help="directory of events (hits and cells files)")
    timing.add_argument("--out", required=True, help="submission CSV to write")
    args = cli.parse_args(argv)
    try:
        if args.command == "solution":
            frame = solution_frame(args.events, args.public_fraction, args.seed)
            summary = f"{frame['event_id'].nunique()} events, {len(frame)} hits"
        else:
            frame, seconds = timed_run(Path(args.code).resolve(), Path(args.input))
            timed = seconds[1:] or seconds  # the first event warms up caches and compilers
            summary = f"{len(seconds)} events; mean {np.mean(timed):.3f} s/event over {len(timed)} timed events"
    except (ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(args.out, index=False)
    print(f"wrote {args.out}: {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

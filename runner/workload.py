"""The reference workload of the calibration, run as ``python -m fivesigma.runner.workload --cpu K``.

Prints ``{"seconds": S, "cpu": K}``: the least on-CPU seconds of ``--repeats`` calls of the
seeded TrackML baseline on the fixed event, after an untimed first call (see ``calibration``).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import TypedDict

REPEATS = 5


class WorkloadEvent(TypedDict):
    event_id: int
    seed: int
    pileup: float  # mean pile-up interactions


EVENT: WorkloadEvent = {"event_id": 1000, "seed": 0, "pileup": 200.0}


def _workload_seconds(repeats: int) -> float:
    """In the child: the least on-CPU seconds of ``repeats`` calls after an untimed first call."""
    from fivesigma.baselines.trackml.seeded import reconstruct_seeded
    from fivesigma.datasets.trackml.simulate import simulate_event

    event = simulate_event(EVENT["event_id"], EVENT["seed"], EVENT["pileup"])
    hits, cells = event["hits"], event["cells"]
    reconstruct_seeded(hits, cells)
    samples = []
    for _ in range(repeats):
        start = time.process_time()
        reconstruct_seeded(hits, cells)
        samples.append(time.process_time() - start)
    return min(samples)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m fivesigma.runner.workload")
    parser.add_argument("--cpu", type=int, required=True)
    parser.add_argument("--repeats", type=int, default=REPEATS)
    args = parser.parse_args(argv)
    os.sched_setaffinity(0, {args.cpu})
    print(json.dumps({"seconds": _workload_seconds(args.repeats), "cpu": args.cpu}))


if __name__ == "__main__":
    main()

"""TrackML baselines on the default generated events: accuracy, seconds per event, throughput.

Generates the 10 default training events (seed 0, default pile-up, truth included) once and
runs both methods through ``baselines.trackml.run``, which times only the per-event
reconstruction call (wall clock, after the numba kernels are compiled) and scores each
event with ``scoring.trackml``. The code is single-threaded; seconds are also given as this
process's CPU time, which a busy machine inflates less than the wall clock. Each method
runs once over the 10 events: the mean over events is the figure, as in the challenge.
Targets: dbscan accuracy >= 0.40; seeded accuracy >= 0.90 at < 1 s per event, i.e. a
throughput score sqrt(ln(1 + 600 / t)) * (A - 0.5) >= 1.05.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from baselines.trackml import run as run_baseline
from datasets.trackml import generate

AREA = "baselines_trackml"
SEED = 0
N_EVENTS = 10


def run(table) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        data = Path(scratch)
        generate(data, seed=SEED, n_train=N_EVENTS, n_test=0)
        results = {}
        for method in ("seeded", "dbscan"):
            results[method] = run_baseline(
                method, data / "train", data / f"{method}.csv", report=print
            )
    seeded, dbscan = results["seeded"], results["dbscan"]
    hits = sum(e["n_hits"] for e in seeded["events"]) / N_EVENTS
    table.add(
        AREA,
        f"seeded: mean accuracy over {N_EVENTS} events ({hits:,.0f} hits each)",
        f"{seeded['mean_accuracy']:.4f}",
        ">= 0.90",
        seeded["mean_accuracy"] >= 0.90,
    )
    table.add(
        AREA,
        "seeded: seconds per event, wall (CPU)",
        f"{seeded['mean_seconds']:.3f} ({seeded['mean_cpu_seconds']:.3f})",
        "< 1 s",
        seeded["mean_seconds"] < 1.0,
    )
    table.add(
        AREA,
        "seeded: throughput score",
        f"{seeded['throughput_score']:.3f}",
        ">= 1.05",
        seeded["throughput_score"] >= 1.05,
    )
    table.add(
        AREA,
        f"dbscan: mean accuracy over {N_EVENTS} events, seconds per event",
        f"{dbscan['mean_accuracy']:.4f}, {dbscan['mean_seconds']:.0f} s",
        ">= 0.40",
        dbscan["mean_accuracy"] >= 0.40,
    )

"""HiggsML uncertainty challenge: demo data generation, both baselines' run time, coverage
and score on the demo's 100 pseudo-experiments, against the challenge's targets.

Each step runs once (minutes each; a median would only add time). CPU seconds are quoted
beside the wall clock: the generator is single-threaded, the classifier uses both cores, and
the wall clock on a shared machine can be several times the CPU time. The targets: demo data
under 2 minutes on 2 cores, the profiled baseline under 10 minutes; profiled coverage within
0.6827 +- 2 sigma68 (0.590 - 0.776 for N = 100), the statistics-only one below that band,
and the profiled baseline ahead by the score.
"""

from __future__ import annotations

import math
import tempfile
import time
from pathlib import Path

import pandas as pd

from fivesigma.baselines.higgsml_uncertainty import run as run_baseline
from fivesigma.datasets.higgsml.uncertainty import generate
from fivesigma.scoring.metrics.interval_coverage import CONFIDENCE, score_predictions

AREA = "higgsml_uncertainty"
SEED = 0


def timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def run(table) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        data = Path(scratch)
        _, wall, cpu = timed(lambda: generate(data, size="demo", seed=SEED))
        print(f"demo data: {wall:.1f} s wall, {cpu:.1f} s CPU", flush=True)
        table.add(AREA, "demo data (400,000 training events, 100 pseudo-experiments): CPU / wall",
                  f"{cpu:.0f} s / {wall:.0f} s", "< 120 s", cpu < 120)  # fmt: skip
        truth = pd.read_csv(data / "truth.csv")
        n = len(truth)
        sigma68 = math.sqrt(CONFIDENCE * (1 - CONFIDENCE) / n)
        band = (CONFIDENCE - 2 * sigma68, CONFIDENCE + 2 * sigma68)
        scores = {}
        for method in ("stats", "profiled"):
            predictions, wall, cpu = timed(lambda m=method: run_baseline(m, data, seed=SEED))
            scores[method] = score_predictions(predictions, truth)
            s = scores[method]
            print(f"{method}: {wall:.1f} s wall, {cpu:.1f} s CPU, {s}", flush=True)
            if method == "profiled":
                table.add(AREA, "profiled baseline on the demo: CPU / wall", f"{cpu:.0f} s / {wall:.0f} s",
                          "< 600 s", cpu < 600)  # fmt: skip
            else:
                table.add(
                    AREA,
                    "stats-only baseline on the demo: CPU / wall",
                    f"{cpu:.0f} s / {wall:.0f} s",
                )
            inside = band[0] <= s["coverage"] <= band[1]
            target = (
                f"in {band[0]:.3f}-{band[1]:.3f}" if method == "profiled" else f"< {band[0]:.3f}"
            )
            ok = inside if method == "profiled" else s["coverage"] < band[0]
            table.add(
                AREA,
                f"{method}: coverage (mean width)",
                f"{s['coverage']:.2f} ({s['mean_width']:.3f})",
                target,
                ok,
            )
            table.add(AREA, f"{method}: score (MAE, RMSE of mu_hat)",
                      f"{s['score']:.3f} ({s['mae']:.3f}, {s['rmse']:.3f})")  # fmt: skip
        ahead = scores["profiled"]["score"] > scores["stats"]["score"]
        table.add(AREA, "profiled ranks above stats-only", "yes" if ahead else "no", "yes", ahead)

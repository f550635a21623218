"""Runner benchmarks: sandbox start-up overhead, per-event timing overhead, repeatability.

Targets (issue 8): start-up overhead of the sandbox under 0.5 s per submission; per-event
overhead of the pipe protocol under 5 ms on a 120k-hit event (the measured time of a model
that does nothing); mean seconds per event of the same submission within 10 % over 5 runs.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.harness import median_seconds
from fivesigma.runner import Limits
from fivesigma.runner.run import HARNESS_DIR, run_confined
from fivesigma.runner.sandbox import Bubblewrap, Mounts, Unconfined, find_bubblewrap

AREA = "runner"
LIMITS = Limits(time_limit_s=300, memory_limit_mb=4096)
NOOP = """
import numpy as np
class Model:
    def __init__(self, model_dir):
        pass
    def predict_one_event(self, event_id, hits, cells):
        return np.zeros(len(hits), dtype=np.int64)
"""
FIXED_WORK = """
import numpy as np
class Model:
    def __init__(self, model_dir):
        pass
    def predict_one_event(self, event_id, hits, cells):
        # a fixed amount of arithmetic on a block that stays in the CPU's cache (about 0.2 s on
        # one core): the timing's own repeatability, not the memory system's, is measured
        block = np.linspace(0.0, 1.0, 4096)
        for _ in range(6000):
            block = np.sin(block) + 0.5
        return np.full(len(hits), int(block[0] > 0), dtype=np.int64)
"""


def write_event(directory: Path, event_id: int, n_hits: int) -> None:
    """A random event of n_hits hits in the TrackML file format (timing depends only on its size)."""
    rng = np.random.default_rng(event_id)
    hit_id = np.arange(1, n_hits + 1)
    pd.DataFrame(
        {
            "hit_id": hit_id,
            "x": rng.normal(0, 300, n_hits).round(3),
            "y": rng.normal(0, 300, n_hits).round(3),
            "z": rng.normal(0, 1000, n_hits).round(3),
            "volume_id": rng.choice([7, 8, 9, 12, 13, 14, 16, 17, 18], n_hits),
            "layer_id": 2 * rng.integers(1, 8, n_hits),
            "module_id": rng.integers(1, 3000, n_hits),
        }
    ).to_csv(directory / f"event{event_id:09d}-hits.csv", index=False)
    cell_hits = np.repeat(hit_id, 2)
    pd.DataFrame(
        {
            "hit_id": cell_hits,
            "ch0": rng.integers(0, 1000, len(cell_hits)),
            "ch1": rng.integers(0, 1000, len(cell_hits)),
            "value": 0.1,
        }
    ).to_csv(directory / f"event{event_id:09d}-cells.csv", index=False)


def code_zip(directory: Path, source: str) -> Path:
    path = directory / f"code{abs(hash(source))}.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("submission.py", source)
    return path


def run(table) -> None:
    bwrap = find_bubblewrap()
    if bwrap is None:
        table.add(AREA, "sandbox", "bubblewrap not installed", "installed", False)
        return
    sandbox = Bubblewrap(bwrap)
    with tempfile.TemporaryDirectory(prefix="bench-runner-") as tmp:
        tmp = Path(tmp)
        small, big = tmp / "small", tmp / "big"
        small.mkdir()
        big.mkdir()
        write_event(small, 1000, 1000)
        for event_id in range(1000, 1006):
            write_event(big, event_id, 120_000)
        noop, fixed = code_zip(tmp, NOOP), code_zip(tmp, FIXED_WORK)

        def start_and_setup(confinement) -> tuple[float, float]:
            """Launch-to-harness-running and launch-to-Model-ready, seconds."""
            report = run_confined(confinement, noop, small, tmp / "out", limits=LIMITS)
            assert report.ok, report.reason
            return report.stage_seconds["start"], report.stage_seconds["setup"]

        start_and_setup(sandbox)  # warm the page cache
        pairs = [
            (start_and_setup(sandbox), start_and_setup(Unconfined())) for _ in range(7)
        ]  # interleaved
        confined_start, confined_setup = (statistics.median(p[0][i] for p in pairs) for i in (0, 1))
        plain_start, plain_setup = (statistics.median(p[1][i] for p in pairs) for i in (0, 1))
        overhead = confined_setup - plain_setup
        table.add(
            AREA,
            "sandbox start-up overhead per submission (launch to Model ready, bwrap minus plain subprocess, medians of 7 interleaved)",
            f"{overhead * 1000:.0f} ms ({confined_setup:.2f} s vs {plain_setup:.2f} s; "
            f"to interpreter running {confined_start * 1000:.0f} vs {plain_start * 1000:.0f} ms)",
            "< 0.5 s",
            overhead < 0.5,
        )

        def sandboxed_true() -> None:
            launch = sandbox.launch(Mounts(HARNESS_DIR, small, small), tmp, 1 << 20, [])
            bare = launch.argv[: launch.argv.index("-B") - 1]  # everything before the interpreter
            subprocess.run([*bare, "/bin/true"], env=launch.env, pass_fds=launch.fds, check=True)
            for fd in launch.fds:
                os.close(fd)

        bwrap_true = median_seconds(sandboxed_true, 15)
        plain_true = median_seconds(lambda: subprocess.run(["/bin/true"], check=True), 15)
        table.add(
            AREA,
            "cost of the sandbox itself: bwrap with every mount + setpriv running /bin/true, minus /bin/true (median of 15)",
            f"{(bwrap_true - plain_true) * 1000:.1f} ms",
        )

        seconds, cpu = [], []
        for _ in range(2):
            report = run_confined(sandbox, noop, big, tmp / "out", limits=LIMITS)
            assert report.ok, report.reason
            seconds += report.per_event_seconds.values()
            cpu += report.per_event_cpu_seconds.values()
        median_ms, worst_ms = 1000 * statistics.median(seconds), 1000 * max(seconds)
        cpu_ms = 1000 * statistics.median(cpu)
        table.add(
            AREA,
            "per-event timing overhead, no-op model on 120k-hit events (median / max of 12)",
            f"{median_ms:.2f} ms / {worst_ms:.2f} ms (harness on-CPU {cpu_ms:.2f} ms; "
            f"load average {os.getloadavg()[0]:.1f})",
            "< 5 ms",
            median_ms < 5,
        )

        means, cpu_means = [], []
        for _ in range(5):
            report = run_confined(sandbox, fixed, big, tmp / "out", limits=LIMITS)
            assert report.ok, report.reason
            means.append(report.mean_seconds)
            cpu_means.append(statistics.fmean(report.per_event_cpu_seconds.values()))
        spread = (max(means) - min(means)) / statistics.median(means)
        cpu_spread = (max(cpu_means) - min(cpu_means)) / statistics.median(cpu_means)
        table.add(
            AREA,
            "repeatability: mean s/event of a fixed-work model over 5 runs (spread / median)",
            f"wall {100 * spread:.1f} % (means {min(means):.3f}-{max(means):.3f} s), "
            f"on-CPU {100 * cpu_spread:.1f} %; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs",
            "< 10 %",
            spread < 0.10,
        )

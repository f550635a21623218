"""The shared shape of a benchmark: timing helpers and the rows of the results table.

Each ``benchmarks/bench_<area>.py`` module defines ``run(table: Table) -> None`` and adds
rows to the table. ``python -m benchmarks`` (``make bench``) runs every module in one
process, prints the table and writes it to ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def median_seconds(fn: Callable[[], object], repeat: int = 7, warmup: int = 1) -> float:
    """Median wall-clock seconds of ``fn()`` over ``repeat`` calls after ``warmup`` calls."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


@contextmanager
def throwaway_site(name: str, **extra_env: str) -> Iterator[dict]:
    """The environment of a site on a fresh SQLite database in a temporary directory
    (``DATABASE_URL`` removed, so nothing touches the developer's or CI's database)."""
    with tempfile.TemporaryDirectory(prefix=f"fivesigma-bench-{name}-") as tmp:
        env = {
            **os.environ,
            "FIVESIGMA_DATA_DIR": tmp,
            "DJANGO_SETTINGS_MODULE": "fivesigma.settings",
            "DJANGO_DEBUG": "0",
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(REPO),
            **extra_env,
        }
        env.pop("DATABASE_URL", None)
        (Path(tmp) / "staticfiles").mkdir()  # whitenoise looks for it; no page needs a file
        yield env


def measure_in_child(module: str, env: dict) -> dict:
    """Run ``python -m module measure OUT`` with ``env``; return the JSON it wrote to OUT."""
    out = Path(env["FIVESIGMA_DATA_DIR"]) / "results.json"
    subprocess.run(
        [sys.executable, "-m", module, "measure", str(out)], cwd=REPO, env=env, check=True
    )
    return json.loads(out.read_text())


@dataclass
class Row:
    area: str
    measure: str
    result: str
    target: str = ""
    ok: bool | None = None  # None: no target to meet, only a figure to record


@dataclass
class Table:
    rows: list[Row] = field(default_factory=list)

    def add(self, area: str, measure: str, result: str, target: str = "", ok: bool | None = None):
        row = Row(area, measure, result, target, ok)
        self.rows.append(row)
        print(
            f"  [{area}] {measure}: {result}"
            + (f"  (target {target}: {'met' if ok else 'MISSED'})" if target else ""),
            flush=True,
        )
        return row

    def markdown(self) -> str:
        lines = ["| area | measure | result | target | met |", "|---|---|---|---|---|"]
        for r in self.rows:
            met = "" if r.ok is None else ("yes" if r.ok else "**no**")
            lines.append(f"| {r.area} | {r.measure} | {r.result} | {r.target} | {met} |")
        return "\n".join(lines) + "\n"

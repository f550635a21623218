"""The shared shape of a benchmark: timing helpers and the rows of the results table.

Each ``benchmarks/bench_<area>.py`` module defines ``run(table: Table) -> None`` and adds
rows to the table. ``python -m benchmarks`` (``make bench``) runs every module in one
process, prints the table and writes it to ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field


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

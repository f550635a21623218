"""Run every benchmark module and write benchmarks/RESULTS.md.

Usage: ``python -m benchmarks [AREA ...]`` (default: all ``bench_*.py`` modules).
"""

from __future__ import annotations

import datetime
import importlib
import os
import platform
import sys
import traceback
from pathlib import Path

from benchmarks.harness import Table

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    areas = argv or sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))
    table = Table()
    failed = []
    for area in areas:
        print(f"== {area}", flush=True)
        try:
            importlib.import_module(f"benchmarks.bench_{area}").run(table)
        except Exception:  # a broken benchmark is reported, the others still run
            traceback.print_exc()
            failed.append(area)
            table.add(area, "benchmark run", "crashed (see output)", "runs", False)
    command = f'`make bench AREAS="{" ".join(areas)}"`' if argv else "`make bench`"
    header = (
        "# Benchmark results\n\n"
        f"Written by {command} on {datetime.date.today().isoformat()}, "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
        + ("; the rows of other areas are kept from earlier runs" if argv else "")
        + ". Medians over repeated runs (in one process unless the row says otherwise).\n\n"
    )
    text = header + table.markdown()
    if argv:  # a partial run updates its own areas and keeps the other rows
        text = header + _merge(HERE / "RESULTS.md", table, set(areas))
    (HERE / "RESULTS.md").write_text(text)
    print("\n" + table.markdown())
    return 1 if failed else 0


def _merge(path: Path, table: Table, areas: set[str]) -> str:
    kept = []
    if path.exists():
        for line in path.read_text().splitlines():
            if (
                line.startswith("| ")
                and not line.startswith("| area")
                and line.split("|")[1].strip() not in areas
            ):
                kept.append(line)
    new = table.markdown().splitlines()
    return "\n".join(new[:2] + kept + new[2:]) + "\n"


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parent))
    sys.exit(main(sys.argv[1:]))

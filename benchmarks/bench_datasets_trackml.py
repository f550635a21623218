"""TrackML-style simulation: seconds per event at the default pile-up and at 120k hits."""

from __future__ import annotations

import tempfile
import time

from benchmarks.harness import Table, median_seconds
from datasets import trackml
from datasets.trackml.io import PARTS, event_prefix, write_event

AREA = "datasets_trackml"
TARGET_SECONDS = 1.0
PILEUP_120K = 245.0  # mean pile-up giving about 120k hits per event


def run(table: Table) -> None:
    trackml.simulate_event(1, 0, pileup=5)  # compile (or load the cached kernels)
    events = [trackml.simulate_event(1000 + k, 0) for k in range(5)]
    hits = sum(len(e["hits"]) for e in events) / len(events)
    particles = sum(len(e["particles"]) for e in events) / len(events)
    noise = sum((e["truth"].particle_id == 0).mean() for e in events) / len(events)
    cells = sum(len(e["cells"]) for e in events) / len(events)
    table.add(
        AREA,
        f"hits per default event (pile-up {trackml.DEFAULT_PILEUP:g})",
        f"{hits:,.0f}",
        "100k-120k",
        100_000 <= hits <= 120_000,
    )
    table.add(
        AREA,
        "particles per default event",
        f"{particles:,.0f}",
        "about 10k",
        9_000 <= particles <= 12_000,
    )
    table.add(AREA, "noise fraction of hits", f"{noise:.3f}", "about 0.15", 0.13 <= noise <= 0.17)
    table.add(AREA, "cells per default event", f"{cells:,.0f}")

    seed = iter(range(10_000))
    seconds = median_seconds(
        lambda: trackml.simulate_event(2000 + next(seed), 0), repeat=7, warmup=1
    )
    table.add(
        AREA,
        "simulate_event, default pile-up (s/event)",
        f"{seconds:.3f}",
        f"< {TARGET_SECONDS:g} s",
        seconds < TARGET_SECONDS,
    )

    big = trackml.simulate_event(3000, 0, pileup=PILEUP_120K)
    seconds = median_seconds(
        lambda: trackml.simulate_event(3000 + next(seed), 0, pileup=PILEUP_120K), repeat=5, warmup=0
    )
    table.add(
        AREA,
        f"simulate_event, {len(big['hits']):,}-hit event (s/event)",
        f"{seconds:.3f}",
        f"< {TARGET_SECONDS:g} s",
        seconds < TARGET_SECONDS,
    )

    with tempfile.TemporaryDirectory() as tmp:
        prefix = event_prefix(tmp, 1000)
        start = time.perf_counter()
        write_event(prefix, events[0], PARTS)
        table.add(
            AREA, "write one event's four CSV files (s)", f"{time.perf_counter() - start:.2f}"
        )
        seconds = median_seconds(lambda: trackml.read_event(prefix), repeat=3, warmup=1)
        table.add(AREA, "read_event with validation, four parts (s)", f"{seconds:.2f}")

"""TrackML-style simulation: event sizes, seconds per event, and realism checks.

The realism checks: the pseudorapidity spectrum of 20 default events against the reference
of ``datasets.trackml.spectra`` (measured shape, median |eta| of the released files), and
the public helix-unrolling DBSCAN configuration of the 2018 challenge (120 curvature steps;
it scored about 0.47 on the real data) on one simulated event.
"""

from __future__ import annotations

import statistics
import tempfile
import time

import numpy as np
import pandas as pd
from sklearn.cluster import dbscan
from sklearn.preprocessing import scale

from benchmarks.harness import Table, median_seconds
from fivesigma.datasets import trackml
from fivesigma.datasets.trackml import spectra
from fivesigma.datasets.trackml.io import PARTS, event_prefix, write_event
from fivesigma.scoring.kernels.weighted_accuracy import score_event

AREA = "datasets_trackml"
TARGET_SECONDS = 1.0
PILEUP_120K = 218.0  # mean pile-up giving about 120k hits per event
SPECTRUM_EVENTS = 20


def median_cpu_seconds(fn, repeat: int) -> float:
    """Median CPU seconds of ``fn()`` in this process (one core: the kernels are serial)."""
    samples = []
    for _ in range(repeat):
        start = time.process_time()
        fn()
        samples.append(time.process_time() - start)
    return statistics.median(samples)


def helix_unrolling_dbscan(hits: pd.DataFrame, steps: int = 120) -> np.ndarray:
    """Track labels: DBSCAN on (sin, cos) of the azimuth unrolled by dz * r3 and z / r.

    Each step tries one curvature hypothesis dz; a hit moves to the new step's cluster when
    that cluster is larger than its current one and has fewer than 20 hits.
    """
    x, y, z = (hits[c].to_numpy(np.float64) for c in ("x", "y", "z"))
    r3, rt, phi = np.sqrt(x * x + y * y + z * z), np.hypot(x, y), np.arctan2(y, x)
    labels = None
    for i in range(steps):
        dz = (-1) ** (i + 1) * (-7e-4 + i * 1e-5)
        a1 = phi + dz * r3
        features = scale(np.c_[np.sin(a1), np.cos(a1), z / rt]) * [1.0, 1.0, 0.75]
        new = dbscan(features, eps=3.5e-3 + 5e-6 * i, min_samples=1, n_jobs=-1)[1]
        if labels is None:
            labels = new
            continue
        old_size, new_size = np.bincount(labels)[labels], np.bincount(new)[new]
        move = (new_size > old_size) & (new_size < 20)
        labels[move] = new[move] + labels.max() + 1
    return labels


def spectrum_rows(table: Table, events: list[dict]) -> None:
    """Median |eta| of the particles files and the worst per-bin deviation from the reference."""
    more = [trackml.simulate_event(1000 + k, 0) for k in range(len(events), SPECTRUM_EVENTS)]
    particles = pd.concat([e["particles"] for e in events + more], ignore_index=True)
    median = np.median(spectra.abs_eta(particles.px, particles.py, particles.pz))
    table.add(
        AREA,
        f"median abs(eta) of the particles files ({SPECTRUM_EVENTS} default events)",
        f"{median:.3f}",
        "1.5 +- 0.05 (released files)",
        abs(median - spectra.MEDIAN_ABS_ETA) <= 0.05,
    )
    shares = spectra.generated_shares(particles)
    deviation = np.abs(shares / spectra.reference_shares() - 1)
    worst = int(np.argmax(deviation))
    edges = spectra.abs_eta_edges()
    primaries = (particles.particle_id.to_numpy() >> 24) & 0xFFF == 0
    above = np.hypot(particles.px, particles.py) > spectra.PT_THRESHOLD
    statistical = 1 / np.sqrt(shares.min() * (primaries & above).sum())
    table.add(
        AREA,
        "abs(eta) spectrum, primaries above 100 MeV: worst deviation of 26 bins from the reference",
        f"{deviation[worst]:.1%} (abs(eta) {edges[worst]:.1f}-{edges[worst + 1]:.1f}; "
        f"statistical {statistical:.1%} per bin)",
        "< 10%",
        deviation[worst] < 0.10,
    )


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

    spectrum_rows(table, events)

    seed = iter(range(10_000))
    for label, pileup in (("default pile-up", trackml.DEFAULT_PILEUP), ("120k-hit", PILEUP_120K)):
        size = len(trackml.simulate_event(3000, 0, pileup=pileup)["hits"])
        wall = median_seconds(
            lambda p=pileup: trackml.simulate_event(next(seed), 0, pileup=p), repeat=7, warmup=0
        )
        cpu = median_cpu_seconds(
            lambda p=pileup: trackml.simulate_event(next(seed), 0, pileup=p), repeat=7
        )
        table.add(
            AREA,
            f"simulate_event, {label} event ({size:,} hits): CPU s/event",
            f"{cpu:.3f}",
            f"< {TARGET_SECONDS:g} s",
            cpu < TARGET_SECONDS,
        )
        table.add(
            AREA, f"simulate_event, {label} event: wall s/event (shared machine)", f"{wall:.3f}"
        )

    event = events[1]
    labels = helix_unrolling_dbscan(event["hits"])
    submission = pd.DataFrame({"hit_id": event["hits"].hit_id, "track_id": labels})
    accuracy = score_event(event["truth"], submission)
    table.add(
        AREA,
        "helix-unrolling DBSCAN accuracy on one default event",
        f"{accuracy:.3f}",
        "0.4-0.6 (real data: about 0.47)",
        0.4 <= accuracy <= 0.6,
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

"""TrackML DBSCAN baseline on the default generated events: accuracy and seconds per event.

The same 10 events and timing as ``bench_baselines_trackml.py`` (the seeded tracker); a
separate area because clustering them takes a quarter of an hour. Target: accuracy >= 0.40.
"""

from __future__ import annotations

from benchmarks.bench_baselines_trackml import N_EVENTS, run_on_default_events

AREA = "baselines_trackml_dbscan"


def run(table) -> None:
    dbscan = run_on_default_events("dbscan")
    table.add(
        AREA,
        f"dbscan: mean accuracy over {N_EVENTS} events, seconds per event",
        f"{dbscan['mean_accuracy']:.4f}, {dbscan['mean_seconds']:.0f} s",
        ">= 0.40",
        dbscan["mean_accuracy"] >= 0.40,
    )

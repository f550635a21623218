"""HiggsML: H -> tau tau against background, scored by the AMS (REFERENCE.md section 1)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fivesigma.challenges.kinds.kind import Baseline, Kind

EVENTS = {"full": 818_238, "small": 30_000, "tiny": 10_000}  # events simulated per demo size


def generate(data: Path, size: str, progress: Callable[[str], None]) -> None:
    """The four official files (training, test, solution, the CERN Open Data file)."""
    from fivesigma.datasets import higgsml

    events = EVENTS[size]
    progress(f"{events:,} events")
    higgsml.generate(
        data,
        seed=2014,
        n_events=events,
        progress=lambda where: progress(f"{events:,} events, {where}"),
    )


def classifier(method: str):
    def make(data: Path, out: Path) -> Path:
        from fivesigma.baselines import higgsml

        target = out / f"{method}.csv"
        higgsml.run(method, data / "training.csv", data / "test.csv", target, seed=0)
        return target

    return make


KIND = Kind(
    key="higgsml",
    title="HiggsML",
    metrics=("ams",),
    harness="higgsml",
    generate=generate,
    baselines=(
        Baseline("mass window", "main", classifier("window")),
        Baseline("XGBoost", "main", classifier("xgboost")),
    ),
)

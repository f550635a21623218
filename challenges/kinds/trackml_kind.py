"""TrackML: hits into tracks, scored by the weighted accuracy and, for code, the throughput
score (REFERENCE.md sections 2 and 3)."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

from fivesigma.challenges.kinds.kind import Baseline, Kind

# (training events, test events, mean pile-up collisions or None for the default) per size
EVENTS = {"full": (10, 5, None), "small": (2, 3, 20.0), "tiny": (1, 3, 2.0)}


def generate(data: Path, size: str, progress: Callable[[str], None]) -> None:
    """Training and test events, zipped per part as the challenge page offers them."""
    from fivesigma.datasets import trackml
    from fivesigma.datasets.trackml.simulate import DEFAULT_PILEUP

    n_train, n_test, pileup = EVENTS[size]
    pileup = pileup or DEFAULT_PILEUP
    progress(f"{n_train} training and {n_test} test events, {pileup:g} pile-up collisions each")
    trackml.generate(data, seed=2018, n_train=n_train, n_test=n_test, pileup=pileup)
    for part in ("train", "test"):
        progress(f"zipping {part}.zip")
        with zipfile.ZipFile(data / f"{part}.zip", "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted((data / part).iterdir()):
                archive.write(path, f"{part}/{path.name}")


def tracker(method: str):
    def make(data: Path, out: Path) -> Path:
        from fivesigma.baselines import trackml

        target = out / f"{method}.csv"
        trackml.run(method, data / "test", target)
        return target

    return make


def seeded_code(data: Path, out: Path) -> Path:
    from fivesigma.baselines import trackml

    return trackml.build_submission_zip(out / "seeded-submission.zip")


KIND = Kind(
    key="trackml",
    title="TrackML",
    metrics=("trackml", "throughput"),
    harness="trackml",
    generate=generate,
    baselines=(
        Baseline("DBSCAN", "accuracy", tracker("dbscan")),
        Baseline("seeded tracking", "accuracy", tracker("seeded")),
        Baseline("seeded tracking", "throughput", seeded_code, code=True),
    ),
)

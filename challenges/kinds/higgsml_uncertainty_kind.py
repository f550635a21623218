"""HiggsML with uncertainties: measure the signal strength mu with a 68% interval in
pseudo-experiments (docs/higgsml-uncertainty.md).

Unlike the other kinds it needs nothing built into the platform: no metric, no harness. The
bundle ``bundles/higgsml-uncertainty/`` brings its own ingestion and scoring programs; this
module only makes the demo's data, copies the metric into the scoring program and names the
reference models submitted as benchmark rows.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

from fivesigma.challenges.kinds.kind import Baseline, Kind

DATASET_SIZES = {"full": "demo", "small": "small", "tiny": "tiny"}  # demo size -> generator's
# pseudo-experiments of the hidden test set, half on each leaderboard: 100 per subset at the
# full size, so that the coverage of each is measured to +-0.047 (sigma68 of N = 100)
PSEUDO_EXPERIMENTS = {"full": 200, "small": 20, "tiny": 4}
SAMPLE_PSEUDO_EXPERIMENTS = {"full": 10, "small": 5, "tiny": 2}  # in sample_test.csv
SEED = 2024


def generate(data: Path, size: str, progress: Callable[[str], None]) -> None:
    """The ingestion's input (``input/train.csv``, ``input/test.csv``; ``train.csv`` also
    for download), the hidden truths
    split into ``reference/public`` and ``reference/private`` (first and second half of the
    pseudo-experiments), a public sample with its truths, and the metric beside the scoring
    program (``../scoring/interval_coverage.py``)."""
    import pandas as pd

    from fivesigma.datasets.higgsml import uncertainty
    from fivesigma.scoring.metrics import interval_coverage

    paths = uncertainty.generate(
        data / "input",
        size=DATASET_SIZES[size],
        seed=SEED,
        n_pseudo=PSEUDO_EXPERIMENTS[size],
        progress=progress,
    )
    link_or_copy(paths["training"], data / "train.csv")  # the download, beside the input
    truth = pd.read_csv(paths["truth"])
    paths["truth"].unlink()  # the ingestion's input must not hold the answers
    half = (len(truth) + 1) // 2
    for subset, rows in (("public", truth.iloc[:half]), ("private", truth.iloc[half:])):
        (data / "reference" / subset).mkdir(parents=True, exist_ok=True)
        rows.to_csv(data / "reference" / subset / "truth.csv", index=False)
    progress(f"a public sample of {SAMPLE_PSEUDO_EXPERIMENTS[size]} pseudo-experiments")
    sample, sample_truth = uncertainty.pseudo_experiments(
        uncertainty.draw_truths(SAMPLE_PSEUDO_EXPERIMENTS[size], SEED + 1), SEED + 1
    )
    uncertainty.write_table(data / "sample_test.csv", sample)
    sample_truth.to_csv(data / "sample_truth.csv", index=False)
    shutil.copyfile(interval_coverage.__file__, data.parent / "scoring" / "interval_coverage.py")


def link_or_copy(source: Path, target: Path) -> None:
    """``target`` with ``source``'s bytes: a hard link where the file system allows it."""
    target.unlink(missing_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def code_submission(method: str):
    def make(data: Path, out: Path) -> Path:
        from fivesigma.baselines.higgsml_uncertainty.code_submission import build_submission_zip

        return build_submission_zip(method, out / f"{method}-model.zip")

    return make


KIND = Kind(
    key="higgsml-uncertainty",
    title="HiggsML with uncertainties",
    metrics=(),
    harness=None,
    generate=generate,
    baselines=(
        Baseline("statistics only", "main", code_submission("stats"), code=True),
        Baseline("profiled likelihood", "main", code_submission("profiled"), code=True),
    ),
)

"""A HiggsML-like bundle with a known solution, Kaggle-format submissions, the AMS by hand."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

# A phase that has ended, appended to a bundle with write_ams_bundle(..., extra=PAST_PHASE).
PAST_PHASE = """\
  - key: past
    title: Past phase
    start: 2020-01-01T00:00:00Z
    end: 2021-01-01T00:00:00Z
    kind: result
    metric: ams
    solution: data/solution.csv
    split: {by: column, column: KaggleSet, public: b, private: v}
"""


def write_ams_bundle(
    root: Path,
    n_events: int = 400,
    seed: int = 1,
    slug: str = "tiny-higgs",
    start: str = "2020-01-01T00:00:00Z",
    end: str = "2099-01-01T00:00:00Z",
    daily_limit: int = 5,
    extra: str = "",
) -> pd.DataFrame:
    """Write a HiggsML-like bundle into ``root``; return its solution (EventId, Label, Weight, KaggleSet)."""
    rng = np.random.default_rng(seed)
    labels = np.where(rng.random(n_events) < 0.3, "s", "b")
    weights = np.where(
        labels == "s", rng.uniform(0.001, 0.01, n_events), rng.uniform(0.5, 2.0, n_events)
    )
    kaggle_set = np.where(rng.random(n_events) < 0.4, "b", "v")
    solution = pd.DataFrame(
        {
            "EventId": np.arange(350000, 350000 + n_events),
            "Label": labels,
            "Weight": weights,
            "KaggleSet": kaggle_set,
        }
    )
    (root / "data").mkdir(parents=True, exist_ok=True)
    (root / "pages").mkdir(exist_ok=True)
    solution.to_csv(root / "data" / "solution.csv", index=False)
    solution[["EventId"]].to_csv(root / "data" / "test.csv", index=False)
    (root / "pages" / "overview.md").write_text("A **tiny** test challenge.\n")
    (root / "challenge.yaml").write_text(
        textwrap.dedent(f"""\
        version: 1
        slug: {slug}
        title: Tiny Higgs
        summary: a test challenge
        pages: {{overview: pages/overview.md}}
        files:
          - path: data/test.csv
            description: test events
        phases:
          - key: main
            title: Main
            start: {start}
            end: {end}
            kind: result
            metric: ams
            solution: data/solution.csv
            split: {{by: column, column: KaggleSet, public: b, private: v}}
            daily_limit: {daily_limit}
        """)
        + extra
    )
    return solution


def submission_csv(
    solution: pd.DataFrame, scores: np.ndarray, signal_fraction: float = 0.3
) -> bytes:
    """A Kaggle-format submission ranking events by ``scores`` (higher = more signal-like)."""
    order = np.argsort(np.argsort(scores, kind="stable"), kind="stable") + 1
    n_signal = int(round(signal_fraction * len(scores)))
    classes = np.where(order > len(scores) - n_signal, "s", "b")
    frame = pd.DataFrame({"EventId": solution["EventId"], "RankOrder": order, "Class": classes})
    return frame.to_csv(index=False).encode()


def noisy_submission(solution: pd.DataFrame, noise: float = 0.8, seed: int = 3) -> bytes:
    """A valid submission ranking events by the truth blurred with Gaussian ``noise``."""
    rng = np.random.default_rng(seed)
    truth = (solution["Label"] == "s").to_numpy() * 1.0
    return submission_csv(solution, truth + rng.normal(0.0, noise, len(solution)))


def reference_ams(solution: pd.DataFrame, submitted_class: np.ndarray, subset: str) -> float:
    """AMS written from the definition, independently of the scoring package.

    Weights renormalised per class within the subset to the class totals of the whole file.
    """
    totals = solution.groupby("Label")["Weight"].sum()
    part = solution["KaggleSet"].to_numpy() == subset
    s = b = 0.0
    for label in ("s", "b"):
        in_class = part & (solution["Label"].to_numpy() == label)
        scale = totals[label] / solution["Weight"].to_numpy()[in_class].sum()
        selected = in_class & (submitted_class == "s")
        value = solution["Weight"].to_numpy()[selected].sum() * scale
        if label == "s":
            s = value
        else:
            b = value
    return float(np.sqrt(2 * ((s + b + 10) * np.log(1 + s / (b + 10)) - s)))

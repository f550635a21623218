"""Event counts, weights and the Kaggle split, as in the official CERN Open Data file.

Each process is a Monte Carlo sample of ``events`` (a share of its class's events) standing
for ``weight`` (a share of its class's expected yield after selection), so every event of a
process carries the same ``Weight``; the class totals are the official ones. ``KaggleWeight``
rescales ``Weight`` per class within each KaggleSet (t, b, v, u) so that each set's class
totals are the official totals too: that is what makes a subset's AMS comparable with the
full-dataset one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SIGNAL_TOTAL = 691.988607712  # expected signal events (sum of weights) per set
BACKGROUND_TOTAL = 410999.847322  # expected background events per set
OFFICIAL_EVENTS = 818238
OFFICIAL_SET_SIZES = {"t": 250000, "b": 100000, "v": 450000, "u": 18238}
TRAINING_SIGNAL_FRACTION = 85667 / 250000  # signal share of the events in every set
FIRST_EVENT_ID = 100000


@dataclass(frozen=True)
class Sample:
    """One process's Monte Carlo sample: its class and its shares of events and of yield."""

    label: str  # "s" or "b"
    events: float  # share of the class's events
    weight: float  # share of the class's total weight


# Signal weights: the 8 TeV cross sections (gluon fusion 19.3 pb, VBF 1.6 pb, WH + ZH with
# hadronic V 0.8 pb), VBF and VH raised for their harder Higgs pT, which the selection
# favours. Background weights: a preselection without the ATLAS transverse-mass cut, so
# W + jets leads ahead of Z -> tau tau. Event shares (Monte Carlo sample sizes) bring the
# training file's jet multiplicities near the official file's.
SAMPLES = {
    "ggH": Sample("s", events=0.55, weight=0.85),
    "VBFH": Sample("s", events=0.30, weight=0.10),
    "VH": Sample("s", events=0.15, weight=0.05),
    "Ztautau": Sample("b", events=0.35, weight=0.30),
    "ttbar": Sample("b", events=0.20, weight=0.10),
    "Wjets": Sample("b", events=0.45, weight=0.60),
}


def split_counts(total: int, shares) -> np.ndarray:
    """Integers proportional to ``shares`` summing exactly to ``total`` (largest remainder)."""
    shares = np.asarray(shares, dtype=np.float64)
    exact = total * shares / shares.sum()
    counts = np.floor(exact).astype(np.int64)
    counts[np.argsort(-(exact - counts), kind="stable")[: total - counts.sum()]] += 1
    return counts


def set_sizes(n_events: int) -> dict[str, int]:
    """Events per KaggleSet, in the official proportions (exact for the full 818,238)."""
    return dict(
        zip(
            OFFICIAL_SET_SIZES,
            split_counts(n_events, list(OFFICIAL_SET_SIZES.values())),
            strict=True,
        )
    )


def signal_counts(sizes: dict[str, int]) -> dict[str, int]:
    """Signal events per KaggleSet (85,667 of 250,000 in the official training set)."""
    return {name: int(round(size * TRAINING_SIGNAL_FRACTION)) for name, size in sizes.items()}


def process_counts(n_signal: int, n_background: int) -> dict[str, int]:
    """Events to simulate per process."""
    counts: dict[str, int] = {}
    for label, total in (("s", n_signal), ("b", n_background)):
        names = [name for name, sample in SAMPLES.items() if sample.label == label]
        shares = [SAMPLES[name].events for name in names]
        counts.update(zip(names, split_counts(total, shares).tolist(), strict=True))
    return counts


def process_weights(process: np.ndarray) -> np.ndarray:
    """Per-event ``Weight``: each process shares its class total evenly among its events."""
    weight = np.zeros(len(process))
    for name, sample in SAMPLES.items():
        mine = process == name
        if mine.any():
            total = SIGNAL_TOTAL if sample.label == "s" else BACKGROUND_TOTAL
            class_share = sum(s.weight for s in SAMPLES.values() if s.label == sample.label)
            weight[mine] = total * sample.weight / class_share / mine.sum()
    return weight


def kaggle_weights(weight: np.ndarray, label: np.ndarray, kaggle_set: np.ndarray) -> np.ndarray:
    """``Weight`` renormalised per class within each KaggleSet to the official class totals."""
    out = np.zeros_like(weight)
    for name in np.unique(kaggle_set):
        for cls, total in (("s", SIGNAL_TOTAL), ("b", BACKGROUND_TOTAL)):
            mine = (kaggle_set == name) & (label == cls)
            if mine.any():
                out[mine] = weight[mine] * (total / weight[mine].sum())
    return out

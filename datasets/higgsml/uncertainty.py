"""Training set and pseudo-experiments of the HiggsML uncertainty challenge.

The task: measure the signal strength ``mu`` (signal yield over its expected value) of
H -> tau tau in each pseudo-experiment, with a 68% interval that stays honest under the
systematic uncertainties of :mod:`datasets.higgsml.systematics`.

- The training set: simulated events at nominal nuisance values with ``Weight``, ``Label``
  (``s``/``b``) and ``Process``; the weights of each process sum to its expected yield in
  one pseudo-experiment at mu = 1 (``EXPECTED_EVENTS``), so ``sum(Weight)`` of any selection
  is its expected count.
- A pseudo-experiment: a true ``mu`` drawn uniformly in ``MU_RANGE`` and nuisance values
  drawn from their priors; for each process a Poisson number of freshly simulated events of
  mean its expected yield (times ``mu`` for signal, times the background scales), measured
  with the drawn ``tes``, ``jes`` and ``soft_met``; unweighted, unlabelled, shuffled.

Files (``generate``), all CSV with a header row, numbers as in the 2014 files:

- ``train.csv``: the 30 features, ``Weight``, ``Label``, ``Process``.
- ``test.csv``: ``pseudo_experiment`` (0 .. N-1, rows grouped by it) and the 30 features.
- ``truth.csv`` (hidden reference): ``pseudo_experiment``, ``mu``, the six nuisance values
  and ``n_events``.

Command line: ``python -m fivesigma.datasets.higgsml.uncertainty generate --out DIR
[--size demo|full] [--seed N] [--pseudo-experiments N]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from fivesigma.datasets.higgsml import csvwriter
from fivesigma.datasets.higgsml.detector_response import RecoEvents
from fivesigma.datasets.higgsml.diboson import w_pairs
from fivesigma.datasets.higgsml.features import FEATURES, compute_features
from fivesigma.datasets.higgsml.official_files import column_kind, label_table, write_rows
from fivesigma.datasets.higgsml.processes import PROCESSES as PROCESSES_2014
from fivesigma.datasets.higgsml.sample_weights import Sample, split_counts
from fivesigma.datasets.higgsml.simulation import select_events
from fivesigma.datasets.higgsml.systematics import (
    NUISANCES,
    PRIMARY,
    apply_systematics,
    derive_features,
    draw_nuisances,
)

PROCESSES = {**PROCESSES_2014, "diboson": w_pairs}
# Shares of each class's expected events (weight) and of its simulated events, as in the
# 2014 sample with a diboson background of 2% taken from W + jets.
SAMPLES = {
    "ggH": Sample("s", events=0.55, weight=0.85),
    "VBFH": Sample("s", events=0.30, weight=0.10),
    "VH": Sample("s", events=0.15, weight=0.05),
    "Ztautau": Sample("b", events=0.33, weight=0.30),
    "ttbar": Sample("b", events=0.19, weight=0.10),
    "Wjets": Sample("b", events=0.40, weight=0.58),
    "diboson": Sample("b", events=0.08, weight=0.02),
}
SIGNAL_EVENTS = 300.0  # expected signal events per pseudo-experiment at mu = 1
BACKGROUND_EVENTS = 20_000.0  # expected background events per pseudo-experiment
MU_RANGE = (0.1, 3.0)
TRAINING_SIGNAL_FRACTION = 85667 / 250000  # as in the 2014 training file
CATEGORY_NAMES = ("s", "b", *SAMPLES)
FILE_NAMES = {"training": "train.csv", "test": "test.csv", "truth": "truth.csv"}
TRUTH_COLUMNS = ("pseudo_experiment", "mu", *NUISANCES, "n_events")

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Size:
    """How much to generate: training events and test pseudo-experiments."""

    training_events: int
    pseudo_experiments: int


SIZES = {
    "tiny": Size(20_000, 4),  # seconds: for automated tests
    "small": Size(100_000, 20),
    "demo": Size(400_000, 100),
    "full": Size(1_000_000, 1000),
}


def expected_events() -> dict[str, float]:
    """Expected events of each process in one pseudo-experiment at mu = 1, nominal values."""
    out = {}
    for label, total in (("s", SIGNAL_EVENTS), ("b", BACKGROUND_EVENTS)):
        members = {name: s for name, s in SAMPLES.items() if s.label == label}
        share = sum(s.weight for s in members.values())
        out.update({name: total * s.weight / share for name, s in members.items()})
    return out


EXPECTED_EVENTS = expected_events()


def simulate_table(
    counts: dict[str, int], seed: int, progress: Progress | None = None, derive=True
):
    """Freshly simulated events: (table of the 30 features, process per row), processes in
    ``SAMPLES`` order. The DER_ features are those of :func:`systematics.derive_features`
    (NaN with ``derive=False``, for tables that :func:`apply_systematics` will measure)."""
    streams = np.random.SeedSequence(seed).spawn(len(SAMPLES))
    parts, names = [], []
    for (name, count), stream in zip(counts.items(), streams, strict=False):
        if progress:
            progress(f"simulating {count} {name} events")
        if count:
            parts.append(
                primary_table(select_events(np.random.default_rng(stream), name, count, PROCESSES))
            )
            names.append(np.full(count, name))
    table = pd.concat(parts, ignore_index=True)
    return derive_features(table) if derive else table, np.concatenate(names)


def primary_table(reco: RecoEvents) -> pd.DataFrame:
    """The 30 feature columns with the PRI_ ones measured (rounded to 3 decimals); the DER_
    ones are left for :func:`systematics.derive_features`."""
    features = compute_features(reco)
    columns = {
        name: np.round(features[name], 3) if name in PRIMARY else np.nan for name in FEATURES
    }
    columns["PRI_jet_num"] = features["PRI_jet_num"].astype(np.int64)
    return pd.DataFrame(columns, columns=list(FEATURES))


def training_set(n_events: int, seed: int = 0, progress: Progress | None = None) -> pd.DataFrame:
    """``n_events`` events at nominal values with ``Weight``, ``Label`` and ``Process``."""
    n_signal = int(round(n_events * TRAINING_SIGNAL_FRACTION))
    counts: dict[str, int] = {}
    label: str | np.ndarray  # a sample's "s" or "b", then every event's
    for label, total in (("s", n_signal), ("b", n_events - n_signal)):
        names = [name for name, s in SAMPLES.items() if s.label == label]
        shares = [SAMPLES[name].events for name in names]
        counts.update(zip(names, split_counts(total, shares).tolist(), strict=True))
    table, process = simulate_table(counts, seed, progress)
    weight = np.array([EXPECTED_EVENTS[p] / counts[p] for p in process])
    label = np.where(np.isin(process, [n for n, s in SAMPLES.items() if s.label == "s"]), "s", "b")
    order = np.random.default_rng([seed, 1]).permutation(len(table))
    table = table.assign(Weight=weight, Label=label, Process=process)
    return table.iloc[order].reset_index(drop=True)


def draw_truths(n: int, seed: int = 0) -> pd.DataFrame:
    """True mu and nuisance values of ``n`` pseudo-experiments, and their event counts."""
    rng = np.random.default_rng([seed, 2])
    rows = []
    for k in range(n):
        mu = float(rng.uniform(*MU_RANGE))
        nuisances = draw_nuisances(rng)
        counts = {
            name: int(rng.poisson(mean)) for name, mean in expected_counts(mu, nuisances).items()
        }
        rows.append({"pseudo_experiment": k, "mu": mu, **nuisances, **counts})
    return pd.DataFrame(rows)


def expected_counts(mu: float, nuisances: dict[str, float]) -> dict[str, float]:
    """Expected events of each process (before the tau pT threshold after the shift)."""
    out = {}
    for name, mean in EXPECTED_EVENTS.items():
        if SAMPLES[name].label == "s":
            out[name] = mu * mean
        else:
            scale = nuisances["bkg_scale"]
            scale *= {"ttbar": nuisances["ttbar_scale"], "diboson": nuisances["diboson_scale"]}.get(
                name, 1.0
            )
            out[name] = scale * mean
    return out


def pseudo_experiments(truths: pd.DataFrame, seed: int = 0, progress: Progress | None = None):
    """The events of the pseudo-experiments drawn by :func:`draw_truths`: a table of the 30
    features with ``pseudo_experiment`` first, rows grouped by it; ``truths`` gains
    ``n_events``, the rows kept after the shift."""
    counts = {name: int(truths[name].sum()) for name in SAMPLES}
    table, process = simulate_table(counts, seed + 1_000_003, progress, derive=False)
    start = {
        name: int(np.flatnonzero(process == name)[0]) if counts[name] else 0 for name in SAMPLES
    }
    used = dict.fromkeys(SAMPLES, 0)
    parts, kept = [], []
    if progress:
        progress(f"measuring {len(truths)} pseudo-experiments")
    for row in truths.itertuples(index=False):
        rows = []
        for name in SAMPLES:
            n = getattr(row, name)
            rows.append(np.arange(start[name] + used[name], start[name] + used[name] + n))
            used[name] += n
        rng = np.random.default_rng([seed, 3, row.pseudo_experiment])
        events = table.iloc[rng.permutation(np.concatenate(rows))]
        nuisances = {name: getattr(row, name) for name in ("tes", "jes", "soft_met")}
        events = apply_systematics(events, **nuisances, seed=rng)
        events.insert(0, "pseudo_experiment", row.pseudo_experiment)
        parts.append(events)
        kept.append(len(events))
    out = truths[list(TRUTH_COLUMNS[:-1])].assign(n_events=kept)
    return pd.concat(parts, ignore_index=True), out


def write_table(path: Path, frame: pd.DataFrame) -> Path:
    """``frame`` as CSV in the 2014 number formats; strings as categories."""
    header = list(frame.columns)
    kinds, matrix = [], np.empty(frame.shape)
    for j, column in enumerate(header):
        values = frame[column]
        if values.dtype == object or isinstance(values.dtype, pd.StringDtype):
            kinds.append(csvwriter.CATEGORY)
            codes = pd.Categorical(values, categories=list(CATEGORY_NAMES)).codes
            if (codes < 0).any():
                raise ValueError(f"column {column!r} holds values outside {CATEGORY_NAMES}")
            matrix[:, j] = codes
        else:
            kinds.append(
                csvwriter.INTEGER if column == "pseudo_experiment" else column_kind(column)
            )
            matrix[:, j] = values.to_numpy(dtype=np.float64)
    columns = np.arange(len(header))
    labels = label_table(CATEGORY_NAMES)
    return write_rows(path, header, matrix, np.arange(len(frame)), columns, kinds, labels)


def generate(out_dir, size: str = "demo", seed: int = 0, n_pseudo: int | None = None,
             progress: Progress | None = None) -> dict[str, Path]:  # fmt: skip
    """Write ``train.csv``, ``test.csv`` and ``truth.csv`` in ``out_dir``; returns their paths
    keyed ``training``, ``test``, ``truth``."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {sorted(SIZES)}, got {size!r}")
    n_pseudo = SIZES[size].pseudo_experiments if n_pseudo is None else n_pseudo
    if n_pseudo < 1:
        raise ValueError(f"the number of pseudo-experiments must be positive, got {n_pseudo}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {name: out_dir / file for name, file in FILE_NAMES.items()}
    training = training_set(SIZES[size].training_events, seed, progress)
    write_table(paths["training"], training)
    test, truth = pseudo_experiments(draw_truths(n_pseudo, seed), seed, progress)
    if progress:
        progress("writing the files")
    write_table(paths["test"], test)
    partial = paths["truth"].with_name("truth.csv.partial")
    truth.to_csv(partial, index=False)
    partial.replace(paths["truth"])
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m fivesigma.datasets.higgsml.uncertainty",
        description="Generate the training set and pseudo-experiments of the HiggsML uncertainty challenge.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    gen = commands.add_parser("generate", help="write train.csv, test.csv and truth.csv")
    gen.add_argument("--out", required=True, help="output directory")
    gen.add_argument("--size", choices=sorted(SIZES), default="demo")
    gen.add_argument("--seed", type=int, default=0)
    gen.add_argument(
        "--pseudo-experiments", type=int, default=None, help="default: 100 (demo), 1000 (full)"
    )
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        paths = generate(args.out, args.size, args.seed, args.pseudo_experiments,
                         progress=lambda message: print(message, file=sys.stderr))  # fmt: skip
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps({name: str(path) for name, path in paths.items()}))
    print(f"done in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Simulate a full HiggsML-style dataset: processes -> detector -> selection -> features -> split.

Every process draws from its own random stream (spawned from the seed), so a dataset is
reproducible bit for bit for a given ``(n_events, seed)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from fivesigma.datasets.higgsml import sample_weights as wt
from fivesigma.datasets.higgsml.detector_response import RecoEvents, measure, passes_selection
from fivesigma.datasets.higgsml.features import FEATURES, compute_features
from fivesigma.datasets.higgsml.layout import CERN_COLUMNS
from fivesigma.datasets.higgsml.processes import PROCESSES

Progress = Callable[[str], None]


@dataclass
class Simulation:
    """A simulated dataset in the CERN Open Data layout plus the process of each event."""

    events: pd.DataFrame
    process: np.ndarray  # process name per row (ggH, VBFH, VH, Ztautau, ttbar, Wjets)


def select_events(
    rng: np.random.Generator, name: str, count: int, processes=PROCESSES
) -> RecoEvents:
    """Draw candidate collisions of process ``name`` (a key of ``processes``, a mapping of
    names to generator functions) until ``count`` pass the selection."""
    generate = processes[name]
    batches, accepted, tried, batch = [], 0, 0, 20_000
    while accepted < count:
        reco = measure(rng, generate(rng, batch))
        keep = passes_selection(reco)
        batches.append(_take(reco, keep))
        accepted, tried = accepted + int(keep.sum()), tried + batch
        efficiency = max(accepted, 1) / tried
        batch = min(max(20_000, int(1.2 * (count - accepted) / efficiency)), 2_000_000)
    return _take(_concat(batches), slice(0, count))


def _take(reco: RecoEvents, index) -> RecoEvents:
    return RecoEvents(*(getattr(reco, f.name)[index] for f in fields(RecoEvents)))


def _concat(parts: list[RecoEvents]) -> RecoEvents:
    return RecoEvents(
        *(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(RecoEvents))
    )


def assign_sets(rng: np.random.Generator, label: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row order and KaggleSet: returns (order, kaggle_set) with t rows first, then b and v
    interleaved, then u, each set holding its share of signal."""
    sizes = wt.set_sizes(len(label))
    n_signal = wt.signal_counts(sizes)
    pools = {cls: rng.permutation(np.flatnonzero(label == cls)) for cls in ("s", "b")}
    members, used = {}, {"s": 0, "b": 0}
    for name, size in sizes.items():
        take = {"s": n_signal[name], "b": size - n_signal[name]}
        members[name] = np.concatenate(
            [pools[cls][used[cls] : used[cls] + take[cls]] for cls in ("s", "b")]
        )
        used = {cls: used[cls] + take[cls] for cls in ("s", "b")}
    test = np.concatenate([members["b"], members["v"]])
    test_set = np.repeat(["b", "v"], [len(members["b"]), len(members["v"])])
    mix = rng.permutation(len(test))
    order = np.concatenate(
        [rng.permutation(members["t"]), test[mix], rng.permutation(members["u"])]
    )
    kaggle_set = np.concatenate(
        [np.full(len(members["t"]), "t"), test_set[mix], np.full(len(members["u"]), "u")]
    )
    return order, kaggle_set


def simulate(n_events: int = wt.OFFICIAL_EVENTS, seed: int = 0, progress: Progress | None = None):
    """Simulate ``n_events`` selected events; returns a :class:`Simulation`."""
    if n_events < 1:
        raise ValueError(f"n_events must be positive, got {n_events}")
    sizes = wt.set_sizes(n_events)
    n_signal = sum(wt.signal_counts(sizes).values())
    counts = wt.process_counts(n_signal, n_events - n_signal)
    streams = np.random.SeedSequence(seed).spawn(len(PROCESSES) + 1)
    parts, names = [], []
    for (name, count), stream in zip(counts.items(), streams, strict=False):
        if progress:
            progress(f"simulating {name}")
        if count:
            parts.append(select_events(np.random.default_rng(stream), name, count))
            names.append(np.full(count, name))
    reco, process = _concat(parts), np.concatenate(names)
    if progress:
        progress("computing features")
    features = compute_features(reco)
    label = np.where(
        np.isin(process, [n for n, s in wt.SAMPLES.items() if s.label == "s"]), "s", "b"
    )
    if progress:
        progress("splitting and weighting")
    order, kaggle_set = assign_sets(np.random.default_rng(streams[-1]), label)
    weight = wt.process_weights(process)[order]
    label, process = label[order], process[order]
    columns = {"EventId": np.arange(wt.FIRST_EVENT_ID, wt.FIRST_EVENT_ID + n_events)}
    for name in FEATURES:
        columns[name] = np.round(features[name][order], 3)
    columns["PRI_jet_num"] = columns["PRI_jet_num"].astype(np.int64)
    columns["Weight"] = weight
    columns["Label"] = label
    columns["KaggleSet"] = kaggle_set
    columns["KaggleWeight"] = wt.kaggle_weights(weight, label, kaggle_set)
    return Simulation(pd.DataFrame(columns, columns=list(CERN_COLUMNS)), process)


def simulate_events(n_events: int = wt.OFFICIAL_EVENTS, seed: int = 0) -> pd.DataFrame:
    """Simulated events in the CERN Open Data layout: all 35 columns in the official order.

    EventId from 100000; KaggleSet t (training) first, then b (public) and v (private)
    interleaved, then u (unused), in the official proportions; ``Weight`` sums per class to
    the official totals over the file and ``KaggleWeight`` within each set. Deterministic
    for a given ``(n_events, seed)``.
    """
    return simulate(n_events, seed).events

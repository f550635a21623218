"""Hidden solutions and input data of a phase, as the worker reads them.

A phase's solution is stored with a ``Usage`` column (Public/Private) that the bundle's
split declared; ``with_usage`` adds it. Solutions are read once per worker process and kept
(keyed by their checksum), so that scoring a submission does not parse the solution again.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from django.conf import settings

from fivesigma.challenges.engine import stored_files
from fivesigma.challenges.engine.reasons import ScoringFailure
from fivesigma.challenges.models import DataFile, Phase


def load_solution(phase: Phase):
    solution = phase.hidden_file(DataFile.SOLUTION)
    if solution is None:
        raise ScoringFailure("This phase has no solution file yet; the organisers have been told.")
    return _read_solution(
        phase.metric,
        tuple(sorted(phase.metric_options.items())),
        str(stored_files.local_path(solution.file, solution.sha256)),
        solution.sha256,
    )


@lru_cache(maxsize=4)
def _read_solution(metric_key: str, options: tuple, path: str, sha256: str):
    from fivesigma.scoring import registry

    return registry.get(metric_key, **dict(options)).read_solution(path)


def input_directory(phase: Phase) -> Path:
    """A local directory holding exactly the phase's input files, mounted read-only in the sandbox."""
    inputs = list(phase.files.filter(role=DataFile.INPUT))
    if not inputs:
        raise ScoringFailure("This code phase has no input data; the organisers have been told.")
    first = stored_files.local_path(inputs[0].file, inputs[0].sha256)
    root = first.parent
    names = {Path(f.name).name for f in inputs}
    if {p.name for p in root.iterdir()} == names:
        return root  # local storage keeps a phase's inputs in their own directory
    # Named by the inputs' checksums: a bundle reload that changes them gets a new directory.
    listed = "".join(sorted(f"{f.name}\0{f.sha256}\n" for f in inputs))
    key = hashlib.sha256(listed.encode()).hexdigest()[:16]
    root = Path(settings.DATA_DIR) / "cache" / f"phase-input-{phase.pk}-{key}"
    root.mkdir(parents=True, exist_ok=True)
    for data_file in inputs:
        target = root / Path(data_file.name).name
        if not target.exists():
            stored_files.place(stored_files.local_path(data_file.file, data_file.sha256), target)
    return root


def with_usage(solution: pd.DataFrame, split: dict) -> pd.DataFrame:
    """Add the ``Usage`` column (Public/Private) that the scorers read, as the split says.

    ``{by: usage}``: the solution has it already. ``{by: column, column: C, public: a, private: b}``:
    rows whose C is a are public, b private, others dropped (e.g. KaggleSet b/v).
    ``{by: event, column: event_id, public_fraction: f, seed: s}``: whole events drawn at random.
    """
    by = split.get("by", "usage")
    if by == "usage":
        if "Usage" not in solution.columns:
            raise ValueError("has no Usage column; add one or declare a split in the phase")
        return solution
    column = split.get("column")
    if not isinstance(column, str) or column not in solution.columns:
        raise ValueError(
            f"split column {column!r} is not in the solution (columns: {', '.join(solution.columns[:12])})"
        )
    if by == "column":
        usage = solution[column].map(
            {split.get("public"): "Public", split.get("private"): "Private"}
        )
        if usage.notna().sum() == 0:
            raise ValueError(
                f"no row of column '{column}' has value {split.get('public')!r} or {split.get('private')!r}"
            )
        return solution.assign(Usage=usage)[usage.notna()].reset_index(drop=True)
    if by == "event":
        event_ids = pd.to_numeric(solution[column], errors="coerce")
        if event_ids.isna().any():
            raise ValueError(
                f"split column '{column}' must hold an event id (a number) on every row"
            )
        events = np.unique(event_ids.to_numpy())
        seed, fraction = split.get("seed", 0), split.get("public_fraction", 0.3)
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"split seed must be a whole number >= 0, not {seed!r}")
        if isinstance(fraction, bool) or not isinstance(fraction, int | float):
            raise ValueError(f"split public_fraction must be a number, not {fraction!r}")
        if not 0 < fraction < 1:
            raise ValueError(f"split public_fraction must be between 0 and 1, not {fraction!r}")
        rng = np.random.default_rng(seed)
        n_public = int(round(fraction * len(events)))
        public = set(rng.choice(events, size=n_public, replace=False).tolist())
        return solution.assign(Usage=np.where(event_ids.isin(public), "Public", "Private"))
    raise ValueError(f"split 'by: {by}' is unknown (usage, column or event)")

"""The shape every leaderboard metric shares: what it needs, how it reads and how it reports.

A metric declares its direction and range (``higher_is_better``, ``best``, ``worst``), the
columns of the hidden solution and of a submission, and implements ``evaluate``, which
returns the public and private scores with bootstrap replicas and diagnostics, all plain
JSON-serialisable Python.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from fivesigma.scoring.csv_reader import DEFAULT_MAX_BYTES, read_csv
from fivesigma.scoring.kernels.bootstrap import interval
from fivesigma.scoring.validation import SubmissionError, check_columns, raise_if


class Metric:
    """Base class of a leaderboard metric; options come from a challenge bundle."""

    key: ClassVar[str]
    title: ClassVar[str]
    higher_is_better: ClassVar[bool]
    best: ClassVar[float]
    worst: ClassVar[float]
    formula_latex: ClassVar[str]
    description: ClassVar[str]
    submission_columns: tuple[str, ...]
    solution_columns: tuple[str, ...]
    option_defaults: ClassVar[dict[str, Any]] = {}
    _common_defaults: ClassVar[dict[str, Any]] = {
        "max_bytes": DEFAULT_MAX_BYTES,
        "confidence": 0.95,
    }

    def __init__(self, **options):
        known = {**self._common_defaults, **self.option_defaults}
        unknown = sorted(set(options) - set(known))
        if unknown:
            raise ValueError(
                f"unknown option(s) {', '.join(unknown)} for metric {self.key!r}; known options: {', '.join(sorted(known))}"
            )
        self.options = {**known, **options}
        if not 0.0 < float(self.options["confidence"]) < 1.0:
            raise ValueError(
                f"option confidence must lie strictly between 0 and 1, got {self.options['confidence']!r}"
            )

    # A built-in metric ranks by its one value; a declared leaderboard may break ties by more
    # columns (scoring/declared.py).
    breaks_ties: ClassVar[bool] = False

    def tie_breaks(self, figures: dict) -> tuple[float, ...]:
        """The ordering key, after the score itself, of a score's other ``figures``."""
        return ()

    def __repr__(self) -> str:
        changed = {
            k: v
            for k, v in self.options.items()
            if v != {**self._common_defaults, **self.option_defaults}[k]
        }
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in changed.items())})"

    # -- reading -----------------------------------------------------------------------

    def read_submission(self, source, name: str = "submission.csv") -> pd.DataFrame:
        """Read and format-check a submission (path or binary file-like; csv, csv.gz or zip).

        Raises :class:`~scoring.validation.SubmissionError` listing every format problem.
        """
        frame = read_csv(source, name, max_bytes=self.options["max_bytes"])
        frame.columns = [str(c).strip() for c in frame.columns]
        raise_if(check_columns(frame, self.submission_columns), name)
        if frame.empty:
            raise SubmissionError(["the file has a header but no rows"], name)
        frame, problems = self.validate_submission(frame)
        raise_if(problems, name)
        return frame

    def read_solution(self, path) -> pd.DataFrame:
        """Read the hidden solution (CSV, optionally gzip); a malformed file raises ValueError.

        The leaderboard column (Usage or KaggleSet) is not required here, so that a site can
        add it after reading; :meth:`check` and :meth:`evaluate` need it.
        """
        try:
            frame = read_csv(path, max_bytes=2**62)
        except SubmissionError as error:
            raise ValueError(f"solution {error}") from None
        missing = [c for c in self.solution_columns if c not in frame.columns]
        if missing:
            raise ValueError(
                f"solution {path}: missing column(s) {', '.join(missing)}; it has {', '.join(map(str, frame.columns))}"
            )
        return frame

    def validate_submission(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
        """Column types and values of a submission with the right header: (clean frame, problems)."""
        raise NotImplementedError

    # -- scoring -----------------------------------------------------------------------

    def check(self, solution: pd.DataFrame, submission: pd.DataFrame) -> None:
        """Raise :class:`~scoring.validation.SubmissionError` when ids do not match the solution."""
        raise NotImplementedError

    def evaluate(
        self,
        solution: pd.DataFrame,
        submission: pd.DataFrame,
        *,
        n_bootstrap: int = 1000,
        seed: int = 0,
        **context,
    ) -> dict:
        """Public and private scores with bootstrap intervals and replicas, and diagnostics."""
        raise NotImplementedError

    def subset_result(self, score: float, replicas: np.ndarray) -> dict:
        """``{"score", "ci_low", "ci_high", "replicas"}`` for one leaderboard subset."""
        replicas = np.asarray(replicas, dtype=np.float64)
        low, high = (
            interval(replicas, self.options["confidence"]) if replicas.size else (score, score)
        )
        return {
            "score": float(score),
            "ci_low": low,
            "ci_high": high,
            "replicas": [float(r) for r in replicas],
        }


def finite_or_none(value: float) -> float | None:
    """A float for JSON: None instead of NaN or infinity."""
    value = float(value)
    return value if math.isfinite(value) else None


def downsample(n: int, size: int, keep: int | None = None) -> np.ndarray:
    """At most ``size`` sorted indices spread evenly over 0..n-1, always including ``keep``."""
    if n <= size:
        return np.arange(n)
    picked = np.unique(np.linspace(0, n - 1, size - (keep is not None)).round().astype(np.int64))
    if keep is not None:
        picked = np.unique(np.append(picked, keep))
    return picked


def rounded(values, digits: int = 6) -> list[float]:
    """Plain floats to ``digits`` significant digits (compact JSON for charts)."""
    return [float(f"{v:.{digits}g}") for v in np.asarray(values, dtype=np.float64)]

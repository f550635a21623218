"""Format checks of submissions, with messages a participant can act on.

Every check returns a list of problems (plain sentences naming the column, the row and the
id involved); a reader collects them and raises one :class:`SubmissionError`. Rows are
counted from 1 over the data rows of the file (the header is not a row).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

SHOWN_PROBLEMS = 10
SHOWN_EXAMPLES = 5


class SubmissionError(Exception):
    """A submission that cannot be scored; ``problems`` lists what is wrong, one sentence each."""

    def __init__(self, problems: Sequence[str], source: str | None = None):
        self.problems = list(problems)
        self.source = source
        super().__init__(self._message())

    def _message(self) -> str:
        where = f"{self.source}: " if self.source else ""
        if len(self.problems) == 1:
            return f"{where}{self.problems[0]}"
        lines = [f"{where}{len(self.problems)} problems found:"]
        lines += [f"  - {p}" for p in self.problems[:SHOWN_PROBLEMS]]
        if len(self.problems) > SHOWN_PROBLEMS:
            lines.append(f"  ... and {len(self.problems) - SHOWN_PROBLEMS} more")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self._message()


def raise_if(problems: Sequence[str], source: str | None = None) -> None:
    """Raise :class:`SubmissionError` when ``problems`` is not empty."""
    if problems:
        raise SubmissionError(problems, source)


def examples(values, limit: int = SHOWN_EXAMPLES) -> str:
    """The first few values as readable text: ``1, 2, 3 (and 7 more)``."""
    values = list(values)
    shown = ", ".join(_plain(v) for v in values[:limit])
    if len(values) > limit:
        shown += f" (and {len(values) - limit} more)"
    return shown


def _plain(value) -> str:
    if isinstance(value, np.generic):
        value = value.item()
    return repr(value) if isinstance(value, str) else str(value)


def _rows(positions: np.ndarray) -> str:
    return examples(np.asarray(positions) + 1)


def check_columns(frame: pd.DataFrame, required: Sequence[str]) -> list[str]:
    """One problem describing a wrong header: missing or unexpected columns."""
    found = [str(c) for c in frame.columns]
    missing = [c for c in required if c not in found]
    extra = [c for c in found if c not in required]
    if not (missing or extra):
        return []
    parts = [f"the header must be {','.join(required)}"]
    if missing:
        parts.append(f"missing {', '.join(missing)}")
    if extra:
        parts.append(
            f"unexpected {', '.join(extra[:SHOWN_EXAMPLES])}"
            + (f" (and {len(extra) - SHOWN_EXAMPLES} more)" if len(extra) > SHOWN_EXAMPLES else "")
        )
    lower = {c.lower(): c for c in extra}
    if any(c.lower() in lower for c in missing):
        parts.append("column names are case-sensitive")
    return ["; ".join(parts)]


def integer_column(
    frame: pd.DataFrame, column: str, minimum: int | None = None
) -> tuple[np.ndarray | None, list[str]]:
    """The column as int64, or the problems: empty cells, non-numbers, fractions, values below ``minimum``."""
    series = frame[column]
    if pd.api.types.is_integer_dtype(series.dtype):
        values = series.to_numpy(dtype=np.int64)
    else:
        numbers, problems = _numbers(series, column)
        if numbers is None:
            return None, problems
        fractional = np.flatnonzero(numbers != np.round(numbers))
        if fractional.size:
            return None, [
                f"column {column!r} must hold whole numbers; rows {_rows(fractional)} have {examples(series.iloc[fractional[:SHOWN_EXAMPLES]])}"
            ]
        values = numbers.astype(np.int64)
    if minimum is not None:
        low = np.flatnonzero(values < minimum)
        if low.size:
            return None, [
                f"column {column!r} must be >= {minimum}; rows {_rows(low)} have {examples(values[low[:SHOWN_EXAMPLES]])}"
            ]
    return values, []


def float_column(
    frame: pd.DataFrame, column: str, low: float | None = None, high: float | None = None
) -> tuple[np.ndarray | None, list[str]]:
    """The column as finite float64 within [low, high], or the problems."""
    numbers, problems = _numbers(frame[column], column)
    if numbers is None:
        return None, problems
    infinite = np.flatnonzero(~np.isfinite(numbers))
    if infinite.size:
        return None, [f"column {column!r} has infinite values in rows {_rows(infinite)}"]
    outside = np.zeros(numbers.shape, dtype=bool)
    if low is not None:
        outside |= numbers < low
    if high is not None:
        outside |= numbers > high
    bad = np.flatnonzero(outside)
    if bad.size:
        return None, [
            f"column {column!r} must lie in [{low}, {high}]; rows {_rows(bad)} have {examples(numbers[bad[:SHOWN_EXAMPLES]])}"
        ]
    return numbers, []


def _numbers(series: pd.Series, column: str) -> tuple[np.ndarray | None, list[str]]:
    """The column as float64, or None and the problems (empty cells, text)."""
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        numbers = series.to_numpy(dtype=np.float64)
        empty = np.flatnonzero(np.isnan(numbers))
        if empty.size:
            return None, [f"column {column!r} has empty or NaN values in rows {_rows(empty)}"]
        return numbers, []
    numbers = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64)
    missing = series.isna().to_numpy()
    problems = []
    empty = np.flatnonzero(missing)
    if empty.size:
        problems.append(f"column {column!r} has empty values in rows {_rows(empty)}")
    text = np.flatnonzero(np.isnan(numbers) & ~missing)
    if text.size:
        shown = series.iloc[text[:SHOWN_EXAMPLES]].astype(str).tolist()
        problems.append(
            f"column {column!r} must be numeric; rows {_rows(text)} hold {examples(shown)}"
        )
    return (None, problems) if problems else (numbers, [])


def label_column(
    frame: pd.DataFrame, column: str, allowed: Sequence[str]
) -> tuple[np.ndarray | None, list[str]]:
    """The column as an object array of strings from ``allowed``, or the problems."""
    values = frame[column].to_numpy(dtype=object)
    ok = np.zeros(values.shape, dtype=bool)
    for label in allowed:
        ok |= values == label
    bad = np.flatnonzero(~ok)
    if bad.size:
        shown = ["" if pd.isna(v) else str(v) for v in values[bad[:SHOWN_EXAMPLES]]]
        return None, [
            f"column {column!r} must be one of {', '.join(allowed)}; rows {_rows(bad)} hold {examples(shown)}"
        ]
    return values, []


def unique_ids(ids: np.ndarray, column: str) -> list[str]:
    """Ids that occur more than once (the first few, with their rows)."""
    order = np.argsort(ids, kind="stable")
    ordered = ids[order]
    repeated = np.flatnonzero(ordered[1:] == ordered[:-1]) + 1
    if not repeated.size:
        return []
    first_rows = np.sort(order[repeated])
    duplicated = pd.unique(ids[first_rows])
    return [
        f"{len(repeated)} duplicated value(s) in column {column!r}, e.g. {examples(duplicated)} (repeated at rows {_rows(first_rows)})"
    ]


def permutation(ranks: np.ndarray, column: str) -> list[str]:
    """``ranks`` must be a permutation of 1..N (each rank exactly once)."""
    n = ranks.size
    outside = np.flatnonzero((ranks < 1) | (ranks > n))
    top = int(ranks.max()) if n else 0
    if outside.size and ranks.min() >= 1 and np.unique(ranks).size == n:
        # distinct ranks up to top > n: a complete ranking that lost top - n rows
        absent = np.setdiff1d(np.arange(1, top + 1), ranks)
        return [
            f"{rows_missing(top - n)}, or column {column!r} is wrong: it holds distinct ranks up to {top} but the file has {n} rows; ranks {examples(absent)} have no row"
        ]
    if outside.size:
        return [
            f"column {column!r} must be a permutation of 1..{n}; rows {_rows(outside)} hold {examples(ranks[outside[:SHOWN_EXAMPLES]])}"
        ]
    counts = np.bincount(ranks - 1, minlength=n)
    if np.all(counts == 1):
        return []
    repeated = np.flatnonzero(counts > 1) + 1
    absent = np.flatnonzero(counts == 0) + 1
    return [
        f"column {column!r} must be a permutation of 1..{n}; value(s) {examples(repeated)} are repeated and {examples(absent)} are absent"
    ]


def rows_missing(n: int) -> str:
    """How many rows a submission lacks, as its problem begins: "1 row is missing"."""
    return "1 row is missing" if n == 1 else f"{n} rows are missing"


def match_ids(
    expected: np.ndarray, submitted: np.ndarray, known: np.ndarray, what: str
) -> np.ndarray:
    """Positions in ``submitted`` of each of the ``expected`` ids, or a :class:`SubmissionError`.

    ``expected`` are the ids that must be scored, ``known`` all ids the solution has (a
    submission may include known ids that are not scored). ``submitted`` must be unique.
    """
    positions = pd.Index(submitted).get_indexer(expected)
    missing = np.flatnonzero(positions < 0)
    if not missing.size and submitted.size == expected.size:
        return positions
    problems = []
    if missing.size:
        problems.append(
            f"{rows_missing(missing.size)}: {missing.size} {what}(s) of the test set are not in the submission, e.g. {examples(expected[missing])}"
        )
    unknown = np.flatnonzero(pd.Index(known).get_indexer(submitted) < 0)
    if unknown.size:
        problems.append(
            f"{unknown.size} {what}(s) in the submission are not in the test set, e.g. {examples(submitted[unknown])} (rows {_rows(unknown)})"
        )
    if problems:
        problems.append(
            f"the submission has {submitted.size} rows; the test set needs one row for each of its {expected.size} {what}s"
        )
        raise SubmissionError(problems)
    return positions

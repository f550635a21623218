"""The public and private leaderboard subsets of a solution file.

A solution marks each row with ``Usage`` = ``Public`` or ``Private`` (the Kaggle convention)
or, as in the CERN Open Data HiggsML file, ``KaggleSet`` = ``b`` (public) or ``v`` (private).
Rows with any other value (training, unused) are not scored.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SUBSETS = ("public", "private")
_CODES = {
    "Usage": {"public": "public", "private": "private"},
    "KaggleSet": {"b": "public", "v": "private"},
}


def subset_column(solution: pd.DataFrame) -> str:
    """The name of the column that assigns rows to leaderboards (``Usage`` or ``KaggleSet``)."""
    for column in _CODES:
        if column in solution.columns:
            return column
    raise ValueError(
        "the solution has neither a 'Usage' column (Public/Private) nor a 'KaggleSet' column (b/v)"
    )


def subset_masks(solution: pd.DataFrame) -> dict[str, np.ndarray]:
    """Boolean row masks ``{"public": ..., "private": ...}`` over the solution's rows."""
    column = subset_column(solution)
    codes, values = pd.factorize(solution[column], use_na_sentinel=True)
    subset_of_value = [_CODES[column].get(_normal(column, v)) for v in values]
    return {
        subset: np.isin(codes, [i for i, s in enumerate(subset_of_value) if s == subset])
        for subset in SUBSETS
    }


def _normal(column: str, value) -> str:
    text = str(value).strip()
    return text.lower() if column == "Usage" else text

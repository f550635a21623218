"""A leaderboard declared by a bundle: the columns an organiser's scoring program fills.

A program-scored phase has no built-in metric. Its bundle declares the leaderboard's columns
(key in the program's ``scores.json``, title, sorting, precision, and which columns rank), and
:class:`DeclaredLeaderboard` plays the metric's part for the engine: the direction of the
ranking column, a title, and the result of one scoring in the shape ``Metric.evaluate``
returns, so that standings, ranking, final selection and re-scoring treat both alike.

Ranking: the column with ``rank`` 1 gives a submission's score; ties are broken by the column
with ``rank`` 2, then 3, ... (each in its own direction), then by upload time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    """One leaderboard column: ``sorting`` "desc" means higher is better."""

    key: str
    title: str
    sorting: str = "desc"
    precision: int = 4
    rank: int | None = None

    @property
    def higher_is_better(self) -> bool:
        return self.sorting != "asc"


class DeclaredLeaderboard:
    """The metric of a program-scored phase, from its declared columns."""

    key = "program"
    formula_latex = ""
    submission_columns: tuple[str, ...] = ()

    def __init__(self, columns: list[dict]):
        if not columns:
            raise ValueError("a program-scored phase declares at least one leaderboard column")
        self.columns = [Column(**column) for column in columns]
        ranked = sorted((c for c in self.columns if c.rank is not None), key=lambda c: c.rank or 0)
        self.ranked = ranked or [self.columns[0]]  # no rank given: the first column ranks

    @property
    def breaks_ties(self) -> bool:
        return len(self.ranked) > 1

    @property
    def ranking(self) -> Column:
        return self.ranked[0]

    @property
    def title(self) -> str:
        return self.ranking.title

    @property
    def higher_is_better(self) -> bool:
        return self.ranking.higher_is_better

    @property
    def best(self) -> float:
        return math.inf if self.higher_is_better else -math.inf

    @property
    def worst(self) -> float:
        return -self.best

    @property
    def description(self) -> str:
        others = ", ".join(f"{c.title} (`{c.key}`)" for c in self.columns[1:])
        text = (
            f"Scored by the organisers' program; the leaderboard ranks by **{self.title}** "
            f"(`{self.ranking.key}`, {'higher' if self.higher_is_better else 'lower'} is better)"
        )
        if len(self.ranked) > 1:
            text += ", ties broken by " + ", ".join(c.title for c in self.ranked[1:])
        return text + (f". Also shown: {others}." if others else ".")

    def tie_breaks(self, figures: dict) -> tuple[float, ...]:
        """The ordering key of the tie-break columns of one score's ``figures`` (its details):
        best first, undefined last."""
        key: list[float] = []
        for column in self.ranked[1:]:
            value = figures.get(column.key)
            if value is None or value != value:
                key += [1.0, 0.0]
            else:
                key += [0.0, -float(value) if column.higher_is_better else float(value)]
        return tuple(key)

    def result(self, public: dict[str, float | None], private: dict[str, float | None]) -> dict:
        """What one scoring gives, as ``Metric.evaluate`` returns it: per subset the ranking
        column's value as ``score`` (no bootstrap interval: a program reports numbers only)
        and every named number beside it."""
        return {
            subset: {**figures, "score": _number(figures.get(self.ranking.key))}
            for subset, figures in (("public", public), ("private", private))
        }


def _number(value) -> float:
    return math.nan if value is None else float(value)

"""How the pages show a program-scored phase's declared leaderboard columns.

A bundle declares each column's key (in the program's ``scores.json``), title, sorting
("desc": higher is better), precision (digits after the point) and rank (1 ranks the board,
2 breaks its ties, ...); ``scoring.declared.Column`` holds them. A phase scored by a built-in
metric declares none, and its pages show what they always did.
"""

from __future__ import annotations

from dataclasses import dataclass

UNDEFINED = "—"


@dataclass(frozen=True)
class Heading:
    """A column's heading: its title and what it does to the order of the board."""

    key: str
    title: str
    precision: int
    higher_is_better: bool
    rank: int | None  # 1: ranks the board; 2, 3, ...: breaks ties in that order; None: shown

    @property
    def ranks(self) -> bool:
        return self.rank == 1

    @property
    def direction(self) -> str:
        return "higher is better" if self.higher_is_better else "lower is better"

    @property
    def role(self) -> str:
        """What the column does, in words (the heading's tooltip)."""
        if self.ranks:
            return f"ranks the leaderboard; {self.direction}"
        if self.rank is not None:
            return f"breaks ties ({self.rank}); {self.direction}"
        return self.direction


def headings(metric) -> list[Heading]:
    """The headings of a ``DeclaredLeaderboard``'s columns in the bundle's order; ranks are
    counted from the ranking column (a bundle that names none ranks by its first column)."""
    order = {column.key: place for place, column in enumerate(metric.ranked, start=1)}
    return [
        Heading(c.key, c.title, c.precision, c.higher_is_better, order.get(c.key))
        for c in metric.columns
    ]


def shown(value: float | None, precision: int) -> str:
    """A figure with its column's precision (digits after the point); a dash when undefined."""
    if value is None or value != value:
        return UNDEFINED
    return f"{float(value):.{precision}f}"


def cells(columns: list[Heading], figures: dict) -> list[str]:
    """One row's figures (column key -> number), as shown under ``columns``."""
    return [shown(figures.get(c.key), c.precision) for c in columns]


def ranking_sentence(columns: list[Heading]) -> str:
    """The sentence above the table, e.g. "Ranked by Accuracy (higher is better), ties broken
    by Time (lower is better)."."""
    ranked = sorted((c for c in columns if c.rank is not None), key=lambda c: c.rank or 0)
    if not ranked:
        return ""
    text = f"Ranked by {ranked[0].title} ({ranked[0].direction})"
    if len(ranked) > 1:
        text += ", ties broken by " + ", then ".join(
            f"{c.title} ({c.direction})" for c in ranked[1:]
        )
    return text + "."

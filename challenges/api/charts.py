"""Data of the leaderboard charts: best score over time, baselines, accuracy against speed."""

from __future__ import annotations

from fivesigma.challenges.engine.leaderboard import Leaderboard
from fivesigma.challenges.models import Phase


def chart_data(board: Leaderboard) -> dict:
    """What the leaderboard page plots, from the computed board and the record line."""
    rows = board.rows
    return {
        "subset": board.subset,
        "higher_is_better": board.higher_is_better,
        "metric": board.phase.metric,
        "kind": board.phase.kind,
        "records": board.records,
        "benchmarks": [
            {"team": r.team, "score": r.value}
            for r in rows
            if r.is_benchmark and r.value is not None
        ],
        "speed": [
            {
                "team": r.team,
                "score": r.value,
                "accuracy": r.details.get("accuracy"),
                "seconds_per_event": r.details.get("seconds_per_event"),
                "is_benchmark": r.is_benchmark,
            }
            for r in rows
            if board.phase.kind == Phase.CODE and r.value is not None
        ],
    }

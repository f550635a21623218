"""Data of the leaderboard charts: best score over time, baselines, accuracy against speed."""

from __future__ import annotations

from django.db.models import F, Max, Min, Q, Window
from django.db.models.expressions import RowRange

from challenges.leaderboard import Leaderboard
from challenges.models import Phase, Score, Submission


def best_over_time(phase: Phase, subset: str, higher_is_better: bool) -> list[dict]:
    """Every score that beat all earlier ones (in upload order): the steps of the record line.

    One query: a running best over the previous rows, kept where the row improves on it.
    Benchmark teams and late submissions are left out, as on the leaderboard.
    """
    running = Max if higher_is_better else Min
    improves = (
        Q(value__gt=F("previous_best")) if higher_is_better else Q(value__lt=F("previous_best"))
    )
    records = (
        Score.objects.filter(
            phase=phase,
            subset=subset,
            current=True,
            value__isnull=False,
            submission__status=Submission.FINISHED,
            submission__is_late=False,
            team__is_benchmark=False,
        )
        .annotate(
            previous_best=Window(
                running("value"),
                order_by=[F("submitted").asc(), F("id").asc()],
                frame=RowRange(start=None, end=-1),
            )
        )
        .filter(Q(previous_best__isnull=True) | improves)
        .order_by("submitted", "id")
        .values_list("submitted", "value", "team__name")
    )
    return [{"at": at, "score": value, "team": team} for at, value, team in records]


def chart_data(board: Leaderboard) -> dict:
    """What the leaderboard page plots, from the computed board and the record line."""
    rows = board.rows
    return {
        "subset": board.subset,
        "higher_is_better": board.higher_is_better,
        "metric": board.phase.metric,
        "kind": board.phase.kind,
        "records": best_over_time(board.phase, board.subset, board.higher_is_better),
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

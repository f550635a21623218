"""A leaderboard declared by columns: direction, title, tie-breaks, the evaluate-shaped result."""

from __future__ import annotations

import math

import pytest

from fivesigma.scoring.declared import DeclaredLeaderboard

COLUMNS = [
    {"key": "width", "title": "Interval width", "sorting": "asc", "precision": 3, "rank": 2},
    {"key": "score", "title": "Score", "sorting": "desc", "precision": 4, "rank": 1},
    {"key": "mae", "title": "MAE", "sorting": "asc", "precision": 3},
]


def test_the_rank_1_column_ranks_and_gives_title_and_direction():
    board = DeclaredLeaderboard(COLUMNS)
    assert board.ranking.key == "score" and board.title == "Score"
    assert board.higher_is_better and board.best == math.inf and board.worst == -math.inf
    lower = DeclaredLeaderboard([{**COLUMNS[0], "rank": 1}])
    assert not lower.higher_is_better and lower.best == -math.inf


def test_without_ranks_the_first_column_ranks():
    board = DeclaredLeaderboard([{"key": "loss", "title": "Loss", "sorting": "asc"}])
    assert board.ranking.key == "loss" and not board.higher_is_better


def test_tie_breaks_order_by_the_next_ranked_columns_best_first_undefined_last():
    board = DeclaredLeaderboard(COLUMNS)
    narrow, wide, missing = {"width": 0.1}, {"width": 0.4}, {"width": None}
    order = sorted([wide, missing, narrow], key=board.tie_breaks)
    assert order == [narrow, wide, missing]  # width: lower is better


def test_result_has_the_ranking_value_as_score_and_every_number_beside_it():
    board = DeclaredLeaderboard(COLUMNS)
    result = board.result({"score": 1.5, "width": 0.2}, {"score": None, "width": 0.3})
    assert result["public"] == {"score": 1.5, "width": 0.2}
    assert math.isnan(result["private"]["score"]) and result["private"]["width"] == 0.3


def test_no_columns_is_refused():
    with pytest.raises(ValueError, match="at least one leaderboard column"):
        DeclaredLeaderboard([])

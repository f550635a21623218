"""Leaderboard pages and CSV downloads; visibility decided on the server."""

from __future__ import annotations

import csv

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string

from fivesigma.challenges.engine import leaderboard, visibility
from fivesigma.challenges.web import columns

PAGE_SIZE = 100


def leaderboard_page(request, slug: str, key: str):
    challenge = visibility.challenge(request.user, slug)
    phase = visibility.phase(challenge, key)
    subset = visibility.subset(request.user, phase, request.GET.get("subset"))
    board = leaderboard.board(phase, subset)
    page = Paginator(board.rows, PAGE_SIZE).get_page(request.GET.get("page"))
    metric = phase.get_metric()
    declared = columns.headings(metric) if board.columns else []

    def table() -> str:
        """The rendered table of this page, kept on the board (one per board version)."""
        rows = [
            (row, columns.cells(declared, row.columns))
            for row in board.page(page.number, PAGE_SIZE)
        ]
        context = {"rows": rows, "subset": subset, "phase": phase, "columns": declared}
        return render_to_string("challenges/_leaderboard_table.html", context)

    return render(
        request,
        "challenges/leaderboard.html",
        {
            "challenge": challenge,
            "phase": phase,
            "board": board,
            "page_obj": page,
            "table": board.derived(("table", page.number), table),
            "subset": subset,
            "metric": metric,
            "ranking": columns.ranking_sentence(declared),
            "can_see_private": visibility.can_see_private(request.user, phase),
        },
    )


def leaderboard_csv(request, slug: str, key: str):
    """The whole board as CSV; a program-scored phase's declared columns follow the score
    (headed by their keys, figures in full precision, empty when undefined)."""
    challenge = visibility.challenge(request.user, slug)
    phase = visibility.phase(challenge, key)
    subset = visibility.subset(request.user, phase, request.GET.get("subset"))
    board = leaderboard.board(phase, subset)
    response = HttpResponse(content_type="text/csv")
    response["Content-Disposition"] = (
        f'attachment; filename="{challenge.slug}-{phase.key}-{subset}.csv"'
    )
    writer = csv.writer(response)
    keys = [column.key for column in board.columns]
    writer.writerow(
        ["rank", "team", "benchmark", "score", "ci_low", "ci_high"]
        + keys
        + ["entries", "last_submission"]
    )
    for row in board.rows:
        writer.writerow(
            [
                row.rank or "",
                row.team,
                int(row.is_benchmark),
                _exact(row.value),
                row.ci_low if row.ci_low is not None else "",
                row.ci_high if row.ci_high is not None else "",
                *(_exact(row.columns.get(key)) for key in keys),
                row.entries,
                row.last_submission.isoformat() if row.last_submission else "",
            ]
        )
    return response


def _exact(value: float | None) -> str:
    """A figure in full precision (``repr``), empty when undefined."""
    return "" if value is None else repr(value)

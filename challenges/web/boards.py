"""Leaderboard pages and CSV downloads; visibility decided on the server."""

from __future__ import annotations

import csv
from dataclasses import replace

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render

from fivesigma.challenges.engine import leaderboard, visibility
from fivesigma.challenges.models import Score
from fivesigma.challenges.web.common import get_challenge, get_phase

PAGE_SIZE = 100


def requested_subset(request, phase) -> str:
    """Private only when asked for and allowed; 404 otherwise, so nothing leaks by guessing."""
    subset = request.GET.get("subset", Score.PUBLIC)
    if subset not in (Score.PUBLIC, Score.PRIVATE):
        raise Http404("Unknown subset.")
    if subset == Score.PRIVATE and not visibility.can_see_private(request.user, phase):
        raise Http404("The private leaderboard is shown after the phase ends.")
    return subset


def leaderboard_page(request, slug: str, phase: str):
    challenge = get_challenge(request.user, slug)
    phase = get_phase(challenge, phase)
    default = Score.PRIVATE if phase.has_ended() else Score.PUBLIC
    if "subset" not in request.GET:
        request.GET = request.GET.copy()
        request.GET["subset"] = default
    subset = requested_subset(request, phase)
    board = leaderboard.board(phase, subset)
    page = Paginator(board.rows, PAGE_SIZE).get_page(request.GET.get("page"))

    def rows() -> list:
        """The page's rows with ties marked: called by the template only when the rendered
        table of this board version and page is not in the cache."""
        copies = [replace(row) for row in page.object_list]  # the board's rows are shared
        leaderboard.mark_ties(copies, board.higher_is_better)
        return copies

    return render(
        request,
        "challenges/leaderboard.html",
        {
            "challenge": challenge,
            "phase": phase,
            "board": board,
            "page_obj": page,
            "rows": rows,
            "subset": subset,
            "metric": phase.get_metric(),
            "can_see_private": visibility.can_see_private(request.user, phase),
            "pages": [
                ("overview", "Overview"),
                ("data", "Data"),
                ("evaluation", "Evaluation"),
                ("rules", "Rules"),
            ],
        },
    )


def leaderboard_csv(request, slug: str, phase: str):
    challenge = get_challenge(request.user, slug)
    phase = get_phase(challenge, phase)
    subset = requested_subset(request, phase)
    board = leaderboard.board(phase, subset)
    response = HttpResponse(content_type="text/csv")
    response["Content-Disposition"] = (
        f'attachment; filename="{challenge.slug}-{phase.key}-{subset}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(
        ["rank", "team", "benchmark", "score", "ci_low", "ci_high", "entries", "last_submission"]
    )
    for row in board.rows:
        writer.writerow(
            [
                row.rank or "",
                row.team,
                int(row.is_benchmark),
                "" if row.value is None else repr(row.value),
                row.ci_low if row.ci_low is not None else "",
                row.ci_high if row.ci_high is not None else "",
                row.entries,
                row.last_submission.isoformat() if row.last_submission else "",
            ]
        )
    return response

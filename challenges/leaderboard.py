"""Leaderboards, computed on the server from Score rows, right by construction.

Rules, each a small strategy class:
- ``BestPublic``: during a phase, one row per team with its best public score.
- ``FinalPrivate``: after the end, the private score of the team's selected final submissions
  (or, when none is selected, of its best public ones, as Kaggle did).
Ordering: the metric says whether higher is better; undefined scores rank last, never first;
ties go to the earlier submission. Rows whose difference from the row above is not
significant (paired bootstrap: P(above beats this) < 0.95) are marked as statistically tied.
Benchmark teams (reference baselines) are listed among the rows but take no rank.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from django.db.models import Count, F, Max, Window
from django.db.models.functions import RowNumber

from challenges.models import Challenge, Phase, Score, Submission, SubmissionEvent, Team

SIGNIFICANCE = 0.95


@dataclass
class Row:
    team_id: int
    team: str
    is_benchmark: bool
    score_id: int | None
    submission_id: int | None
    value: float | None
    ci_low: float | None = None
    ci_high: float | None = None
    submitted: datetime | None = None
    details: dict = field(default_factory=dict)
    rank: int | None = None
    entries: int = 0
    last_submission: datetime | None = None
    tied_with_above: bool = False
    public_rank: int | None = None

    @property
    def rank_change(self) -> int | None:
        if self.rank is None or self.public_rank is None:
            return None
        return self.public_rank - self.rank


@dataclass
class Leaderboard:
    phase: Phase
    subset: str
    rows: list[Row]
    higher_is_better: bool


def sort_key(higher_is_better: bool):
    """Order: defined scores best-first, then undefined (None or NaN); ties to the earlier submission."""

    def key(row: Row):
        undefined = row.value is None or row.value != row.value
        value = 0.0 if undefined else (-row.value if higher_is_better else row.value)
        submitted = row.submitted.timestamp() if row.submitted else float("inf")
        return (undefined, value, submitted, row.team_id)

    return key


def rank(rows: list[Row], higher_is_better: bool) -> list[Row]:
    """Sort rows and give ranks 1..n to the non-benchmark ones."""
    rows.sort(key=sort_key(higher_is_better))
    n = 0
    for row in rows:
        if not row.is_benchmark:
            n += 1
            row.rank = n
    return rows


class BestPublic:
    """One row per team: its best current public score (earliest submission among equals).

    Scores of failed and late submissions are left out. A submission being re-scored keeps
    its current scores on the board until the new round replaces them.
    """

    subset = Score.PUBLIC

    def rows(self, phase: Phase, higher_is_better: bool) -> list[Row]:
        return _rows(_best_per_team(_counted(phase, Score.PUBLIC), higher_is_better, 1))


class FinalPrivate:
    """After the end: each team's private score over its final submissions.

    A team's finals are the submissions it selected or, when it selected none, its
    ``phase.final_selections`` best public ones (as Kaggle did); its row is the best private
    score among them.
    """

    subset = Score.PRIVATE

    def rows(self, phase: Phase, higher_is_better: bool) -> list[Row]:
        chosen = Submission.objects.filter(phase=phase, selected_final=True, is_late=False).exclude(
            status=Submission.FAILED
        )
        selected: dict[int, list[int]] = {}
        for team, submission in Score.objects.filter(
            submission__in=chosen, subset=Score.PUBLIC, current=True
        ).values_list("team_id", "submission_id"):
            selected.setdefault(team, []).append(submission)
        finals = [s for chosen in selected.values() for s in chosen]
        for _, team, submission, _, _ in _best_per_team(
            _counted(phase, Score.PUBLIC), higher_is_better, phase.final_selections
        ):
            if team not in selected:
                finals.append(submission)
        # the finals are this phase's: looked up by submission, not by scanning the phase
        private = Score.objects.filter(submission_id__in=finals, subset=Score.PRIVATE, current=True)
        return _rows(_best_per_team(private, higher_is_better, 1))


def _counted(phase: Phase, subset: str):
    """Current scores of ``subset`` whose submission was on time and has not failed.

    A failed submission has no current scores (the pipeline retires them), so this reads the
    Score table alone, through its leaderboard index.
    """
    return Score.objects.filter(phase=phase, subset=subset, current=True, late=False)


def _best_per_team(scores, higher_is_better: bool, n: int) -> list[tuple]:
    """(score id, team id, submission id, value, submitted) of each team's ``n`` best
    ``scores``: one window query over narrow columns (the wide ones come later, for the
    rows kept only)."""
    value = (
        F("value").desc(nulls_last=True) if higher_is_better else F("value").asc(nulls_last=True)
    )
    return list(
        scores.annotate(
            position=Window(
                RowNumber(), partition_by=[F("team_id")], order_by=[value, F("submitted").asc()]
            )
        )
        .filter(position__lte=n)
        .values_list("id", "team_id", "submission_id", "value", "submitted")
    )


def _rows(best: list[tuple]) -> list[Row]:
    """Rows from narrow score tuples, with their intervals and details read by primary key."""
    wide = {
        i: (lo, hi, d)
        for i, lo, hi, d in Score.objects.filter(pk__in=[b[0] for b in best]).values_list(
            "id", "ci_low", "ci_high", "details"
        )
    }
    return [
        Row(
            team_id=t,
            team="",
            is_benchmark=False,
            score_id=i,
            submission_id=s,
            value=v,
            ci_low=wide[i][0],
            ci_high=wide[i][1],
            submitted=at,
            details=wide[i][2],
        )
        for i, t, s, v, at in best
    ]


KEPT_BOARDS = 16
KEPT_SECONDS = 60.0
_kept: OrderedDict = OrderedDict()
_kept_lock = threading.Lock()


def board(phase: Phase, subset: str) -> Leaderboard:
    """``compute``, or this process's copy of its last result while nothing has changed.

    Every upload, status change and final selection writes a SubmissionEvent, so the newest
    event id (one index lookup) says whether anything happened since; a bundle reload changes
    the challenge's ``updated``. A kept board is also dropped after ``KEPT_SECONDS``, which
    bounds how stale it can be after edits made outside the engine (the admin site).
    Callers must not modify the rows they get (copy a page's rows before ``mark_ties``).
    """
    key = (
        phase.pk,
        subset,
        SubmissionEvent.objects.aggregate(newest=Max("id"))["newest"],
        Challenge.objects.filter(pk=phase.challenge_id).values_list("updated", flat=True).first(),
    )
    now = time.monotonic()
    with _kept_lock:
        kept = _kept.get(key)
    if kept is not None and now - kept[0] < KEPT_SECONDS:
        return kept[1]
    result = compute(phase, subset)
    with _kept_lock:
        _kept[key] = (now, result)
        while len(_kept) > KEPT_BOARDS:
            _kept.popitem(last=False)
    return result


def compute(phase: Phase, subset: str) -> Leaderboard:
    """The leaderboard of ``phase`` on ``subset`` (visibility is checked by the caller)."""
    higher_is_better = phase.get_metric().higher_is_better
    strategy = FinalPrivate() if subset == Score.PRIVATE else BestPublic()
    listing = _Listing.of(phase)
    rows = _ranked(phase, strategy, higher_is_better, listing)
    if subset == Score.PRIVATE:
        # the rank each team has on the public board, as shown there (benchmarks unranked)
        public = _ranked(phase, BestPublic(), higher_is_better, listing)
        public_ranks = {r.team_id: r.rank for r in public}
        for row in rows:
            row.public_rank = public_ranks.get(row.team_id)
    return Leaderboard(phase=phase, subset=subset, rows=rows, higher_is_better=higher_is_better)


@dataclass
class _Listing:
    """The teams a phase's boards list: every team with an on-time submission, with its
    number of entries, last upload, name and whether it is a benchmark."""

    stats: dict[int, tuple[int, datetime]]
    names: dict[int, str]
    benchmark: set[int]

    @classmethod
    def of(cls, phase: Phase) -> _Listing:
        stats = {
            t: (n, last)
            for t, n, last in Submission.objects.filter(phase=phase, is_late=False)
            .values("team_id")
            .annotate(n=Count("id"), last=Max("created"))
            .values_list("team_id", "n", "last")
        }
        teams = Team.objects.filter(pk__in=list(stats)).values_list("pk", "name", "is_benchmark")
        return cls(
            stats=stats,
            names={pk: name for pk, name, _ in teams},
            benchmark={pk for pk, _, flag in teams if flag},
        )


def _ranked(phase: Phase, strategy, higher_is_better: bool, listing: _Listing) -> list[Row]:
    """The strategy's rows, with every listed team (those without a score at the bottom), ranked."""
    rows = strategy.rows(phase, higher_is_better)
    seen = {row.team_id for row in rows}
    for team_id in listing.stats.keys() - seen:
        rows.append(Row(team_id, "", False, None, None, None))
    for row in rows:
        row.team = listing.names.get(row.team_id, "?")
        row.is_benchmark = row.team_id in listing.benchmark
        row.entries, row.last_submission = listing.stats.get(row.team_id, (0, None))
    return rank(rows, higher_is_better)


def mark_ties(rows: list[Row], higher_is_better: bool) -> None:
    """Mark each row whose score is not significantly worse than the ranked row above it.

    Uses the paired bootstrap replicas stored with each score (same resampled events for every
    submission of a phase): P(above beats this) = share of replicas where it is better.
    Call it on the rows shown (a page), it loads their replicas only.
    """
    ids = [r.score_id for r in rows if r.score_id is not None]
    replicas = {
        i: np.frombuffer(bytes(b), dtype=np.float32)
        for i, b in Score.objects.filter(pk__in=ids).values_list("id", "replicas")
    }
    above: Row | None = None
    for row in rows:
        if row.value is None:
            continue
        if above is not None:
            a, b = replicas.get(above.score_id), replicas.get(row.score_id)
            if a is not None and b is not None and len(a) == len(b) and len(a) > 0:
                wins = (a > b) if higher_is_better else (a < b)
                row.tied_with_above = float(np.mean(wins) + 0.5 * np.mean(a == b)) < SIGNIFICANCE
            elif None not in (row.ci_low, row.ci_high, above.ci_low, above.ci_high):
                row.tied_with_above = row.ci_high >= above.ci_low and above.ci_high >= row.ci_low
        above = row

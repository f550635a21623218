"""Leaderboards, computed on the server from each team's Standing, right by construction.

Each team's row comes from its ``Standing`` (``challenges.standings`` states the rules and
keeps them current): the best public score during a phase; after the end, the best private
score of the team's final submissions. Ordering: the metric says whether higher is better;
undefined scores rank last, never first; ties go to the earlier submission. Rows whose
difference from the row above is not significant (paired bootstrap: P(above beats this) <
0.95) are marked as statistically tied.
Benchmark teams (reference baselines) are listed among the rows but take no rank.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property
from typing import NamedTuple

import numpy as np

from fivesigma.challenges.engine import standings
from fivesigma.challenges.models import Phase, Score, Standing, Team

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
    columns: dict = field(default_factory=dict)  # declared column key -> figure (or None)

    @property
    def rank_change(self) -> int | None:
        if self.rank is None or self.public_rank is None:
            return None
        return self.public_rank - self.rank


class Entry(NamedTuple):
    """One team's standing as a board reads it (``_standings``): the team, its listing and
    the score shown; on the private board also its public value and upload time."""

    team_id: int
    team: str
    is_benchmark: bool
    entries: int
    last_submission: datetime | None
    score_id: int | None
    submission_id: int | None
    value: float | None
    ci_low: float | None
    ci_high: float | None
    submitted: datetime | None
    details: dict | None
    public_value: float | None = None
    public_submitted: datetime | None = None
    public_details: dict | None = None


@dataclass
class Leaderboard:
    """The ranked rows of one phase and subset at one board version.

    A board never changes once built (a newer version is a new board), so whatever is
    derived from it (a page's rows with ties marked, a rendered table, a serialized API page)
    is kept on it with ``derived``: the kept board is the one cache, keyed by board version.
    """

    phase: Phase
    subset: str
    rows: list[Row]
    higher_is_better: bool
    version: int = 0  # the phase's board_version these rows include
    columns: list = field(default_factory=list)  # the phase's declared columns (scoring.declared)
    entries: dict[int, Entry] = field(default_factory=dict, repr=False)  # by team id
    _derived: dict = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @cached_property
    def records(self) -> list[dict]:
        """The record line of the board's chart (computed once per kept board)."""
        return record_line(self.phase, self.subset, self.higher_is_better)

    def derived(self, key, make):
        """``make()`` computed once per board and ``key`` (a face's rendering of a page)."""
        with self._lock:
            if key in self._derived:
                return self._derived[key]
        value = make()
        with self._lock:
            return self._derived.setdefault(key, value)

    def page(self, number: int, size: int) -> list[Row]:
        """Rows ``(number - 1) * size`` to ``number * size`` with statistical ties marked
        (copies: the board's own rows are shared between requests)."""

        def marked() -> list[Row]:
            rows = [replace(row) for row in self.rows[(number - 1) * size : number * size]]
            mark_ties(rows, self.higher_is_better)
            return rows

        return self.derived(("rows", number, size), marked)


def record_line(phase: Phase, subset: str, higher_is_better: bool) -> list[dict]:
    """Every counted score that beat all earlier ones, in upload order: the steps of the
    record line, as {"at", "score", "team"}. Benchmark teams are left out.

    One narrow pass in upload order over the phase's counted scores (those a leaderboard may
    show: current, on time, defined), keeping the running best.
    """
    benchmarks = set(
        Team.objects.filter(challenge_id=phase.challenge_id, is_benchmark=True).values_list(
            "pk", flat=True
        )
    )
    scores = (
        Score.objects.filter(
            phase=phase, subset=subset, current=True, late=False, value__isnull=False
        )
        .order_by("submitted", "id")
        .values_list("submitted", "value", "team_id")
    )
    steps, best = [], None
    for at, value, team_id in scores.iterator(chunk_size=10_000):
        if team_id in benchmarks or value is None:
            continue
        if best is None or (value > best if higher_is_better else value < best):
            best = value
            steps.append((at, value, team_id))
    names = dict(Team.objects.filter(pk__in={t for _, _, t in steps}).values_list("pk", "name"))
    return [{"at": at, "score": value, "team": names[t]} for at, value, t in steps]


def sort_key(higher_is_better: bool, tie_breaks: Callable[[dict], tuple] | None = None):
    """Order: defined scores best-first, then undefined (None or NaN); ties to the next ranked
    columns (``tie_breaks`` of a row's details, for declared leaderboards), then to the
    earlier submission."""

    def key(row: Row):
        submitted = row.submitted.timestamp() if row.submitted else float("inf")
        columns = tie_breaks(row.details) if tie_breaks else ()
        return (
            *standings.value_order(row.value, higher_is_better),
            *columns,
            submitted,
            row.team_id,
        )

    return key


def rank(
    rows: list[Row], higher_is_better: bool, tie_breaks: Callable[[dict], tuple] | None = None
) -> list[Row]:
    """Sort rows and give ranks 1..n to the non-benchmark ones."""
    rows.sort(key=sort_key(higher_is_better, tie_breaks))
    n = 0
    for row in rows:
        if not row.is_benchmark:
            n += 1
            row.rank = n
    return rows


KEPT_BOARDS = 16
KEPT_SECONDS = 60.0
_kept: OrderedDict = OrderedDict()
_kept_lock = threading.Lock()


@dataclass(frozen=True)
class _Kept:
    board: Leaderboard
    computed: float  # time.monotonic() of the last full compute
    challenge_updated: datetime


def board(phase: Phase, subset: str) -> Leaderboard:
    """``compute``, or this process's kept board brought up to date.

    One query reads the phase's ``board_version`` (raised by every change of a standing) and
    the challenge's ``updated`` (changed by a bundle reload). The kept board is returned as it
    is when its version is current, caught up from the standings changed since otherwise, and
    computed afresh after a bundle reload or ``KEPT_SECONDS``, which bounds how stale it can be
    after edits made outside the engine (a team renamed in the admin site).
    Callers must not modify the rows they get (copy a page's rows before ``mark_ties``).
    """
    version, updated = (
        Phase.objects.filter(pk=phase.pk).values_list("board_version", "challenge__updated").get()
    )
    key = (phase.pk, subset)
    now = time.monotonic()
    with _kept_lock:
        kept = _kept.get(key)
    if kept and kept.challenge_updated == updated and now - kept.computed < KEPT_SECONDS:
        if kept.board.version == version:
            return kept.board
        result, computed = _catch_up(kept.board, version), kept.computed
    else:
        result, computed = compute(phase, subset), now
    with _kept_lock:
        _kept[key] = _Kept(result, computed, updated)
        _kept.move_to_end(key)
        while len(_kept) > KEPT_BOARDS:
            _kept.popitem(last=False)
    return result


def compute(phase: Phase, subset: str) -> Leaderboard:
    """The leaderboard of ``phase`` on ``subset`` (visibility is checked by the caller): one
    read of the phase's standings (``challenges.standings`` keeps them), then the sort."""
    standings.ensure(phase)
    version = Phase.objects.filter(pk=phase.pk).values_list("board_version", flat=True).get()
    listed = _standings(phase, subset, entries__gt=0)
    return _assemble(phase, subset, version, {entry.team_id: entry for entry in listed})


def _catch_up(kept: Leaderboard, version: int) -> Leaderboard:
    """``kept`` brought to ``version`` (read before this call) by reading again the standings
    changed since its own version (a new board: the kept one may be in use by another
    request)."""
    phase = kept.phase
    entries = dict(kept.entries)
    for entry in _standings(phase, kept.subset, version__gt=kept.version):
        if entry.entries > 0:  # a team is listed once it has a scored on-time entry
            entries[entry.team_id] = entry
        else:
            entries.pop(entry.team_id, None)
    return _assemble(phase, kept.subset, version, entries)


SCORE_COLUMNS = ("id", "submission_id", "value", "ci_low", "ci_high", "submitted", "details")


def _standings(phase: Phase, subset: str, **conditions) -> list[Entry]:
    """The standings a board shows (those matching ``conditions``), one ``Entry`` per team;
    the private board also reads each team's public value and upload time, for the public
    rank."""
    score = "private_score" if subset == Score.PRIVATE else "public_score"
    public = (
        ("public_score__value", "public_score__submitted", "public_score__details")
        if subset == Score.PRIVATE
        else ()
    )
    rows = Standing.objects.filter(phase=phase, **conditions).values_list(
        "team_id",
        "team__name",
        "team__is_benchmark",
        "entries",
        "last_submission",
        *(f"{score}__{c}" for c in SCORE_COLUMNS),
        *public,
    )
    return [Entry(*values) for values in rows]


def declared_columns(phase: Phase) -> list:
    """The leaderboard columns a program-scored phase declares (``scoring.declared.Column``,
    in the bundle's order); [] for a phase scored by a built-in metric."""
    return phase.get_metric().columns if phase.is_program_scored else []


def column_figures(metric, value: float | None, details: dict) -> dict[str, float | None]:
    """Each declared column's figure of one score (``metric``: a ``DeclaredLeaderboard``): the
    number under the column's key in the score's details; the ranking column's figure is the
    score's value, which the details lack when the key is one the worker keeps apart (e.g.
    ``score``). None when undefined (missing or NaN)."""
    figures: dict[str, float | None] = {}
    for column in metric.columns:
        figure = details.get(column.key)
        if column is metric.ranking:
            figure = value
        figures[column.key] = None if figure is None or figure != figure else figure
    return figures


def _assemble(phase: Phase, subset: str, version: int, entries: dict[int, Entry]) -> Leaderboard:
    """Ranked rows from the teams' standing entries."""
    metric = phase.get_metric()
    higher_is_better = metric.higher_is_better
    tie_breaks = metric.tie_breaks if metric.breaks_ties else None
    columns = declared_columns(phase)
    rows, public = [], []
    for entry in entries.values():
        rows.append(
            Row(
                team_id=entry.team_id,
                team=entry.team,
                is_benchmark=entry.is_benchmark,
                score_id=entry.score_id,
                submission_id=entry.submission_id,
                value=entry.value,
                ci_low=entry.ci_low,
                ci_high=entry.ci_high,
                submitted=entry.submitted,
                details=entry.details or {},
                entries=entry.entries,
                last_submission=entry.last_submission,
                columns=column_figures(metric, entry.value, entry.details or {}) if columns else {},
            )
        )
        if subset == Score.PRIVATE:
            public.append(
                Row(
                    entry.team_id,
                    entry.team,
                    entry.is_benchmark,
                    None,
                    None,
                    entry.public_value,
                    submitted=entry.public_submitted,
                    details=entry.public_details or {},
                )
            )
    if subset == Score.PRIVATE:
        # the rank each team has on the public board, as shown there (benchmarks unranked)
        public_ranks = {r.team_id: r.rank for r in rank(public, higher_is_better, tie_breaks)}
        for row in rows:
            row.public_rank = public_ranks.get(row.team_id)
    rank(rows, higher_is_better, tie_breaks)
    return Leaderboard(
        phase=phase,
        subset=subset,
        rows=rows,
        higher_is_better=higher_is_better,
        version=version,
        entries=entries,
        columns=columns,
    )


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
            a = replicas.get(above.score_id) if above.score_id is not None else None
            b = replicas.get(row.score_id) if row.score_id is not None else None
            if a is not None and b is not None and len(a) == len(b) and len(a) > 0:
                wins = (a > b) if higher_is_better else (a < b)
                row.tied_with_above = float(np.mean(wins) + 0.5 * np.mean(a == b)) < SIGNIFICANCE
            elif (
                row.ci_low is not None
                and row.ci_high is not None
                and above.ci_low is not None
                and above.ci_high is not None
            ):
                row.tied_with_above = row.ci_high >= above.ci_low and above.ci_high >= row.ci_low
        above = row

"""Ranking rules: the sort order, the strategies BestPublic and FinalPrivate, ties.

The expected orders are computed here from the written rules (issue: "failed or missing
scores rank last, never first; ties go to the earlier submission; higher-or-lower-is-better
comes from the metric"), by an oracle that shares no code with challenges.leaderboard.
"""

from __future__ import annotations

import math
import random
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import pytest
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fivesigma.challenges.engine import leaderboard, worker
from fivesigma.challenges.engine.leaderboard import Row
from fivesigma.challenges.models import Score, Submission
from fivesigma.scoring import registry
from fivesigma.scoring.metrics.significance import AmsMetric
from tests.builders.challenges import T0, bare_phase
from tests.builders.submissions import add_entry
from tests.builders.users import make_team


class LossLikeAms(AmsMetric):
    """The AMS metric read as a loss: the same files, lower is better."""

    key = "loss"
    higher_is_better = False


@pytest.fixture
def loss_metric(monkeypatch):
    monkeypatch.setitem(registry.METRICS, "loss", LossLikeAms)


def defined(value) -> bool:
    return value is not None and not math.isnan(value)


def precedes(a, b, higher_is_better: bool) -> bool:
    """Whether entry ``a`` (value, submitted, team_id) is listed before ``b``, from the rules."""
    (va, ta, ia), (vb, tb, ib) = a, b
    if defined(va) != defined(vb):
        return defined(va)
    if defined(va) and va != vb:
        return va > vb if higher_is_better else va < vb
    if ta != tb:
        return tb is None or (ta is not None and ta < tb)
    return ia < ib


def expected_order(entries: list, higher_is_better: bool) -> list:
    """Entries sorted by ``precedes`` (insertion sort: slow, obvious, independent)."""
    ordered: list = []
    for entry in entries:
        at = len(ordered)
        while at > 0 and precedes(entry, ordered[at - 1], higher_is_better):
            at -= 1
        ordered.insert(at, entry)
    return ordered


# -- the sort rule, on plain rows ------------------------------------------------------

VALUES = st.one_of(
    st.none(),
    st.just(math.nan),
    st.sampled_from([-1.0, 0.0, -0.0, 1.5, 3.0]),  # exact ties are frequent
    st.floats(allow_nan=False, allow_infinity=True, width=32),
)
ROWS = st.lists(
    st.tuples(VALUES, st.one_of(st.none(), st.integers(0, 3)), st.booleans()),
    max_size=25,
)


def plain_rows(spec) -> list[Row]:
    return [
        Row(
            team_id=i + 1,
            team=f"t{i + 1}",
            is_benchmark=benchmark,
            score_id=None,
            submission_id=None,
            value=value,
            submitted=None if minute is None else T0 + timedelta(minutes=minute),
        )
        for i, (value, minute, benchmark) in enumerate(spec)
    ]


@given(ROWS, st.booleans(), st.randoms(use_true_random=False))
def test_rank_orders_by_the_rules_whatever_the_input_order(spec, higher_is_better, rnd):
    rows = plain_rows(spec)
    rnd.shuffle(rows)
    ranked = leaderboard.rank(rows, higher_is_better)
    got = [(r.value, r.submitted, r.team_id) for r in ranked]
    want = expected_order(
        [
            (v, None if m is None else T0 + timedelta(minutes=m), i + 1)
            for i, (v, m, _) in enumerate(spec)
        ],
        higher_is_better,
    )
    assert [e[2] for e in got] == [e[2] for e in want]


@given(ROWS, st.booleans())
def test_undefined_scores_rank_last_and_benchmarks_take_no_rank(spec, higher_is_better):
    ranked = leaderboard.rank(plain_rows(spec), higher_is_better)
    flags = [defined(r.value) for r in ranked]
    assert flags == sorted(flags, reverse=True), "an undefined score is above a defined one"
    ranks = [r.rank for r in ranked if not r.is_benchmark]
    assert ranks == list(range(1, len(ranks) + 1))
    assert all(r.rank is None for r in ranked if r.is_benchmark)


@given(st.lists(st.sampled_from([1.0, 2.0]), min_size=2, max_size=12), st.booleans())
def test_equal_scores_go_to_the_earlier_submission(values, higher_is_better):
    rows = [
        Row(i + 1, f"t{i}", False, None, None, v, submitted=T0 + timedelta(seconds=60 - i))
        for i, v in enumerate(values)
    ]
    ranked = leaderboard.rank(rows, higher_is_better)
    for above, below in zip(ranked, ranked[1:], strict=False):
        if above.value == below.value:
            assert above.submitted < below.submitted


def test_nan_first_in_the_input_still_ranks_last():
    rows = plain_rows([(math.nan, 0, False), (None, 0, False), (0.5, 1, False), (-2.0, 2, False)])
    assert [r.value for r in leaderboard.rank(rows, True)][:2] == [0.5, -2.0]
    rows = plain_rows([(math.nan, 0, False), (None, 0, False), (0.5, 1, False), (-2.0, 2, False)])
    assert [r.value for r in leaderboard.rank(rows, False)][:2] == [-2.0, 0.5]


# -- the strategies, on the database -----------------------------------------------------


@contextmanager
def rolled_back():
    """Run a hypothesis example in a transaction that is undone afterwards."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


@dataclass
class Entry:
    team: int
    public: float | None
    private: float | None
    minute: int
    status: str
    late: bool
    final: bool
    retired: float | None  # an older scoring round's public value, kept as history
    seq: int = 0  # order of upload: no two uploads share a timestamp to the microsecond

    @property
    def at(self):
        return T0 + timedelta(minutes=self.minute, microseconds=self.seq)

    @property
    def counts(self) -> bool:
        """Whether its current scores may be on the board: not failed, not late, scored."""
        return self.status != Submission.FAILED and not self.late and self.has_scores

    @property
    def has_scores(self) -> bool:
        # a running submission without scores is being scored for the first time; with
        # scores it is being re-scored and keeps its current ones until the new round ends
        return self.status != Submission.RUNNING or self.retired is not None


SCORE = st.one_of(st.none(), st.sampled_from([0.5, 1.0, 2.0, 3.0]))
ENTRIES = st.lists(
    st.builds(
        Entry,
        team=st.integers(0, 4),
        public=SCORE,
        private=SCORE,
        minute=st.integers(0, 4),
        status=st.sampled_from([Submission.FINISHED] * 4 + [Submission.FAILED, Submission.RUNNING]),
        late=st.sampled_from([False] * 5 + [True]),
        final=st.sampled_from([False] * 3 + [True]),
        retired=st.one_of(st.none(), st.just(99.0)),
    ),
    max_size=14,
)


def build(phase, entries: list[Entry], benchmark: int | None):
    for seq, entry in enumerate(entries):
        entry.seq = seq
    teams = [make_team(phase.challenge, f"team{i}", benchmark=(i == benchmark)) for i in range(5)]
    for e in entries:
        add_entry(
            phase,
            teams[e.team],
            public=e.public,
            private=e.private,
            at=e.at,
            status=e.status,
            late=e.late,
            final=e.final,
            retired=None
            if e.retired is None
            else {Score.PUBLIC: e.retired, Score.PRIVATE: e.retired},
            scored=e.has_scores,
        )
    return teams


def oracle_board(entries, benchmark, higher_is_better, final_selections, subset):
    """(team, value, rank, public rank, entries) rows expected on the public or private
    board: a team is listed once it has an entry, a scored on-time submission."""
    listed = sorted({e.team for e in entries if e.counts})

    def best(candidates, value_of):
        keyed = [(value_of(e), e.at, e.minute) for e in candidates]
        return expected_order(keyed, higher_is_better)[0] if keyed else None

    def board(value_for_team):
        rows = []
        for team in listed:
            found = value_for_team(team)
            rows.append((None, None, team) if found is None else (found[0], found[1], team))
        ordered = expected_order(rows, higher_is_better)
        ranks, n = {}, 0
        for _, _, team in ordered:
            if team != benchmark:
                n += 1
                ranks[team] = n
        return ordered, ranks

    counted = {t: [e for e in entries if e.team == t and e.counts] for t in listed}
    public, public_ranks = board(lambda t: best(counted[t], lambda e: e.public))
    if subset == Score.PUBLIC:
        return [(f"team{t}", v, public_ranks.get(t), None, len(counted[t])) for v, _, t in public]

    def final_private(team):
        chosen = [e for e in counted[team] if e.final]
        if not chosen:
            by_public = expected_order(
                [(e.public, e.at, i) for i, e in enumerate(counted[team])], higher_is_better
            )
            chosen = [counted[team][i] for _, _, i in by_public[:final_selections]]
        return best(chosen, lambda e: e.private)

    private, private_ranks = board(final_private)
    return [
        (f"team{t}", v, private_ranks.get(t), public_ranks.get(t), len(counted[t]))
        for v, _, t in private
    ]


def shown(board):
    return [
        (
            r.team,
            r.value,
            r.rank,
            r.public_rank if board.subset == Score.PRIVATE else None,
            r.entries,
        )
        for r in board.rows
    ]


@pytest.mark.parametrize("metric", ["ams", "loss"])
@pytest.mark.parametrize("subset", [Score.PUBLIC, Score.PRIVATE])
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(entries=ENTRIES, benchmark=st.one_of(st.none(), st.integers(0, 4)), finals=st.integers(1, 2))
def test_board_matches_the_rules(db, loss_metric, metric, subset, entries, benchmark, finals):
    with rolled_back():
        phase = bare_phase(metric=metric, final_selections=finals)
        build(phase, entries, benchmark)
        board = leaderboard.compute(phase, subset)
        higher = metric == "ams"
        assert shown(board) == oracle_board(entries, benchmark, higher, finals, subset)


# -- the same rules, one readable example each ------------------------------------------


def names(board):
    return [(r.rank, r.team, r.value) for r in board.rows]


def test_best_public_is_the_best_current_score_per_team(db):
    phase = bare_phase()
    a, b, c, d, e = (make_team(phase.challenge, n) for n in "abcde")
    add_entry(phase, a, public=1.0, at=T0)
    add_entry(phase, a, public=2.0, at=T0 + timedelta(hours=1))  # a's best
    add_entry(phase, b, public=2.0, at=T0 + timedelta(hours=2))  # same as a, later
    add_entry(phase, b, public=9.0, status=Submission.FAILED)  # failed: not counted
    add_entry(phase, c, public=9.0, late=True)  # late: not counted, c not listed
    add_entry(phase, d, public=0.5, retired={Score.PUBLIC: 50.0})  # history never shows
    add_entry(phase, e, public=None)  # undefined score: last
    board = leaderboard.compute(phase, Score.PUBLIC)
    assert names(board) == [(1, "a", 2.0), (2, "b", 2.0), (3, "d", 0.5), (4, "e", None)]


def test_entries_count_scored_submissions_and_a_team_without_one_is_not_listed(db):
    """Failed submissions, and those not scored yet, are not entries."""
    phase = bare_phase()
    good, broken = make_team(phase.challenge, "good"), make_team(phase.challenge, "broken")
    waiting = make_team(phase.challenge, "waiting")
    add_entry(phase, broken, status=Submission.FAILED, scored=False, at=T0 - timedelta(days=1))
    add_entry(phase, good, public=0.1)
    add_entry(phase, good, public=0.3, at=T0 + timedelta(minutes=1))
    add_entry(phase, good, status=Submission.FAILED, scored=False)
    add_entry(phase, good, status=Submission.RUNNING, scored=False)
    add_entry(phase, waiting, status=Submission.RUNNING, scored=False)
    board = leaderboard.compute(phase, Score.PUBLIC)
    assert [(r.rank, r.team, r.value, r.entries) for r in board.rows] == [(1, "good", 0.3, 2)]


def test_an_undefined_score_is_an_entry_listed_last(db):
    phase = bare_phase()
    good, odd = make_team(phase.challenge, "good"), make_team(phase.challenge, "odd")
    add_entry(phase, odd, public=None, at=T0 - timedelta(days=1))
    add_entry(phase, good, public=0.1)
    board = leaderboard.compute(phase, Score.PUBLIC)
    assert [(r.rank, r.team, r.value, r.entries) for r in board.rows] == [
        (1, "good", 0.1, 1),
        (2, "odd", None, 1),
    ]


def test_lower_is_better_comes_from_the_metric(db, loss_metric):
    phase = bare_phase(metric="loss")
    for name, value in (("x", 3.0), ("y", 1.0), ("z", None), ("w", 2.0)):
        add_entry(phase, make_team(phase.challenge, name), public=value)
    assert [r.team for r in leaderboard.compute(phase, Score.PUBLIC).rows] == ["y", "w", "x", "z"]


def test_final_private_uses_the_selected_finals_even_when_worse(db):
    phase = bare_phase(final_selections=2)
    picky, lazy = make_team(phase.challenge, "picky"), make_team(phase.challenge, "lazy")
    # picky selected a submission with a poor private score; its best private is unselected
    add_entry(phase, picky, public=1.0, private=1.0, final=True)
    add_entry(phase, picky, public=5.0, private=8.0)
    # lazy selected nothing: its two best public submissions are its finals (as Kaggle)
    add_entry(phase, lazy, public=4.0, private=2.0, at=T0)
    add_entry(phase, lazy, public=3.0, private=3.0, at=T0 + timedelta(minutes=1))
    add_entry(phase, lazy, public=2.0, private=7.0, at=T0 + timedelta(minutes=2))  # third best
    board = leaderboard.compute(phase, Score.PRIVATE)
    assert names(board) == [(1, "lazy", 3.0), (2, "picky", 1.0)]
    assert [(r.team, r.public_rank, r.rank_change) for r in board.rows] == [
        ("lazy", 2, 1),
        ("picky", 1, -1),
    ]


def test_rank_change_ignores_benchmark_rows(db):
    phase = bare_phase()
    baseline = make_team(phase.challenge, "baseline", benchmark=True)
    a, b = make_team(phase.challenge, "a"), make_team(phase.challenge, "b")
    add_entry(phase, baseline, public=10.0, private=10.0)
    add_entry(phase, a, public=3.0, private=1.0)
    add_entry(phase, b, public=2.0, private=2.0)
    board = leaderboard.compute(phase, Score.PRIVATE)
    assert [(r.team, r.rank, r.public_rank) for r in board.rows] == [
        ("baseline", None, None),
        ("b", 1, 2),
        ("a", 2, 1),
    ]


# -- statistical ties --------------------------------------------------------------------


def paired(wins: int, n: int = 200, higher_is_better: bool = True):
    """Replicas (above, below) where ``above`` is better in exactly ``wins`` of ``n`` replicas."""
    above = np.arange(n, dtype=np.float32) + 10.0
    step = np.where(np.arange(n) < wins, -1.0, 1.0).astype(np.float32)
    below = above + (step if higher_is_better else -step)
    return above, below


@pytest.mark.parametrize("metric", ["ams", "loss"])
@pytest.mark.parametrize(
    ("wins", "tied"), [(200, False), (190, False), (189, True), (100, True), (0, True)]
)
def test_mark_ties_from_paired_replicas(db, loss_metric, metric, wins, tied):
    """P(above beats below) = wins/200; the rows are tied when it is below 0.95 (190/200)."""
    higher = metric == "ams"
    phase = bare_phase(metric=metric)
    above, below = paired(wins, higher_is_better=higher)
    first, second = (1.0, 0.9) if higher else (0.9, 1.0)
    add_entry(phase, make_team(phase.challenge, "first"), public=first, replicas={"public": above})
    add_entry(
        phase, make_team(phase.challenge, "second"), public=second, replicas={"public": below}
    )
    board = leaderboard.compute(phase, Score.PUBLIC)
    leaderboard.mark_ties(board.rows, board.higher_is_better)
    assert [r.team for r in board.rows] == ["first", "second"]
    assert [r.tied_with_above for r in board.rows] == [False, tied]


def test_identical_replicas_are_a_tie_and_each_row_compares_with_the_one_above(db):
    phase = bare_phase()
    rng = np.random.default_rng(0)
    base = rng.normal(3.0, 0.2, 300).astype(np.float32)
    rows = [
        ("a", 3.5, base + 5.0),  # far above everyone
        ("b", 3.0, base),
        ("c", 3.0, base),  # the very same replicas as b: a tie
        ("d", 2.0, base - 5.0),  # far below c
    ]
    for i, (name, value, reps) in enumerate(rows):
        add_entry(
            phase,
            make_team(phase.challenge, name),
            public=value,
            at=T0 + timedelta(minutes=i),
            replicas={"public": reps},
        )
    board = leaderboard.compute(phase, Score.PUBLIC)
    leaderboard.mark_ties(board.rows, board.higher_is_better)
    assert [(r.team, r.tied_with_above) for r in board.rows] == [
        ("a", False),
        ("b", False),
        ("c", True),
        ("d", False),
    ]


def test_without_replicas_overlapping_intervals_are_a_tie(db):
    phase = bare_phase()
    add_entry(phase, make_team(phase.challenge, "a"), public=2.0)  # interval 1.9 .. 2.1
    add_entry(phase, make_team(phase.challenge, "b"), public=1.95)  # overlaps a
    add_entry(phase, make_team(phase.challenge, "c"), public=1.0)  # clear of b
    board = leaderboard.compute(phase, Score.PUBLIC)
    leaderboard.mark_ties(board.rows, board.higher_is_better)
    assert [r.tied_with_above for r in board.rows] == [False, True, False]


def test_shuffled_score_rows_give_the_same_board(db):
    """The board does not depend on the order rows were written in (the primary keys)."""
    spec = [(f"t{i}", float(v), i) for i, v in enumerate([2, 2, 1, 3, 3, 0, 2])]
    boards = []
    for seed in (1, 2):
        with rolled_back():
            phase = bare_phase()
            shuffled = list(spec)
            random.Random(seed).shuffle(shuffled)
            for name, value, minute in shuffled:
                add_entry(
                    phase,
                    make_team(phase.challenge, name),
                    public=value,
                    at=T0 + timedelta(minutes=minute),
                )
            boards.append(names(leaderboard.compute(phase, Score.PUBLIC)))
    assert boards[0] == boards[1]


# -- boards kept between requests -----------------------------------------------------------


def test_a_kept_board_is_reused_until_something_happens(tiny, client, monkeypatch):
    from fivesigma.challenges.engine import intake
    from tests.builders.higgsml_files import noisy_submission
    from tests.builders.submissions import upload
    from tests.builders.users import make_user

    def scored(name, seed):
        submission = intake.submit(
            tiny.main,
            make_user(name),
            upload(f"{name}.csv", noisy_submission(tiny.solution, seed=seed)),
        )
        worker.process(submission.pk)
        return submission

    first = scored("alice", 1)
    board = leaderboard.board(tiny.main, Score.PUBLIC)
    assert [r.team for r in board.rows] == ["alice"]
    assert leaderboard.board(tiny.main, Score.PUBLIC) is board, "nothing happened: reuse it"

    scored("bob", 2)  # a new score: the kept board is stale
    assert {r.team for r in leaderboard.board(tiny.main, Score.PUBLIC).rows} == {"alice", "bob"}

    private = leaderboard.board(tiny.main, Score.PRIVATE)
    second = intake.submit(
        tiny.main, first.user, upload("again.csv", noisy_submission(tiny.solution, seed=9))
    )
    worker.process(second.pk)
    before = leaderboard.board(tiny.main, Score.PRIVATE)
    assert before is not private
    client.force_login(first.user)
    client.post(reverse("submission-final", args=[second.uid]))  # a final selection
    after = leaderboard.board(tiny.main, Score.PRIVATE)
    assert after is not before
    assert next(r for r in after.rows if r.team == "alice").submission_id == second.pk

    kept = leaderboard.board(tiny.main, Score.PUBLIC)
    clock = leaderboard.time.monotonic() + leaderboard.KEPT_SECONDS + 1
    monkeypatch.setattr(leaderboard.time, "monotonic", lambda: clock)
    assert leaderboard.board(tiny.main, Score.PUBLIC) is not kept, "kept too long"


def test_a_bundle_reload_drops_kept_boards(tiny):
    from fivesigma.challenges.engine import bundles

    kept = leaderboard.board(tiny.main, Score.PUBLIC)
    bundles.load(tiny.bundle)
    assert leaderboard.board(tiny.main, Score.PUBLIC) is not kept


def test_the_page_does_not_change_the_kept_rows(db, client):
    phase = bare_phase()
    rng = np.random.default_rng(2)
    base = rng.normal(1.0, 0.1, 100).astype(np.float32)
    for i, name in enumerate("ab"):
        add_entry(
            phase,
            make_team(phase.challenge, name),
            public=1.0,
            at=T0 + timedelta(minutes=i),
            replicas={"public": base},
        )
    page = client.get(reverse("leaderboard", args=[phase.challenge.slug, phase.key]))
    assert page.status_code == 200
    assert "not significantly different from the row above" in page.content.decode()
    assert not any(r.tied_with_above for r in leaderboard.board(phase, Score.PUBLIC).rows)

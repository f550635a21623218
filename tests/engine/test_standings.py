"""Standings kept step by step equal standings derived from scratch, whatever happens.

The leaderboard reads ``Standing`` rows that the engine updates one team at a time; the
ranking rules themselves are checked against an oracle in ``test_ranking``. Here every kind
of step goes through the real engine path, and after each one the kept rows must equal
what ``standings.rebuild`` derives from the Score and Submission tables alone.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection
from django.urls import reverse

from fivesigma.challenges.engine import bundles, intake, leaderboard, lifecycle, standings, worker
from fivesigma.challenges.models import Phase, Score, Standing, Submission
from fivesigma.scoring.metrics.significance import AmsMetric
from tests.builders.higgsml_files import noisy_submission
from tests.builders.submissions import upload
from tests.builders.users import make_user


def kept(phase) -> list[tuple]:
    return sorted(
        Standing.objects.filter(phase=phase).values_list(
            "team_id", "entries", "last_submission", "public_score_id", "private_score_id"
        )
    )


def assert_kept_equals_rebuilt(phase) -> None:
    before = kept(phase)
    Standing.objects.filter(phase=phase).delete()
    standings.rebuild(phase)
    assert before == kept(phase)


def send(tiny, user, noise: float, seed: int) -> Submission:
    return intake.submit(
        tiny.main, user, upload("s.csv", noisy_submission(tiny.solution, noise, seed))
    )


def entries(phase, team_id) -> int:
    return (
        Standing.objects.filter(phase=phase, team_id=team_id)
        .values_list("entries", flat=True)
        .first()
        or 0
    )


def best_public(phase, team_id) -> float | None:
    row = next(r for r in leaderboard.compute(phase, Score.PUBLIC).rows if r.team_id == team_id)
    return row.value


def test_every_engine_step_keeps_standings_equal_to_a_rebuild(
    tiny, client, monkeypatch, django_capture_on_commit_callbacks
):
    phase = tiny.main
    alice, bob = make_user("alice"), make_user("bob")

    rough = send(tiny, alice, noise=2.0, seed=1)  # uploaded, not scored: not an entry yet
    assert_kept_equals_rebuilt(phase)
    assert entries(phase, rough.team_id) == 0
    assert leaderboard.compute(phase, Score.PUBLIC).rows == []
    worker.process(rough.pk)
    assert entries(phase, rough.team_id) == 1
    sharp = send(tiny, alice, noise=0.3, seed=2)
    worker.process(sharp.pk)
    assert_kept_equals_rebuilt(phase)
    team = sharp.team_id
    assert entries(phase, team) == 2
    assert best_public(phase, team) == sharp.scores.get(subset=Score.PUBLIC).value

    mine = send(tiny, bob, noise=0.5, seed=3)
    worker.process(mine.pk)
    monkeypatch.setattr(AmsMetric, "evaluate", _raise(ZeroDivisionError("no events")))
    broken = send(tiny, bob, noise=0.5, seed=4)
    worker.process(broken.pk)  # fails with a reason: not an entry, its scores never count
    assert Submission.objects.get(pk=broken.pk).status == Submission.FAILED
    assert entries(phase, broken.team_id) == 1
    assert_kept_equals_rebuilt(phase)

    # a re-scoring that fails takes the submission's old scores off the board
    lifecycle.rescore_phase(phase)
    worker.process(sharp.pk)
    assert Submission.objects.get(pk=sharp.pk).status == Submission.FAILED
    assert best_public(phase, team) == rough.scores.get(subset=Score.PUBLIC, current=True).value
    assert entries(phase, team) == 1  # the re-scoring that failed took an entry away
    assert_kept_equals_rebuilt(phase)
    monkeypatch.undo()
    for submission in Submission.objects.filter(phase=phase, status=Submission.QUEUED):
        worker.process(submission.pk)
    assert_kept_equals_rebuilt(phase)

    # final selections move the private board
    client.force_login(bob)
    client.post(reverse("submission-final", args=[mine.uid]))
    assert Submission.objects.get(pk=mine.pk).selected_final
    assert_kept_equals_rebuilt(phase)
    client.post(reverse("submission-final", args=[mine.uid]))
    assert_kept_equals_rebuilt(phase)

    # an organiser deletes a submission: its team's row follows once the deletion commits
    with django_capture_on_commit_callbacks(execute=True):
        Submission.objects.get(pk=rough.pk).delete()
    assert_kept_equals_rebuilt(phase)


def test_a_bundle_reload_rederives_the_phase(tiny, tmp_path):
    """Fewer final selections in the reloaded bundle change which submission is a final."""
    user = make_user("carol")
    for seed, noise in enumerate((0.3, 0.6, 1.2)):
        worker.process(send(tiny, user, noise, seed).pk)
    assert tiny.main.final_selections == 2
    spec = tiny.bundle / "challenge.yaml"
    spec.write_text(
        spec.read_text().replace("daily_limit: 5\n", "daily_limit: 5\n    final_selections: 1\n", 1)
    )
    bundles.load(tiny.bundle)
    phase = type(tiny.main).objects.get(pk=tiny.main.pk)
    assert phase.final_selections == 1
    assert_kept_equals_rebuilt(phase)


def test_a_phase_without_standings_is_derived_on_first_view(tiny):
    """Rows written before standings existed (or bulk-loaded) still make a board."""
    worker.process(send(tiny, make_user("dave"), 0.5, 0).pk)
    expected = kept(tiny.main)
    Standing.objects.all().delete()
    assert [r.team for r in leaderboard.compute(tiny.main, Score.PUBLIC).rows] == ["dave"]
    assert kept(tiny.main) == expected


@pytest.mark.django_db(transaction=True)
def test_two_scores_of_one_team_written_at_once_both_reach_its_standing(tmp_path, monkeypatch):
    """Two workers finish two submissions of one team together: the standing row is locked,
    so the later refresh sees the earlier one's score (without the lock, the slower writer
    would overwrite the row with a best computed before the other score existed)."""
    from tests.builders.challenges import load_tiny_challenge

    tiny = load_tiny_challenge(tmp_path, n_events=200)
    user = make_user("erin")
    first, second = send(tiny, user, 0.3, 0), send(tiny, user, 0.3, 1)
    for submission in (first, second):
        lifecycle.transition(submission, Submission.SCORING)
    slow_derive = standings._derive

    def derive_slowly(*args):
        time.sleep(0.3)  # widen the window between reading the scores and writing the row
        return slow_derive(*args)

    monkeypatch.setattr(standings, "_derive", derive_slowly)
    values = {first.pk: 1.0, second.pk: 2.0}
    start = threading.Barrier(2)
    errors = []

    def finish(submission):
        try:
            start.wait()
            result = {"public": {"score": values[submission.pk]}, "private": {"score": 0.0}}
            worker.save_scores(Submission.objects.get(pk=submission.pk), "ams", result)
        except Exception as error:  # reported below: a thread's exception is otherwise lost
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=finish, args=(s,)) for s in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert best_public(tiny.main, first.team_id) == 2.0
    assert_kept_equals_rebuilt(tiny.main)


def _raise(error):
    def raiser(*args, **kwargs):
        raise error

    return raiser


def shown_rows(board) -> list[tuple]:
    return [
        (r.team, r.value, r.rank, r.public_rank, r.entries, r.last_submission, r.score_id)
        for r in board.rows
    ]


@pytest.mark.parametrize("subset", [Score.PUBLIC, Score.PRIVATE])
def test_a_kept_board_catches_up_to_what_a_fresh_compute_shows(tiny, subset, monkeypatch):
    """After each step the kept board is brought up to date from the changed standings only,
    and shows exactly what computing it afresh shows."""
    phase = tiny.main
    people = [make_user(name) for name in ("ann", "ben", "cat")]
    full_computes = []
    real_compute = leaderboard.compute
    monkeypatch.setattr(
        leaderboard, "compute", lambda *a: full_computes.append(a) or real_compute(*a)
    )
    leaderboard.board(phase, subset)
    steps = [
        (person, noise, seed)
        for seed, (person, noise) in enumerate(
            [
                (people[0], 1.0),
                (people[1], 0.4),
                (people[0], 0.2),
                (people[2], 2.0),
                (people[1], 0.1),
            ]
        )
    ]
    for person, noise, seed in steps:
        submission = send(tiny, person, noise, seed)
        assert shown_rows(leaderboard.board(phase, subset)) == shown_rows(
            real_compute(phase, subset)
        )
        worker.process(submission.pk)
        assert shown_rows(leaderboard.board(phase, subset)) == shown_rows(
            real_compute(phase, subset)
        )
    assert len(full_computes) == 1  # every later view caught up
    assert len(leaderboard.board(phase, subset).rows) == 3


def test_the_cached_page_and_api_table_follow_every_change(tiny, client):
    """The rendered table and the API page are cached per board version: a change shows at once."""
    page = reverse("leaderboard", args=[tiny.challenge.slug, "main"])
    api = f"/api/challenges/{tiny.challenge.slug}/phases/main/leaderboard/"
    worker.process(send(tiny, make_user("fay"), 1.0, 0).pk)
    assert "fay" in client.get(page).content.decode()
    assert [r["team"] for r in client.get(api).json()["results"]] == ["fay"]
    worker.process(send(tiny, make_user("gus"), 0.1, 1).pk)
    html = client.get(page).content.decode()
    assert "gus" in html and html.index("gus") < html.index("fay")
    assert [r["team"] for r in client.get(api).json()["results"]] == ["gus", "fay"]


def test_rebuild_standings_command_repairs_rows_written_by_hand(tiny):
    from io import StringIO

    from django.core.management import call_command

    submission = send(tiny, make_user("hal"), 0.5, 0)
    worker.process(submission.pk)
    Standing.objects.filter(team_id=submission.team_id).update(public_score=None, entries=7)
    out = StringIO()
    call_command("rebuild_standings", "tiny-higgs", stdout=out)
    assert f"tiny-higgs/main: 1 teams, 1 rows changed (team ids {submission.team_id})" in (
        out.getvalue()
    )
    row = Standing.objects.get(team_id=submission.team_id)
    assert (row.entries, row.public_score_id) == (
        1,
        submission.scores.get(subset=Score.PUBLIC).pk,
    )


def test_a_status_change_alone_leaves_standings_and_board_version_as_they_were(tiny):
    """Only the steps that change a team's row refresh it (upload, scores saved, failure,
    final selection); ``transition`` itself changes the status and the history, nothing more."""
    submission = send(tiny, make_user("carol"), noise=0.5, seed=5)
    phase = tiny.main
    version = Phase.objects.get(pk=phase.pk).board_version
    rows = list(Standing.objects.filter(phase=phase).values())
    lifecycle.transition(submission, Submission.RUNNING, "by hand")
    lifecycle.transition(submission, Submission.SCORING, "by hand")
    assert Phase.objects.get(pk=phase.pk).board_version == version
    assert list(Standing.objects.filter(phase=phase).values()) == rows
    lifecycle.enqueue(submission, "again")  # queued for a worker: the row does not move either
    assert Phase.objects.get(pk=phase.pk).board_version == version
    worker.process(submission.pk)  # scores saved: the worker step refreshes, explicitly
    assert Phase.objects.get(pk=phase.pk).board_version > version
    assert_kept_equals_rebuilt(phase)

"""The whole path in one process: a bundle is loaded, a user uploads, the task scores, the leaderboard shows it."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from django.urls import reverse

from fivesigma.challenges.engine import bundles, leaderboard
from fivesigma.challenges.models import Score, Submission
from tests.builders.higgsml_files import reference_ams, submission_csv, write_ams_bundle
from tests.builders.users import make_user


@pytest.fixture
def tiny_challenge(db, tmp_path):
    solution = write_ams_bundle(tmp_path / "bundle")
    return bundles.load(tmp_path / "bundle"), solution


def test_upload_is_scored_and_ranked(client, tiny_challenge, eager_tasks):
    challenge, solution = tiny_challenge
    user = make_user("alice")
    client.force_login(user)
    rng = np.random.default_rng(3)
    scores = (solution["Label"] == "s").to_numpy() * 1.0 + rng.normal(0, 0.8, len(solution))
    content = submission_csv(solution, scores)

    response = client.post(
        reverse("submit", args=[challenge.slug, "main"]),
        {"file": io.BytesIO(content) | _named("mine.csv")},
    )
    assert response.status_code == 302, response.content.decode()[:2000]

    submission = Submission.objects.get()
    assert submission.status == Submission.FINISHED, submission.reason
    assert [e.status for e in submission.events.all()] == [
        "submitted",
        "queued",
        "running",
        "scoring",
        "finished",
    ]
    classes = pd.read_csv(io.BytesIO(content))["Class"].to_numpy()
    public = Score.objects.get(submission=submission, subset="public", current=True)
    assert public.value == pytest.approx(reference_ams(solution, classes, "b"), rel=1e-12)
    private = Score.objects.get(submission=submission, subset="private", current=True)
    assert private.value == pytest.approx(reference_ams(solution, classes, "v"), rel=1e-12)
    assert private.ci_low <= private.value <= private.ci_high

    board = leaderboard.compute(challenge.phases.get(), "public")
    assert [(r.rank, r.team, r.value) for r in board.rows] == [(1, "alice", public.value)]
    page = client.get(reverse("leaderboard", args=[challenge.slug, "main"]))
    assert f"{public.value:.5f}" in page.content.decode()


def test_wrong_file_is_refused_at_once_and_not_stored(client, tiny_challenge, eager_tasks):
    challenge, solution = tiny_challenge
    client.force_login(make_user("bob"))
    bad = b"EventId,RankOrder,Class\n1,1,s\n"
    response = client.post(
        reverse("submit", args=[challenge.slug, "main"]),
        {"file": io.BytesIO(bad) | _named("bad.csv")},
    )
    assert response.status_code == 400
    assert "EventId" in response.content.decode() or "missing" in response.content.decode().lower()
    assert Submission.objects.count() == 0


def test_private_scores_hidden_from_participants_before_the_end(
    client, tiny_challenge, eager_tasks
):
    challenge, solution = tiny_challenge
    client.force_login(make_user("carol"))
    client.post(
        reverse("submit", args=[challenge.slug, "main"]),
        {
            "file": io.BytesIO(submission_csv(solution, np.arange(len(solution)) * 1.0))
            | _named("a.csv")
        },
    )
    submission = Submission.objects.get()
    page = client.get(submission.get_absolute_url()).content.decode()
    private = Score.objects.get(submission=submission, subset="private")
    assert f"{private.value:.5f}" not in page
    assert (
        client.get(
            reverse("leaderboard", args=[challenge.slug, "main"]) + "?subset=private"
        ).status_code
        == 403
    )
    status = client.get(reverse("submission-status", args=[submission.uid])).json()
    assert set(status["scores"]) == {"public"}


class _named:
    """``io.BytesIO(...) | _named("x.csv")`` gives the stream a file name, as an upload has."""

    def __init__(self, name: str):
        self.name = name

    def __ror__(self, stream: io.BytesIO) -> io.BytesIO:
        stream.name = self.name
        return stream


def test_a_failed_rescoring_takes_the_old_scores_off_the_board(
    client, tiny_challenge, eager_tasks, monkeypatch
):
    from fivesigma.challenges.engine import lifecycle
    from fivesigma.scoring.metrics.significance import AmsMetric

    challenge, solution = tiny_challenge
    client.force_login(make_user("hana"))
    client.post(
        reverse("submit", args=[challenge.slug, "main"]),
        {
            "file": io.BytesIO(submission_csv(solution, np.arange(len(solution)) * 1.0))
            | _named("a.csv")
        },
    )
    phase = challenge.phases.get()
    assert leaderboard.compute(phase, "public").rows[0].value is not None

    def broken(self, *args, **kwargs):
        raise RuntimeError("scorer bug")

    monkeypatch.setattr(AmsMetric, "evaluate", broken)
    lifecycle.rescore_phase(phase)
    submission = Submission.objects.get()
    assert submission.status == Submission.FAILED and "scorer bug" in submission.reason
    # no scored entry is left: the team leaves the board, and nothing stale stays on it
    assert leaderboard.compute(phase, "public").rows == []
    assert Score.objects.filter(submission=submission).count() == 2  # history kept
    assert not Score.objects.filter(submission=submission, current=True).exists()

"""Uploads sent at the same instant by the members of one team: exactly the daily limit is
accepted, whatever the interleaving, and nothing of the refused ones is stored.

Real concurrency: one thread per member, each with its own database connection and its own
logged-in client, released together by a barrier, half through the submit page and half
through the API. Run on the suite's database (SQLite, or PostgreSQL when DATABASE_URL says
so) and, when the suite runs on SQLite, on a throwaway PostgreSQL database as well
(the ``throwaway_postgres`` fixture of tests/conftest.py; FIVESIGMA_TEST_POSTGRES_URL;
missing, it is a skip here and a failure in CI).
"""

from __future__ import annotations

import os
import threading
from collections import Counter

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django.test import Client
from django.urls import reverse

from fivesigma.challenges.engine import lifecycle, teams
from fivesigma.challenges.models import Challenge, Phase, Submission, SubmissionEvent
from tests.builders.challenges import load_tiny_challenge
from tests.builders.higgsml_files import noisy_submission
from tests.builders.users import make_user

LIMIT = 2  # submissions a team may make a day
TEAMS = 3
MEMBERS = 5  # each sends one upload, all at once: MEMBERS - LIMIT are refused per team
REFUSAL = f"Your team has used its {LIMIT} submissions for today"
# the suite's own database and, when that is not PostgreSQL, a throwaway PostgreSQL one
SUITE_ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")
DATABASES = ["suite database"] + ([] if SUITE_ON_POSTGRES else ["PostgreSQL"])


@pytest.fixture(params=DATABASES)
def database(request, transactional_db) -> str:
    """The vendor of the database the race runs on."""
    if request.param == "PostgreSQL":
        request.getfixturevalue("throwaway_postgres")
    return connections["default"].vendor


@pytest.fixture
def published(monkeypatch) -> list[int]:
    """Submissions handed to the task queue (recorded instead of sent: no broker needed)."""
    sent: list[int] = []
    monkeypatch.setattr(lifecycle, "publish", lambda submission: sent.append(submission.pk))
    return sent


def race(posts) -> list:
    """Run every ``post`` in its own thread, released at the same instant; their results."""
    barrier = threading.Barrier(len(posts))
    results: list = [None] * len(posts)

    def run(i, post):
        try:
            barrier.wait(timeout=60)
            results[i] = post()
        except Exception as error:  # a server error is a result too
            results[i] = error
        finally:
            connections.close_all()  # this thread's connections

    threads = [threading.Thread(target=run, args=(i, post)) for i, post in enumerate(posts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "an upload never returned"
    return results


def uploader(client: Client, phase: Phase, content: bytes, through_api: bool):
    slug = phase.challenge.slug
    url = (
        reverse("api-phase-submissions", args=[slug, phase.key])
        if through_api
        else reverse("submit", args=[slug, phase.key])
    )

    def post():
        response = client.post(url, {"file": SimpleUploadedFile("race.csv", content)})
        return response.status_code, response.content.decode()

    return post


def test_uploads_at_the_same_instant_stay_within_the_daily_limit(database, published, tmp_path):
    tiny = load_tiny_challenge(tmp_path, n_events=120)
    Phase.objects.filter(pk=tiny.main.pk).update(daily_limit=LIMIT)
    Challenge.objects.filter(pk=tiny.challenge.pk).update(max_team_size=MEMBERS)
    phase = Phase.objects.select_related("challenge").get(pk=tiny.main.pk)
    content = noisy_submission(tiny.solution)
    posts, team_of_post = [], []
    for t in range(TEAMS):
        founder = make_user(f"team{t}-0")
        team = teams.ensure_team(founder, phase.challenge)
        for m in range(MEMBERS):
            member = founder if m == 0 else make_user(f"team{t}-{m}")
            if m:
                teams.join(member, team.invite_code)
            client = Client()
            client.force_login(member)
            posts.append(uploader(client, phase, content, through_api=m % 2 == 1))
            team_of_post.append(team.pk)

    results = race(posts)

    errors = [r for r in results if not isinstance(r, tuple)]
    assert not errors, errors
    accepted = Counter(
        team for team, (code, _) in zip(team_of_post, results, strict=True) if code in (201, 302)
    )
    refusals = [(code, body) for code, body in results if code not in (201, 302)]
    assert accepted == dict.fromkeys(set(team_of_post), LIMIT), (database, results)
    assert len(refusals) == TEAMS * (MEMBERS - LIMIT)
    assert all(code == 400 and REFUSAL in body for code, body in refusals), refusals
    # nothing of the refused uploads is stored: rows, history, queued tasks, files
    stored = Submission.objects.filter(phase=phase)
    assert stored.count() == TEAMS * LIMIT
    assert Counter(stored.values_list("team", flat=True)) == accepted
    assert SubmissionEvent.objects.count() == 2 * TEAMS * LIMIT  # submitted, queued
    assert sorted(published) == sorted(stored.values_list("pk", flat=True))
    files = [p for p in (tmp_path / "media" / "submissions").rglob("*") if p.is_file()]
    assert len(files) == TEAMS * LIMIT and all(p.read_bytes() == content for p in files)


def test_an_upload_overtaken_while_its_file_is_checked_is_refused_and_leaves_nothing(
    db, tmp_path, monkeypatch
):
    """The second check, under the lock: another member's upload is accepted while this one
    is being validated (after the first check passed); this one is refused and its stored
    file deleted."""
    from fivesigma.challenges.engine import intake

    tiny = load_tiny_challenge(tmp_path, n_events=120)
    Phase.objects.filter(pk=tiny.main.pk).update(daily_limit=1)
    phase = Phase.objects.get(pk=tiny.main.pk)
    alice, bob = make_user("alice"), make_user("bob")
    teams.join(bob, teams.ensure_team(alice, phase.challenge).invite_code)
    content = noisy_submission(tiny.solution)
    validate = intake.validate_upload
    overtaking = []

    def overtaken(phase, upload):
        validate(phase, upload)
        if upload.name == "a.csv":
            overtaking.append(intake.submit(phase, bob, SimpleUploadedFile("b.csv", content)))

    monkeypatch.setattr(intake, "validate_upload", overtaken)
    with pytest.raises(intake.SubmissionRefused, match=REFUSAL.replace(str(LIMIT), "1")):
        intake.submit(phase, alice, SimpleUploadedFile("a.csv", content))
    assert list(Submission.objects.all()) == overtaking
    files = [p for p in (tmp_path / "media" / "submissions").rglob("*") if p.is_file()]
    assert [p.name for p in files] == ["b.csv"]


def test_a_first_upload_overtaken_by_the_same_users_other_first_upload_joins_its_team(
    db, monkeypatch
):
    """Two first uploads of one user at once: both see no team; the later one to create it
    finds the team the other just made instead of failing."""
    challenge = Challenge.objects.create(slug="race", title="Race")
    alice = make_user("alice")
    made_meanwhile = teams.ensure_team(alice, challenge)  # the other request's team
    team_of = teams.team_of
    calls = []

    def not_yet_then_real(user, challenge):
        calls.append(user)
        return None if len(calls) == 1 else team_of(user, challenge)

    monkeypatch.setattr(teams, "team_of", not_yet_then_real)
    assert teams.ensure_team(alice, challenge) == made_meanwhile
    assert challenge.teams.count() == 1

"""Who sees what: a permission matrix, checked cell by cell through the test client.

People: anonymous, a participant (alice), a member of another team (bob), the organiser of
another challenge (carol), the challenge's organiser (olga) and staff (sam). Phase ``main``
is running; phase ``past`` has ended. Each cell gives the expected HTTP status; where a page
is served, the private scores and hidden bytes it must not contain are looked for too.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from fivesigma.challenges.engine import intake, worker
from fivesigma.challenges.models import Challenge, DataFile, Score, Submission
from tests.builders.challenges import load_tiny_challenge
from tests.builders.higgsml_files import noisy_submission
from tests.builders.submissions import upload
from tests.builders.users import make_user

PEOPLE = ("anonymous", "alice", "bob", "carol", "olga", "sam")
ORGANISERS = {"olga", "sam"}


@dataclass
class Scene:
    tiny: object
    users: dict
    alice_main: Submission
    alice_past: Submission
    bob_main: Submission
    alice_bytes: bytes
    other_slug: str

    def private_value(self, submission: Submission) -> float:
        return Score.objects.get(submission=submission, subset=Score.PRIVATE, current=True).value

    def public_value(self, submission: Submission) -> float:
        return Score.objects.get(submission=submission, subset=Score.PUBLIC, current=True).value


def scored(phase, user, content: bytes, name: str) -> Submission:
    """A submission scored by the pipeline, uploaded on time (also to a phase that has ended)."""
    submission = intake.submit(phase, user, upload(name, content), enforce_rules=False)
    on_time = min(submission.created, phase.end - timedelta(days=1))
    Submission.objects.filter(pk=submission.pk).update(created=on_time, is_late=False)
    worker.process(submission.pk)
    submission.refresh_from_db()
    assert submission.status == Submission.FINISHED, submission.reason
    return submission


@pytest.fixture
def scene(db, tmp_path) -> Scene:
    users = {
        "alice": make_user("alice"),
        "bob": make_user("bob"),
        "carol": make_user("carol"),
        "olga": make_user("olga"),
        "sam": make_user("sam", is_staff=True),
    }
    tiny = load_tiny_challenge(tmp_path, organiser=users["olga"])
    other = Challenge.objects.create(slug="other-challenge", title="Another challenge")
    other.organisers.add(users["carol"])
    alice_bytes = noisy_submission(tiny.solution, seed=1)
    return Scene(
        tiny=tiny,
        users=users,
        alice_main=scored(tiny.main, users["alice"], alice_bytes, "alice-main.csv"),
        alice_past=scored(
            tiny.past, users["alice"], noisy_submission(tiny.solution, seed=2), "alice-past.csv"
        ),
        bob_main=scored(
            tiny.main, users["bob"], noisy_submission(tiny.solution, seed=3), "bob-main.csv"
        ),
        alice_bytes=alice_bytes,
        other_slug=other.slug,
    )


def client_for(scene: Scene, who: str) -> Client:
    client = Client()
    if who != "anonymous":
        client.force_login(scene.users[who])
    return client


def only(*allowed: str, otherwise: int = 404) -> dict[str, int]:
    return {who: 200 if who in allowed else otherwise for who in PEOPLE}


def everyone(status: int = 200) -> dict[str, int]:
    return dict.fromkeys(PEOPLE, status)


def logged_in(status: int = 200) -> dict[str, int]:
    return {**everyone(status), "anonymous": 302}


def read_cells(scene: Scene):
    """(name, url, expected status per person, texts that must appear when it is served)."""
    slug = scene.tiny.challenge.slug
    a, ap = scene.alice_main, scene.alice_past
    solution = DataFile.objects.get(phase=scene.tiny.main, role=DataFile.SOLUTION)
    public = DataFile.objects.get(challenge=scene.tiny.challenge, role=DataFile.PUBLIC)
    board = reverse("leaderboard", args=[slug, "main"])
    past_board = reverse("leaderboard", args=[slug, "past"])
    csv = reverse("leaderboard-csv", args=[slug, "main"])
    api_board = reverse("api-leaderboard", args=[slug, "main"])
    team_member = ("alice", *ORGANISERS)
    return [
        ("leaderboard, running phase", board, everyone(), []),
        ("leaderboard, running phase, public", board + "?subset=public", everyone(), []),
        (
            "leaderboard, running phase, private",
            board + "?subset=private",
            only(*ORGANISERS, otherwise=403),
            [],
        ),
        ("leaderboard csv, running, public", csv + "?subset=public", everyone(), []),
        (
            "leaderboard csv, running, private",
            csv + "?subset=private",
            only(*ORGANISERS, otherwise=403),
            [],
        ),
        (
            "api leaderboard, running, private",
            api_board + "?subset=private",
            only(*ORGANISERS, otherwise=403),
            [],
        ),
        ("leaderboard, ended phase", past_board, everyone(), [f"{scene.private_value(ap):.5f}"]),
        ("leaderboard, ended phase, public", past_board + "?subset=public", everyone(), []),
        ("submission page", a.get_absolute_url(), only(*team_member), []),
        ("submission status", reverse("submission-status", args=[a.uid]), only(*team_member), []),
        ("submission file", reverse("submission-file", args=[a.uid]), only(*team_member), []),
        ("api submission", reverse("api-submission", args=[a.uid]), only(*team_member), []),
        (
            "ended submission page",
            ap.get_absolute_url(),
            only(*team_member),
            [f"{scene.private_value(ap):.5f}"],
        ),
        (
            "solution by guessed id",
            reverse("download-file", args=[slug, solution.pk]),
            only(*ORGANISERS),
            [],
        ),
        (
            "solution through another challenge",
            reverse("download-file", args=[scene.other_slug, solution.pk]),
            everyone(404),
            [],
        ),
        (
            "api solution by guessed id",
            reverse("api-file-download", args=[slug, solution.pk]),
            only(*ORGANISERS),
            [],
        ),
        ("public data file", reverse("download-file", args=[slug, public.pk]), everyone(), []),
        ("my submissions", reverse("my-submissions", args=[slug]), logged_in(), []),
        ("organiser dashboard", reverse("organiser-dashboard"), logged_in(), []),
    ]


def body(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def secrets_for(scene: Scene, who: str) -> list[str]:
    """Texts this person must find on no page: the running phase's private scores (unless
    organiser) and the names of the other team's files."""
    hidden = []
    if who not in ORGANISERS:
        for submission in (scene.alice_main, scene.bob_main):
            value = scene.private_value(submission)
            hidden += [f"{value:.5f}", repr(value)]
    hidden += {"alice": ["bob-main.csv"], "bob": ["alice-main.csv"]}.get(who, [])
    return hidden


@pytest.mark.parametrize("who", PEOPLE)
def test_read_matrix(scene, who):
    client = client_for(scene, who)
    wrong = []
    for name, url, expected, must_show in read_cells(scene):
        response = client.get(url)
        if response.status_code != expected[who]:
            wrong.append(f"{name}: {response.status_code}, expected {expected[who]}")
            continue
        if response.status_code != 200:
            continue
        text = body(response).decode("utf-8", "replace")
        for secret in secrets_for(scene, who):
            if secret in text:
                wrong.append(f"{name}: shows {secret!r}")
        for needed in must_show:
            if needed not in text:
                wrong.append(f"{name}: does not show {needed!r}")
    assert not wrong, f"{who}:\n" + "\n".join(wrong)


@pytest.mark.parametrize("who", PEOPLE)
def test_what_each_person_gets_from_allowed_pages(scene, who):
    """Content checks of the cells that are served: the right bytes, the right scores."""
    client = client_for(scene, who)
    slug = scene.tiny.challenge.slug
    a = scene.alice_main
    if who in ("alice", *ORGANISERS):
        assert body(client.get(reverse("submission-file", args=[a.uid]))) == scene.alice_bytes
        status = client.get(reverse("submission-status", args=[a.uid])).json()
        assert set(status["scores"]) == ({"public", "private"} if who in ORGANISERS else {"public"})
        assert status["scores"]["public"]["value"] == pytest.approx(scene.public_value(a))
    if who in ORGANISERS:
        private = client.get(reverse("leaderboard", args=[slug, "main"]) + "?subset=private")
        assert f"{scene.private_value(a):.5f}" in private.content.decode()
        solution = DataFile.objects.get(phase=scene.tiny.main, role=DataFile.SOLUTION)
        served = body(client.get(reverse("download-file", args=[slug, solution.pk])))
        assert served == Path(solution.file.path).read_bytes()
    dashboard = client.get(reverse("organiser-dashboard"))
    if who != "anonymous":
        shows_challenge = scene.tiny.challenge.title.encode() in dashboard.content
        assert shows_challenge == (who in ORGANISERS)
    mine = client.get(reverse("my-submissions", args=[slug]))
    if who == "alice":
        assert b"alice-main.csv" in mine.content and b"bob-main.csv" not in mine.content
    if who == "bob":
        assert b"bob-main.csv" in mine.content and b"alice-main.csv" not in mine.content


def bundle_zip(bundle: Path, title: str) -> bytes:
    """The tiny bundle as a zip, with its title changed."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(bundle.rglob("*")):
            if path.is_file():
                data = path.read_bytes()
                if path.name == "challenge.yaml":
                    data = data.replace(b"title: Tiny Higgs", f"title: {title}".encode())
                archive.writestr(path.relative_to(bundle).as_posix(), data)
    return buffer.getvalue()


WRITE_EXPECTED = {
    # person: (rescore, bundle upload over the challenge, toggle alice's final)
    "anonymous": (302, 302, 302),
    "alice": (403, 403, 302),
    "bob": (403, 403, 404),
    "carol": (403, 400, 404),
    "olga": (302, 302, 302),
    "sam": (302, 302, 302),
}


@pytest.mark.parametrize("who", PEOPLE)
def test_write_matrix(scene, who):
    client = client_for(scene, who)
    slug = scene.tiny.challenge.slug
    login = reverse("login")
    rescore, bundle, final = WRITE_EXPECTED[who]

    response = client.post(reverse("submission-final", args=[scene.alice_main.uid]))
    assert response.status_code == final
    scene.alice_main.refresh_from_db()
    assert scene.alice_main.selected_final == (who in ("alice", *ORGANISERS))

    archive = io.BytesIO(bundle_zip(scene.tiny.bundle, f"Renamed by {who}"))
    archive.name = "bundle.zip"
    response = client.post(reverse("upload-bundle"), {"bundle": archive})
    assert response.status_code == bundle
    title = Challenge.objects.get(slug=slug).title
    assert (title == f"Renamed by {who}") == (who in ORGANISERS)
    if who == "carol":
        assert b"another organiser" in response.content
        assert not Challenge.objects.get(slug=slug).organisers.filter(username="carol").exists()

    response = client.post(reverse("rescore", args=[slug, "main"]))
    assert response.status_code == rescore
    queued = Submission.objects.filter(phase=scene.tiny.main, status=Submission.QUEUED).count()
    assert queued == (2 if who in ORGANISERS else 0), "re-scoring happened without permission"
    if who == "anonymous":
        assert response.url.startswith(login)


def test_a_bundle_zip_cannot_smuggle_another_challenges_slug(scene):
    """Several candidate folders in one zip: the slug checked must be the one loaded."""
    carol = scene.users["carol"]
    bundle = scene.tiny.bundle
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        # the first folder declares carol's own slug, the others the victim's
        folders = [("a", "carols-own")] + [(c, scene.tiny.challenge.slug) for c in "bcdefgh"]
        for prefix, slug in folders:
            for path in sorted(bundle.rglob("*")):
                if path.is_file():
                    data = path.read_bytes()
                    if path.name == "challenge.yaml":
                        data = data.replace(
                            f"slug: {scene.tiny.challenge.slug}".encode(), f"slug: {slug}".encode()
                        ).replace(b"title: Tiny Higgs", b"title: Hijacked")
                    archive.writestr(f"{prefix}/{path.relative_to(bundle).as_posix()}", data)
    buffer.seek(0)
    buffer.name = "bundle.zip"
    client = client_for(scene, "carol")
    response = client.post(reverse("upload-bundle"), {"bundle": buffer})
    assert response.status_code == 400
    assert b"not a zip" not in response.content
    victim = Challenge.objects.get(slug=scene.tiny.challenge.slug)
    assert victim.title == "Tiny Higgs"
    assert not victim.organisers.filter(pk=carol.pk).exists()


@pytest.mark.parametrize(
    "form",
    ["submit", "final", "team", "rescore", "bundle"],
)
def test_every_form_needs_its_csrf_token(scene, form):
    slug = scene.tiny.challenge.slug
    who = "olga" if form in ("rescore", "bundle") else "alice"
    client = Client(enforce_csrf_checks=True)
    client.force_login(scene.users[who])
    url = {
        "submit": reverse("submit", args=[slug, "main"]),
        "final": reverse("submission-final", args=[scene.alice_main.uid]),
        "team": reverse("team", args=[slug]),
        "rescore": reverse("rescore", args=[slug, "main"]),
        "bundle": reverse("upload-bundle"),
    }[form]
    before = (Submission.objects.count(), Submission.objects.filter(status="queued").count())
    response = client.post(url, {"action": "leave", "description": "x"})
    assert response.status_code == 403
    after = (Submission.objects.count(), Submission.objects.filter(status="queued").count())
    assert before == after

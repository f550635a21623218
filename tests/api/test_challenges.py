"""Challenges, phases, the schema, tokens and /api/me/."""

from __future__ import annotations

from fivesigma.challenges.engine import intake
from fivesigma.challenges.models import Challenge
from tests.api.conftest import api_client
from tests.builders.submissions import upload
from tests.builders.users import PASSWORD, make_user


def test_challenge_list_shows_public_challenges_with_their_phases(site, anonymous):
    Challenge.objects.create(slug="secret", title="Secret", is_public=False)
    reply = anonymous.get("/api/challenges/")
    assert reply.status_code == 200
    listed = {c["slug"]: c for c in reply.json()["results"]}
    assert set(listed) == {"tiny-higgs"}
    assert [p["key"] for p in listed["tiny-higgs"]["phases"]] == ["main", "past"]
    main = listed["tiny-higgs"]["phases"][0]
    assert main["metric"] == "ams" and main["higher_is_better"] is True
    assert main["is_open"] is True and main["has_ended"] is False
    assert listed["tiny-higgs"]["phases"][1]["has_ended"] is True


def test_hidden_challenge_is_visible_to_its_organiser_only(site, anonymous, alice_api):
    hidden = Challenge.objects.create(slug="secret", title="Secret", is_public=False)
    hidden.organisers.add(site.organiser)
    assert anonymous.get("/api/challenges/secret/").status_code == 404
    assert alice_api.get("/api/challenges/secret/").status_code == 404
    assert alice_api.get("/api/challenges/secret/files/").status_code == 404
    organiser = api_client(site.organiser)
    assert organiser.get("/api/challenges/secret/").json()["slug"] == "secret"
    assert "secret" in {c["slug"] for c in organiser.get("/api/challenges/").json()["results"]}


def test_challenge_detail_has_pages_and_links(site, anonymous):
    data = anonymous.get("/api/challenges/tiny-higgs/").json()
    assert "tiny" in data["pages"]["overview"]
    assert data["files_url"].endswith("/api/challenges/tiny-higgs/files/")
    assert anonymous.get("/api/challenges/nope/").status_code == 404


def test_phase_detail_reports_the_callers_allowance(site, anonymous, alice_api):
    assert anonymous.get("/api/challenges/tiny-higgs/phases/main/").json()["allowance"] is None
    before = alice_api.get("/api/challenges/tiny-higgs/phases/main/").json()["allowance"]
    assert before["remaining_today"] == before["daily_limit"] == 5
    intake.submit(site.phase, site.alice, upload("a.csv", _valid(site)))
    after = alice_api.get("/api/challenges/tiny-higgs/phases/main/").json()["allowance"]
    assert after["used_today"] == 1 and after["remaining_today"] == 4
    phases = anonymous.get("/api/challenges/tiny-higgs/phases/").json()
    assert [p["key"] for p in phases] == ["main", "past"]
    assert anonymous.get("/api/challenges/tiny-higgs/phases/nope/").status_code == 404


def test_schema_lists_the_endpoints(db, anonymous):
    reply = anonymous.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert reply.status_code == 200
    paths = reply.json()["paths"]
    for path in (
        "/api/challenges/",
        "/api/challenges/{slug}/phases/{key}/leaderboard/",
        "/api/challenges/{slug}/phases/{key}/submissions/",
        "/api/submissions/{uid}/",
        "/api/challenges/{slug}/files/{file_id}/download/",
    ):
        assert path in paths
    assert "post" in paths["/api/challenges/{slug}/phases/{key}/submissions/"]


def test_token_for_username_and_password(db, anonymous):
    user = make_user("dora", password=PASSWORD)
    wrong = anonymous.post("/api/token/", {"username": "dora", "password": "nope"})
    assert wrong.status_code == 400
    token = anonymous.post("/api/token/", {"username": "dora", "password": PASSWORD}).json()[
        "token"
    ]
    client = api_client()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/me/").json() == {"username": user.username, "teams": {}}
    assert anonymous.get("/api/me/").status_code == 401


def test_bad_token_is_refused(db, anonymous):
    anonymous.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert anonymous.get("/api/me/").status_code == 401


def _valid(site) -> bytes:
    from tests.builders.higgsml_files import noisy_submission

    return noisy_submission(site.solution)

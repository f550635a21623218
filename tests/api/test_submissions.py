"""Submitting through the API and reading one's submissions: scores, history, denials."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from fivesigma.challenges.api.throttles import UploadThrottle
from fivesigma.challenges.models import Phase, Submission
from tests.builders.challenges import end_phase
from tests.builders.higgsml_files import noisy_submission, reference_ams
from tests.builders.submissions import finished

URL = "/api/challenges/tiny-higgs/phases/main/submissions/"


def _file(content: bytes, name: str = "mine.csv") -> io.BytesIO:
    stream = io.BytesIO(content)
    stream.name = name
    return stream


def _post(client, content: bytes, name: str = "mine.csv", url: str = URL, **extra):
    return client.post(url, {"file": _file(content, name), **extra}, format="multipart")


def test_valid_upload_is_scored_and_readable_by_its_team(site, alice_api, eager_tasks):
    content = noisy_submission(site.solution)
    reply = _post(alice_api, content, description="first try")
    assert reply.status_code == 201, reply.content
    created = reply.json()
    assert reply["Location"] == created["url"]
    assert created["team"] == site.alice.username and created["description"] == "first try"
    submission = finished(Submission.objects.get(uid=created["uid"]))

    detail = alice_api.get(created["url"]).json()
    assert detail["status"] == "finished" and detail["done"] is True
    assert [e["status"] for e in detail["events"]] == [
        "submitted",
        "queued",
        "running",
        "scoring",
        "finished",
    ]
    classes = pd.read_csv(io.BytesIO(content))["Class"].to_numpy()
    assert [s["subset"] for s in detail["scores"]] == ["public"]  # private hidden before the end
    assert detail["scores"][0]["value"] == pytest.approx(
        reference_ams(site.solution, classes, "b"), rel=1e-9
    )
    assert (
        detail["scores"][0]["ci_low"]
        <= detail["scores"][0]["value"]
        <= detail["scores"][0]["ci_high"]
    )
    assert "ams_curve" in detail["scores"][0]["diagnostics"]
    assert "private" not in str(detail["scores"])
    listed = alice_api.get(URL).json()
    assert [s["uid"] for s in listed["results"]] == [str(submission.uid)]
    assert "diagnostics" not in listed["results"][0]["scores"][0]


def test_private_score_shown_to_organisers_and_to_the_team_after_the_end(
    site, alice_api, organiser_api, eager_tasks
):
    created = _post(alice_api, noisy_submission(site.solution)).json()
    finished(Submission.objects.get(uid=created["uid"]))
    organiser_view = organiser_api.get(created["url"]).json()
    assert [s["subset"] for s in organiser_view["scores"]] == ["public", "private"]
    end_phase(site.phase)
    assert [s["subset"] for s in alice_api.get(created["url"]).json()["scores"]] == [
        "public",
        "private",
    ]


def test_invalid_file_is_refused_with_the_reason_and_not_kept(site, alice_api):
    reply = _post(alice_api, b"EventId,RankOrder,Class\n1,1,s\n", name="bad.csv")
    assert reply.status_code == 400
    assert "EventId" in reply.json()["detail"]
    assert Submission.objects.count() == 0


def test_upload_without_a_file_field(site, alice_api):
    reply = alice_api.post(URL, {"description": "no file"}, format="multipart")
    assert reply.status_code == 400 and "'file'" in reply.json()["file"]


def test_anonymous_callers_can_neither_submit_nor_list(site, anonymous):
    assert _post(anonymous, noisy_submission(site.solution)).status_code == 401
    assert anonymous.get(URL).status_code == 401
    assert Submission.objects.count() == 0


def test_other_teams_cannot_see_a_submission(site, alice_api, bob_api, anonymous):
    created = _post(alice_api, noisy_submission(site.solution)).json()
    assert bob_api.get(created["url"]).status_code == 404
    assert anonymous.get(created["url"]).status_code == 404
    assert bob_api.get(URL).json()["results"] == []
    assert (
        alice_api.get("/api/submissions/00000000-0000-0000-0000-000000000000/").status_code == 404
    )


def test_organisers_list_every_team(site, alice_api, bob_api, organiser_api):
    _post(alice_api, noisy_submission(site.solution))
    _post(bob_api, noisy_submission(site.solution, seed=4))
    teams = {s["team"] for s in organiser_api.get(URL).json()["results"]}
    assert teams == {site.alice.username, site.bob.username}


def test_daily_limit_refuses_with_a_message(site, alice_api):
    Phase.objects.filter(pk=site.phase.pk).update(daily_limit=1)
    assert _post(alice_api, noisy_submission(site.solution)).status_code == 201
    reply = _post(alice_api, noisy_submission(site.solution, seed=5))
    assert reply.status_code == 400
    assert "used its 1 submissions for today" in reply.json()["detail"]


def test_ended_phase_refuses_uploads(site, alice_api):
    reply = _post(alice_api, noisy_submission(site.solution), url=URL.replace("main", "past"))
    assert reply.status_code == 400 and "has ended" in reply.json()["detail"]


def test_uploads_are_rate_limited(site, alice_api, monkeypatch):
    monkeypatch.setattr(UploadThrottle, "THROTTLE_RATES", {"upload": "2/min"})
    codes = [_post(alice_api, b"not,a\nsubmission,file\n").status_code for _ in range(3)]
    assert codes == [400, 400, 429]
    assert alice_api.get(URL).status_code == 200  # reading is not throttled

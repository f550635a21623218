"""The API of a phase scored by an organiser's program: the leaderboard's declared columns
(their definitions, and each row's figures by column key), public figures on the public board
and private ones on the private board; the programs' logs for organisers only."""

from __future__ import annotations

import pytest

from tests.api.conftest import api_client
from tests.builders.submissions import add_entry
from tests.builders.users import make_team, make_user
from tests.challenges.programs import COLUMNS, program_phase, scored, team

URL = "/api/challenges/programs/phases/main/leaderboard/"


@pytest.fixture
def organiser(db):
    return make_user("program-organiser")


@pytest.fixture
def phase(organiser):
    made = program_phase(organiser=organiser)
    scored(made, team(made, "slow"), {"accuracy": 0.8, "time": 2.5}, {"accuracy": 0.9, "time": 2})
    scored(made, team(made, "fast"), {"accuracy": 0.8, "time": 1.0}, {"accuracy": 0.7, "time": 1})
    return made


def test_the_leaderboard_gives_the_column_definitions_and_each_rows_figures(phase):
    answer = api_client().get(URL).json()
    assert answer["columns"] == COLUMNS  # every key, title, sorting, precision and rank
    assert answer["metric"] == "" and answer["metric_title"] == "Accuracy"
    assert answer["higher_is_better"] is True
    rows = [(r["rank"], r["team"], r["score"], r["columns"]) for r in answer["results"]]
    assert rows == [
        (1, "fast", 0.8, {"accuracy": 0.8, "time": 1.0, "efficiency": None}),  # tie: faster
        (2, "slow", 0.8, {"accuracy": 0.8, "time": 2.5, "efficiency": None}),
    ]


def test_the_private_board_gives_the_private_figures(phase, organiser):
    assert api_client().get(URL + "?subset=private").status_code == 403
    answer = api_client(organiser).get(URL + "?subset=private").json()
    rows = [(r["team"], r["columns"]["accuracy"], r["columns"]["time"]) for r in answer["results"]]
    assert rows == [("slow", 0.9, 2), ("fast", 0.7, 1)]


def test_a_bundle_naming_no_rank_ranks_by_its_first_column(db):
    unranked = program_phase(slug="unranked")
    unranked.columns = [{**c, "rank": None} for c in COLUMNS]
    unranked.save()
    scored(unranked, team(unranked, "t"), {"accuracy": 0.5}, {"accuracy": 0.5})
    answer = api_client().get("/api/challenges/unranked/phases/main/leaderboard/").json()
    assert [c["rank"] for c in answer["columns"]] == [1, None, None]


def test_a_metric_phase_has_no_columns(site, anonymous):
    add_entry(site.phase, make_team(site.challenge, "team"), 2.0)
    answer = anonymous.get("/api/challenges/tiny-higgs/phases/main/leaderboard/").json()
    assert answer["columns"] == [] and answer["results"][0]["columns"] == {}
    assert answer["metric"] == "ams"


def test_the_schema_documents_the_columns(db):
    schema = api_client().get("/api/schema/?format=json").json()
    row = schema["components"]["schemas"]["LeaderboardRow"]["properties"]
    assert row["columns"]["type"] == "object"
    column = schema["components"]["schemas"]["Column"]["properties"]
    assert set(column) == {"key", "title", "sorting", "precision", "rank"}


def test_the_program_log_reaches_the_organisers_only(organiser):
    phase = program_phase(slug="logs", organiser=organiser)
    alice = make_user("alice-logs")
    report = {
        "scoring": {"seconds": 2.0, "exit_code": 1, "timed_out": False, "log": "SECRET-LOG"},
        "detailed": [],
    }
    submission = scored(
        phase, team(phase, "mine", members=[alice]), {"accuracy": 1}, {"accuracy": 1}, report
    )
    url = f"/api/submissions/{submission.uid}/"
    seen = api_client(alice).get(url).json()["run_report"]["program"]
    assert seen == {"scoring": {"seconds": 2.0, "exit_code": 1, "timed_out": False}, "detailed": []}
    staff = make_user("staff-logs", is_staff=True)
    for viewer in (organiser, staff):
        scoring = api_client(viewer).get(url).json()["run_report"]["program"]["scoring"]
        assert scoring["log"] == "SECRET-LOG"
    # the list of a phase's submissions gives no run report at all
    listed = api_client(alice).get("/api/challenges/logs/phases/main/submissions/").json()
    assert "SECRET-LOG" not in str(listed)

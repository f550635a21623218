"""Leaderboards through the API: order, benchmarks, pages, ties, private rules, chart data."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
from django.utils import timezone

from tests.builders.challenges import T0, end_phase
from tests.builders.submissions import add_entry
from tests.builders.users import make_team

URL = "/api/challenges/tiny-higgs/phases/main/leaderboard/"


def _rows(reply):
    assert reply.status_code == 200, reply.content
    return [(r["rank"], r["team"], r["score"]) for r in reply.json()["results"]]


def test_public_rows_best_first_benchmark_unranked_undefined_last(site, anonymous):
    add_entry(site.phase, make_team(site.challenge, "middle"), 2.0)
    add_entry(site.phase, make_team(site.challenge, "undefined"), None)
    top = make_team(site.challenge, "top")
    add_entry(site.phase, top, 3.0)
    add_entry(site.phase, top, 1.5, at=T0 + timedelta(hours=1))  # worse, later: best stays
    add_entry(site.phase, make_team(site.challenge, "bottom"), 1.0)
    add_entry(site.phase, make_team(site.challenge, "baseline", benchmark=True), 2.5)
    reply = anonymous.get(URL)
    assert _rows(reply) == [
        (1, "top", 3.0),
        (None, "baseline", 2.5),
        (2, "middle", 2.0),
        (3, "bottom", 1.0),
        (4, "undefined", None),
    ]
    first = reply.json()["results"][0]
    assert first["entries"] == 2 and first["is_benchmark"] is False
    assert reply.json()["subset"] == "public" and reply.json()["higher_is_better"] is True


def test_private_leaderboard_is_refused_before_the_end(site, anonymous, alice_api, organiser_api):
    add_entry(site.phase, make_team(site.challenge, "team"), 2.0, private=1.0)
    for client in (anonymous, alice_api):
        reply = client.get(URL + "?subset=private")
        assert reply.status_code == 403
        assert "after the phase ends" in reply.json()["detail"]
    assert _rows(organiser_api.get(URL + "?subset=private")) == [(1, "team", 1.0)]


def test_private_leaderboard_after_the_end_shows_rank_changes(site, alice_api):
    add_entry(site.phase, make_team(site.challenge, "public-star"), 3.0, private=1.0)
    add_entry(site.phase, make_team(site.challenge, "steady"), 2.0, private=2.0)
    end_phase(site.phase)
    reply = alice_api.get(URL + "?subset=private")
    assert _rows(reply) == [(1, "steady", 2.0), (2, "public-star", 1.0)]
    changes = {r["team"]: (r["public_rank"], r["rank_change"]) for r in reply.json()["results"]}
    assert changes == {"steady": (2, 1), "public-star": (1, -1)}


def test_unknown_subset_and_phase(site, anonymous):
    reply = anonymous.get(URL + "?subset=everything")
    assert reply.status_code == 400 and "public or private" in reply.json()["subset"]
    assert anonymous.get("/api/challenges/tiny-higgs/phases/nope/leaderboard/").status_code == 404


def test_rows_come_a_hundred_a_page(site, anonymous):
    for i in range(120):
        add_entry(site.phase, make_team(site.challenge, f"team-{i:03d}"), float(i))
    first = anonymous.get(URL).json()
    assert first["count"] == 120 and len(first["results"]) == 100
    assert first["results"][0]["team"] == "team-119"
    second = anonymous.get(first["next"]).json()
    assert [r["rank"] for r in second["results"]] == list(range(101, 121))
    assert second["results"][-1]["team"] == "team-000"


def test_statistical_ties_are_marked(site, anonymous):
    rng = np.random.default_rng(0)
    shared = rng.normal(2.0, 0.3, 400)
    add_entry(site.phase, make_team(site.challenge, "a"), 2.01, replicas={"public": shared + 0.01})
    b_replicas = shared + rng.normal(0, 0.05, 400)
    add_entry(site.phase, make_team(site.challenge, "b"), 2.0, replicas={"public": b_replicas})
    add_entry(site.phase, make_team(site.challenge, "c"), 1.0, replicas={"public": shared - 1.0})
    tied = {r["team"]: r["tied_with_above"] for r in anonymous.get(URL).json()["results"]}
    assert tied == {"a": False, "b": True, "c": False}


def test_chart_has_the_record_line_and_baselines(site, anonymous):
    start = timezone.now() - timedelta(days=10)
    teams = {name: make_team(site.challenge, name) for name in "abc"}
    for day, (team, value) in enumerate(
        [("a", 1.0), ("b", 0.5), ("b", 2.0), ("a", 1.5), ("c", 3.0), ("a", 2.9)]
    ):
        add_entry(site.phase, teams[team], value, at=start + timedelta(days=day))
    add_entry(site.phase, make_team(site.challenge, "baseline", benchmark=True), 2.2, at=start)
    chart = anonymous.get(URL + "chart/").json()
    assert [(r["team"], r["score"]) for r in chart["records"]] == [
        ("a", 1.0),
        ("b", 2.0),
        ("c", 3.0),
    ]
    assert chart["benchmarks"] == [{"team": "baseline", "score": 2.2}]
    assert chart["speed"] == []  # a result-file phase has no timing
    assert anonymous.get(URL + "chart/?subset=private").status_code == 403


def test_chart_of_a_code_phase_has_accuracy_and_speed(site, anonymous):
    from fivesigma.challenges.models import Phase

    Phase.objects.filter(pk=site.phase.pk).update(kind=Phase.CODE)
    fast, slow = make_team(site.challenge, "fast"), make_team(site.challenge, "slow")
    add_entry(site.phase, fast, 0.8, details={"accuracy": 0.85, "seconds_per_event": 0.5})
    add_entry(site.phase, slow, 0.7, details={"accuracy": 0.9, "seconds_per_event": 20.0})
    speed = anonymous.get(URL + "chart/").json()["speed"]
    assert {(p["team"], p["accuracy"], p["seconds_per_event"]) for p in speed} == {
        ("fast", 0.85, 0.5),
        ("slow", 0.9, 20.0),
    }

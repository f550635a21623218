"""The organiser dashboard's figures against counts made here from the rows written, and who
sees what on the page and in its worker-health JSON."""

from __future__ import annotations

import re
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from fivesigma.challenges.engine import operations
from fivesigma.challenges.models import Challenge, Phase, Submission, Team
from tests.builders.users import make_user
from tests.conftest import wait_for
from tests.s3 import s3_storage

NOW = datetime(2024, 3, 1, 0, 30, tzinfo=UTC)  # half an hour into a UTC day
S = Submission
STATUSES = (S.SUBMITTED, S.QUEUED, S.RUNNING, S.SCORING, S.FINISHED, S.FAILED)


def make_phase(slug: str, kind: str = Phase.RESULT, organiser=None) -> Phase:
    challenge = Challenge.objects.get_or_create(slug=slug, defaults={"title": slug.title()})[0]
    if organiser is not None:
        challenge.organisers.add(organiser)
    return Phase.objects.create(
        challenge=challenge,
        key=kind,
        title=f"{kind} phase",
        kind=kind,
        start=NOW - timedelta(days=100),
        end=NOW + timedelta(days=100),
        metric="ams",
    )


def add(phase: Phase, created: datetime, status: str = S.FINISHED, **times) -> Submission:
    """A submission of ``phase`` uploaded at ``created`` with the given status and times."""
    team = Team.objects.get_or_create(challenge=phase.challenge, name="team")[0]
    submission = S.objects.create(
        phase=phase, team=team, file="x.csv", original_name="x.csv", status=status, **times
    )
    S.objects.filter(pk=submission.pk).update(created=created)  # created is stamped on insert
    return submission


def of(*phases: Phase):
    return S.objects.filter(phase__in=phases)


@pytest.fixture
def result_phase(db):
    return make_phase("higgs")


@pytest.fixture
def code_phase(db):
    return make_phase("higgs", kind=Phase.CODE)


def test_submissions_per_day_counts_each_utc_day_of_the_last_30(result_phase):
    rng = np.random.default_rng(7)
    first_day = date(2024, 2, 1)  # 29 days before 2024-03-01
    midnight = datetime(2024, 2, 1, tzinfo=UTC)
    times = [NOW - timedelta(seconds=float(s)) for s in rng.uniform(0, 40 * 86400, 300)]
    times += [midnight, midnight - timedelta(microseconds=1), NOW - timedelta(minutes=29)]
    for at in times:
        add(result_phase, at, rng.choice(STATUSES))
    elsewhere = make_phase("elsewhere")
    add(elsewhere, NOW - timedelta(hours=1))  # another challenge: not in the queryset below

    figures = operations.submissions_per_day(of(result_phase), NOW)

    expected = Counter(at.date() for at in times)
    days = [first_day + timedelta(days=k) for k in range(30)]
    assert [f["day"] for f in figures] == days
    assert [f["n"] for f in figures] == [expected[d] for d in days]
    assert figures[0]["n"] == sum(1 for at in times if first_day == at.date())  # midnight in
    assert figures[-1]["n"] == 1  # today: only the upload 29 minutes ago
    assert sum(f["n"] for f in figures) == sum(1 for at in times if at >= midnight)


def test_submissions_per_day_lists_every_day_when_nothing_was_uploaded(result_phase):
    figures = operations.submissions_per_day(of(result_phase), NOW, days=7)
    assert [f["n"] for f in figures] == [0] * 7
    assert figures[-1]["day"] == date(2024, 3, 1)


def in_flight_and_finished(phase: Phase, rng) -> list[dict]:
    """Submissions in every state, with times a pipeline would stamp; returns their specs."""
    specs = []
    for k in range(40):
        status = STATUSES[k % len(STATUSES)]
        created = NOW - timedelta(hours=float(rng.uniform(0.1, 60)))
        queued = created + timedelta(seconds=float(rng.uniform(0, 5)))
        started = queued + timedelta(seconds=float(rng.uniform(0, 600)))
        spec = {"created": created, "status": status, "queued_at": queued}
        if status == S.SUBMITTED and k % 4 == 0:
            spec["queued_at"] = None  # uploaded, not queued yet
        elif status not in (S.SUBMITTED, S.QUEUED):
            spec["started_at"] = min(started, NOW)
        specs.append(spec)
    # re-queued after its worker died: started once, queued again later and waiting now
    again = NOW - timedelta(minutes=20)
    specs.append(
        {
            "created": NOW - timedelta(hours=3),
            "status": S.QUEUED,
            "queued_at": again,
            "started_at": again - timedelta(minutes=5),
        }
    )
    for spec in specs:
        add(
            phase,
            spec["created"],
            spec["status"],
            **{k: spec.get(k) for k in ("queued_at", "started_at")},
        )
    return specs


def expected_queue(name: str, specs: list[dict]) -> dict:
    waiting = [s for s in specs if s["status"] in (S.SUBMITTED, S.QUEUED)]
    running = [s for s in specs if s["status"] in (S.RUNNING, S.SCORING)]
    recent = [
        s
        for s in specs
        if s.get("started_at")
        and s["started_at"] >= NOW - timedelta(hours=24)
        and s["queued_at"] <= s["started_at"]
    ]
    waits = [(s["started_at"] - s["queued_at"]).total_seconds() for s in recent]
    since = [s.get("queued_at") or s["created"] for s in waiting]
    return {
        "name": name,
        "waiting": len(waiting),
        "running": len(running),
        "oldest_wait_s": (NOW - min(since)).total_seconds() if since else None,
        "started": len(recent),
        "mean_wait_s": sum(waits) / len(waits) if waits else None,
        "longest_wait_s": max(waits) if waits else None,
    }


def test_queue_figures_per_queue_match_the_rows(result_phase, code_phase):
    rng = np.random.default_rng(11)
    result_specs = in_flight_and_finished(result_phase, rng)
    code_specs = in_flight_and_finished(code_phase, rng)

    figures = {q["name"]: q for q in operations.queue_figures(of(result_phase, code_phase), NOW)}

    assert set(figures) == {"scoring", "sandbox"}
    for name, specs in (("scoring", result_specs), ("sandbox", code_specs)):
        expected = expected_queue(name, specs)
        assert expected["started"] > 0 and expected["waiting"] > 0  # the test covers both
        got = figures[name]
        for key, value in expected.items():
            assert got[key] == (value if value is None else pytest.approx(value, abs=1e-3)), key


def test_idle_queues_are_listed_with_zeros(result_phase):
    add(result_phase, NOW - timedelta(days=3), S.FINISHED)  # long done, never started lately
    figures = operations.queue_figures(of(result_phase), NOW)
    assert figures == [
        {
            "name": name,
            "waiting": 0,
            "running": 0,
            "oldest_wait_s": None,
            "started": 0,
            "mean_wait_s": None,
            "longest_wait_s": None,
        }
        for name in ("scoring", "sandbox")
    ]


def test_failures_by_reason_most_frequent_first(result_phase):
    reasons = ["bad header"] * 5 + ["too many rows"] * 3 + ["NaN in Class"] * 3
    reasons += [f"rare reason {k:02d}" for k in range(12)]
    for reason in reasons:
        add(result_phase, NOW, S.FAILED, reason=reason)
    add(result_phase, NOW, S.FINISHED, reason="")  # not a failure

    figures = operations.failures_by_reason(of(result_phase))

    counts = Counter(reasons)
    expected = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:10]
    assert [(f["reason"], f["n"]) for f in figures] == expected
    assert expected[:3] == [("bad header", 5), ("NaN in Class", 3), ("too many rows", 3)]


# -- the page and its JSON -------------------------------------------------------------------


@pytest.fixture
def people(db):
    olga = make_user("olga")
    return {"olga": olga, "alice": make_user("alice"), "sam": make_user("sam", is_staff=True)}


def logged_in(client, user):
    client.force_login(user)
    return client


def test_page_shows_the_figures_of_the_challenges_organised(client, people):
    today = datetime.now(UTC)
    mine = make_phase("mine", organiser=people["olga"])
    theirs = make_phase("theirs")
    for _ in range(3):
        add(mine, today, S.QUEUED, queued_at=today)
    add(mine, today, S.FAILED, reason="bad header")
    for _ in range(4):
        add(theirs, today, S.FAILED, reason="not olga's")

    page = logged_in(client, people["olga"]).get(reverse("organiser-dashboard")).content.decode()

    scoring = re.search(r'id="queue-scoring">(.*?)</div>', page, re.S).group(1)
    assert '<span class="waiting">3</span> waiting' in scoring
    assert '<span class="running">0</span> running' in scoring
    rows = re.findall(r"<tr><td[^>]*>(\d{4}-\d\d-\d\d)</td><td class=\"num\">(\d+)</td>", page)
    assert len(rows) == 30 and rows[0] == (f"{today:%Y-%m-%d}", "4")  # newest first
    assert sum(int(n) for _, n in rows) == 4
    assert "bad header" in page and "not olga&#x27;s" not in page
    assert 'id="worker-health"' in page


def test_staff_see_every_challenge_and_participants_none(client, people):
    today = datetime.now(UTC)
    add(make_phase("one"), today, S.FAILED, reason="first reason")
    add(make_phase("two"), today, S.FAILED, reason="second reason")
    url = reverse("organiser-dashboard")

    staff = logged_in(client, people["sam"]).get(url).content.decode()
    assert "first reason" in staff and "second reason" in staff
    participant = logged_in(client, people["alice"]).get(url).content.decode()
    assert "first reason" not in participant and "second reason" not in participant
    assert 'id="worker-health"' not in participant
    assert "You organise no challenge yet." in participant


def test_worker_health_json_is_for_organisers_only(client, people):
    make_phase("mine", organiser=people["olga"])
    operations.write_heartbeat("w1@node", ["scoring"], 0, datetime.now(UTC))
    url = reverse("organiser-dashboard") + "?part=workers"
    assert logged_in(client, people["alice"]).get(url).status_code == 403
    health = logged_in(client, people["olga"]).get(url).json()
    assert [(w["name"], w["queues"], w["alive"]) for w in health["workers"]] == [
        ("w1@node", ["scoring"], True)
    ]
    assert health["queues_without_worker"] == ["sandbox"]


def test_unknown_part_is_a_clear_error(client, people):
    reply = logged_in(client, people["sam"]).get(reverse("organiser-dashboard") + "?part=queues")
    assert reply.status_code == 400
    assert "'queues'" in reply.json()["error"]


# -- worker health: heartbeats --------------------------------------------------------------


def test_heartbeats_say_which_workers_are_alive_busy_or_silent(db):
    operations.write_heartbeat("scoring@a", ["scoring"], 2, NOW - timedelta(seconds=5))
    operations.write_heartbeat("sandbox@b", ["sandbox"], 0, NOW - timedelta(seconds=50))
    operations.write_heartbeat("gone@c", ["scoring", "sandbox"], 0, NOW - timedelta(days=2))
    health = operations.worker_health(NOW)
    assert [(w["name"], w["busy"], w["alive"], w["last_heard_s"]) for w in health["workers"]] == [
        ("sandbox@b", 0, False, 50.0),  # silent past SILENT_AFTER_S: its queue has no worker
        ("scoring@a", 2, True, 5.0),  # busy is still alive
    ]
    assert health["queues_without_worker"] == ["sandbox"]


@pytest.mark.parametrize("where", ["local", "s3"])
def test_a_new_heartbeat_replaces_the_old_one_and_a_clean_stop_removes_it(db, request, where):
    if where == "s3":  # an object store keeps one object per worker, rewritten at each beat
        request.getfixturevalue(s3_storage.__name__)
    operations.write_heartbeat("w@x", ["scoring"], 0, NOW - timedelta(minutes=5))
    operations.write_heartbeat("w@x", ["scoring"], 1, NOW)
    assert default_storage.listdir(operations.HEARTBEATS)[1] == ["w@x.json"]
    assert [(w["busy"], w["alive"]) for w in operations.worker_health(NOW)["workers"]] == [
        (1, True)
    ]
    operations.forget_heartbeat("w@x")
    assert operations.worker_health(NOW)["workers"] == []
    assert operations.worker_health(NOW)["queues_without_worker"] == ["scoring", "sandbox"]


def test_unreadable_heartbeat_files_are_skipped(db, settings):
    operations.write_heartbeat("ok@x", ["scoring"], 0, NOW)
    folder = Path(settings.MEDIA_ROOT) / operations.HEARTBEATS
    (folder / "broken.json").write_text("{not json")
    (folder / "partial.json").write_text('{"name": "p"}')
    assert [w["name"] for w in operations.worker_health(NOW)["workers"]] == ["ok@x"]


def test_the_heartbeat_goes_on_while_the_worker_is_busy(db):
    """The beat is a thread of its own: a task holding the worker's main thread (a solo
    pool, or a consumer that cannot read the broker while busy) does not stop it."""
    busy = []
    beat = operations.Heartbeat("w@busy", ["sandbox"], lambda: len(busy), every_s=0.05).start()
    try:
        wait_for(lambda: operations.read_heartbeats(), timeout=10, what="a first beat")
        first = operations.read_heartbeats()[0]["beat"]
        busy.append("a task")
        deadline = time.monotonic() + 0.5
        while time.monotonic() < deadline:  # the main thread is held, as by a task
            sum(range(1000))
        latest = operations.read_heartbeats()[0]
        assert latest["beat"] > first and latest["busy"] == 1
    finally:
        beat.stop()
    assert operations.read_heartbeats() == []


def test_the_dashboard_names_busy_and_silent_workers(client, people):
    make_phase("mine", organiser=people["olga"])
    now = datetime.now(UTC)
    operations.write_heartbeat("scoring@a", ["scoring"], 1, now)
    operations.write_heartbeat("sandbox@b", ["sandbox"], 0, now - timedelta(minutes=5))
    page = logged_in(client, people["olga"]).get(reverse("organiser-dashboard")).content.decode()
    card = re.search(r'id="worker-list">(.*?)</ul>', page, re.S).group(1)
    lines = [
        re.sub(r"\s+", " ", li).strip() for li in re.findall(r"<li[^>]*>(.*?)</li>", card, re.S)
    ]
    assert lines[0] == "✘ sandbox@b: sandbox · silent for 5 min"
    assert lines[1] == "✔ scoring@a: scoring · busy with 1 task"
    assert lines[2] == "✘ no worker consumes queue sandbox"


@pytest.mark.integration
def test_a_running_worker_writes_its_heartbeat(
    celery_worker_process,
):
    try:
        health = wait_for(
            lambda: (h := operations.worker_health(datetime.now(UTC)))["workers"] and h,
            timeout=90,
            what="the worker's heartbeat",
        )
    except AssertionError:
        raise AssertionError(celery_worker_process.log_path.read_text()[-3000:]) from None
    assert [(w["queues"], w["alive"]) for w in health["workers"]] == [
        (["sandbox", "scoring"], True)
    ]
    assert health["queues_without_worker"] == []

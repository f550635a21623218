"""The site's speed: server time of every page and API call, and a big leaderboard.

Everything runs against a throwaway SQLite database in a temporary directory, filled with
``bulk_create``:

- demo-like: one open HiggsML-style phase, 500 teams, 10,000 submissions over 60 days
  (95% scored, public and private scores with 1,000 bootstrap replicas each, five status
  events each), two benchmark teams;
- large: 2,000 teams and 50,000 scored submissions on one phase.

Pages are timed in a child process (fresh settings pointing at the temporary directory)
with Django's test ``Client``: median server time over repeated requests, and the number of
SQL queries of one request. The pages under 50 concurrent clients are the ``load`` area's
(``bench_load``: gunicorn over PostgreSQL and Redis, driven by wrk).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from benchmarks.harness import measure_in_child, throwaway_site

AREA = "site"
DEMO = {"slug": "bench-demo", "teams": 500, "submissions": 10_000}
LARGE = {"slug": "bench-large", "teams": 2_000, "submissions": 50_000}
REPLICAS = 1_000
SPREAD = 0.08  # standard deviation of a score's bootstrap replicas
PAGE_TARGET_MS = 150.0
API_LEADERBOARD_TARGET_MS = 50.0
LARGE_LEADERBOARD_TARGET_MS = 100.0


def run(table) -> None:
    with throwaway_site(AREA) as env:
        results = measure_in_child("benchmarks.bench_site", env)
        for name, (ms, queries) in results["pages"].items():
            target = API_LEADERBOARD_TARGET_MS if name == "API leaderboard" else PAGE_TARGET_MS
            table.add(
                AREA,
                f"{name}, 10,000 submissions",
                f"{ms:.1f} ms, {queries} queries",
                f"< {target:.0f} ms",
                ms < target,
            )
        for name, (ms, queries) in results["large"].items():
            table.add(
                AREA,
                f"{name}, 2,000 teams, 50,000 submissions",
                f"{ms:.1f} ms, {queries} queries",
                f"< {LARGE_LEADERBOARD_TARGET_MS:.0f} ms",
                ms < LARGE_LEADERBOARD_TARGET_MS,
            )


# -- the child process: build the data, time the pages ---------------------------------------


def measure(out: Path) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    demo = populate(**DEMO, events=True)
    large = populate(**LARGE, events=False)
    print(f"  data built in {time.perf_counter() - started:.0f} s", flush=True)
    results = {
        "pages": time_pages(demo),
        "large": time_large(large),
    }
    out.write_text(json.dumps(results))


def populate(slug: str, teams: int, submissions: int, events: bool) -> dict:
    """A challenge with ``teams`` teams and ``submissions`` submissions, written in bulk."""
    from datetime import timedelta

    import numpy as np
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from fivesigma.challenges.engine import standings
    from fivesigma.challenges.models import (
        Challenge,
        DataFile,
        Membership,
        Phase,
        Score,
        Submission,
        SubmissionEvent,
        Team,
    )

    rng = np.random.default_rng(2014)
    now = timezone.now()
    users = get_user_model()
    organiser = users.objects.create_user(
        f"{slug}-organiser", password="unused"
    )  # an organiser, not staff (staff see every challenge)
    challenge = Challenge.objects.create(
        slug=slug,
        title=f"Benchmark {slug}",
        summary="A challenge filled for timing the pages.",
        pages={
            key: f"# {key}\n\nText of the {key} page."
            for key in ("overview", "data", "evaluation", "rules")
        },
    )
    challenge.organisers.add(organiser)
    phase = Phase.objects.create(
        challenge=challenge,
        key="main",
        title="Main phase",
        start=now - timedelta(days=60),
        end=now + timedelta(days=30),
        metric="ams",
        daily_limit=5,
    )
    DataFile.objects.bulk_create(
        [
            DataFile(
                challenge=challenge,
                role=DataFile.PUBLIC,
                name=name,
                file=f"bench/{name}",
                size=size,
                sha256="0" * 64,
            )
            for name, size in (("training.csv", 10**8), ("test.csv", 2 * 10**8))
        ]
        + [
            DataFile(
                challenge=challenge,
                phase=phase,
                role=DataFile.SOLUTION,
                name="solution.csv",
                file="bench/solution.csv",
                sha256="0" * 64,
            )
        ]
    )
    people = users.objects.bulk_create(
        [users(username=f"{slug}-p{i:05d}", password="!") for i in range(teams)]
    )
    squads = Team.objects.bulk_create(
        [Team(challenge=challenge, name=f"Team {i:05d}") for i in range(teams)]
        + [
            Team(challenge=challenge, name=f"Baseline {b}", is_benchmark=True)
            for b in ("window", "xgboost")
        ]
    )
    Membership.objects.bulk_create(
        [
            Membership(team=t, user=u, challenge=challenge)
            for t, u in zip(squads, people, strict=False)
        ]
    )
    skill = rng.normal(3.0, 0.3, len(squads))
    owners = np.concatenate([rng.integers(0, teams, submissions - 2), [teams, teams + 1]])
    offsets = np.sort(rng.uniform(0, 59 * 86400, submissions))
    failed = rng.random(submissions) < 0.05
    failed[-2:] = False
    with (
        _keeping_given_times(Submission, "created"),
        _keeping_given_times(Score, "created"),
        _keeping_given_times(SubmissionEvent, "at"),
    ):
        for start in range(0, submissions, 2_000):
            stop = min(start + 2_000, submissions)
            batch = [
                Submission(
                    phase=phase,
                    team=squads[owners[k]],
                    user=people[owners[k]] if owners[k] < teams else organiser,
                    file=f"bench/{k}.csv",
                    original_name=f"submission-{k}.csv",
                    size=5_000_000,
                    status=Submission.FAILED if failed[k] else Submission.FINISHED,
                    reason="The file has 3 problems." if failed[k] else "",
                    created=phase.start + timedelta(seconds=float(offsets[k])),
                )
                for k in range(start, stop)
            ]
            batch = Submission.objects.bulk_create(batch)
            scores = []
            for k, submission in zip(range(start, stop), batch, strict=True):
                if failed[k]:
                    continue
                for subset in (Score.PUBLIC, Score.PRIVATE):
                    value = float(skill[owners[k]] + rng.normal(0, 0.15))
                    replicas = (value + rng.normal(0, SPREAD, REPLICAS)).astype(np.float32)
                    scores.append(
                        Score(
                            submission=submission,
                            phase=phase,
                            team_id=submission.team_id,
                            submitted=submission.created,
                            subset=subset,
                            metric="ams",
                            value=value,
                            ci_low=value - 1.96 * SPREAD,
                            ci_high=value + 1.96 * SPREAD,
                            replicas=replicas.tobytes(),
                            created=submission.created,
                        )
                    )
            Score.objects.bulk_create(scores)
            if events:
                SubmissionEvent.objects.bulk_create(
                    [
                        SubmissionEvent(
                            submission=s,
                            status=status,
                            message="",
                            at=s.created + timedelta(seconds=i),
                        )
                        for s in batch
                        for i, status in enumerate(
                            ["submitted", "queued", "running", "scoring", s.status]
                        )
                    ]
                )
    standings.rebuild(phase)  # as the engine would have kept them, submission by submission
    participant = people[int(owners[0])]
    mine = Submission.objects.filter(
        team__memberships__user=participant, status=Submission.FINISHED
    ).first()
    return {
        "slug": slug,
        "participant": participant.pk,
        "organiser": organiser.pk,
        "submission": str(mine.uid),
    }


class _keeping_given_times:
    """Let bulk_create keep the times given instead of stamping ``auto_now_add`` ones."""

    def __init__(self, model, field: str):
        self.field = model._meta.get_field(field)

    def __enter__(self):
        self.field.auto_now_add = False

    def __exit__(self, *exc):
        self.field.auto_now_add = True


def _timed(client, url: str, repeat: int = 15) -> tuple[float, int]:
    """(median milliseconds, SQL queries) of GET ``url``; the first answer must be 200."""
    from django.db import connection

    from benchmarks.harness import median_seconds

    queries = [0]

    def count(execute, sql, params, many, context):
        queries[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}")
    return median_seconds(lambda: client.get(url), repeat=repeat, warmup=1) * 1000, queries[0]


def _client(user_pk: int, token: bool = False):
    from django.contrib.auth import get_user_model
    from django.test import Client
    from rest_framework.authtoken.models import Token

    user = get_user_model().objects.get(pk=user_pk)
    if token:
        key = Token.objects.get_or_create(user=user)[0].key
        return Client(HTTP_AUTHORIZATION=f"Token {key}")
    client = Client()
    client.force_login(user)
    return client


def time_pages(demo: dict) -> dict[str, tuple[float, int]]:
    slug, uid = demo["slug"], demo["submission"]
    participant = _client(demo["participant"])
    organiser = _client(demo["organiser"])
    api = _client(demo["participant"], token=True)
    pages = {
        "home": (participant, "/"),
        "challenge overview": (participant, f"/c/{slug}/"),
        "challenge data": (participant, f"/c/{slug}/p/data/"),
        "challenge evaluation": (participant, f"/c/{slug}/p/evaluation/"),
        "leaderboard page": (participant, f"/c/{slug}/leaderboard/main/"),
        "leaderboard CSV": (participant, f"/c/{slug}/leaderboard/main.csv"),
        "submit page": (participant, f"/c/{slug}/submit/main/"),
        "my submissions": (participant, f"/c/{slug}/submissions/"),
        "submission page": (participant, f"/s/{uid}/"),
        "submission status JSON": (participant, f"/s/{uid}/status/"),
        "team page": (participant, f"/c/{slug}/team/"),
        "profile": (participant, "/accounts/profile/"),
        "organiser dashboard": (organiser, "/organise/"),
        "API challenges": (api, "/api/challenges/"),
        "API leaderboard": (api, f"/api/challenges/{slug}/phases/main/leaderboard/"),
        "API leaderboard chart": (api, f"/api/challenges/{slug}/phases/main/leaderboard/chart/"),
        "API my submissions": (api, f"/api/challenges/{slug}/phases/main/submissions/"),
        "API submission": (api, f"/api/submissions/{uid}/"),
    }
    return {name: _timed(client, url) for name, (client, url) in pages.items()}


def time_large(large: dict) -> dict[str, tuple[float, int]]:
    slug = large["slug"]
    participant = _client(large["participant"])
    api = _client(large["participant"], token=True)
    return {
        "leaderboard page": _timed(participant, f"/c/{slug}/leaderboard/main/", repeat=9),
        "API leaderboard": _timed(
            api, f"/api/challenges/{slug}/phases/main/leaderboard/", repeat=9
        ),
    }


if __name__ == "__main__":
    if sys.argv[1:2] == ["measure"]:
        measure(Path(sys.argv[2]))
    else:
        from benchmarks.harness import Table

        run(Table())

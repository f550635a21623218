"""Load on loopback: the site's pages under 50 concurrent clients, and 200 submissions
uploaded in one minute to one phase with two Celery workers.

The services are the production ones when this machine has them: a throwaway database on the
running PostgreSQL server (admin URL in FIVESIGMA_TEST_POSTGRES_URL) and a private
redis-server on a free port; otherwise SQLite and the filesystem broker in a temporary
directory (or always, with FIVESIGMA_BENCH_LOAD_SERVICES=embedded). Either way gunicorn
(``cpu + 1`` processes) serves the site on 127.0.0.1.

- pages: the challenge overview and the public leaderboard of a demo-like challenge (500
  teams, 10,000 scored submissions, built by ``bench_site.populate``), each asked for by 50
  concurrent connections of wrk (no think time) for 20 seconds, anonymously; p50 and p99
  latency per page, requests per second, errors (a status other than 2xx/3xx, a failed
  connection, or no answer within 30 s).
- submissions: a HiggsML-like phase with a 20,000-event hidden solution
  (``bench_challenges.write_higgs_bundle``); 200 participants, each with an API token, upload
  one result file each through the REST API, one every 0.3 s (200 in one minute), while two
  worker processes (each ``--concurrency 1``) score them. Recorded: the upload latency, the
  errors, and the time from the first upload until the leaderboard API shows the 200th score.
  Then the database is checked: every submission finished, each with one current public and
  one current private score, no team twice on the board.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks import loadgen

AREA = "load"
REPO = Path(__file__).resolve().parent.parent
CLIENTS = 50
PAGE_SECONDS = 20.0
UPLOADS = 200
UPLOAD_WINDOW_S = 60.0
UPLOAD_THREADS = 20
SCORING_WORKERS = 2
HIGGS_EVENTS = 20_000
SCORED_DEADLINE_S = 900.0
PAGE_P99_TARGET_S = 1.0
PAGE_TIMEOUT_S = 30.0
ADMIN_POSTGRES_URL = os.environ.get(
    "FIVESIGMA_TEST_POSTGRES_URL", "postgres://fivesigma:fivesigma@127.0.0.1:5432/fivesigma"
)
REDIS_SERVER = "/usr/bin/redis-server"


def run(table) -> None:
    with (
        tempfile.TemporaryDirectory(prefix="fivesigma-bench-load-") as tmp,
        Services(Path(tmp)) as services,
    ):
        env = {
            **{
                k: v
                for k, v in os.environ.items()
                if k not in ("DATABASE_URL", "CELERY_BROKER_URL")
            },
            **services.env,
            "FIVESIGMA_DATA_DIR": tmp,
            "DJANGO_SETTINGS_MODULE": "fivesigma.settings",
            "DJANGO_DEBUG": "0",
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(REPO),
        }
        (Path(tmp) / "staticfiles").mkdir()
        setup = Path(tmp) / "setup.json"
        _child(env, "setup", setup)
        world = json.loads(setup.read_text())
        with Site(env, Path(tmp)) as site:
            pages = page_load(site.url, world["demo"])
            uploads = upload_run(site.url, world, Path(tmp))
        verdict = Path(tmp) / "verdict.json"
        _child(env, "verify", verdict)
        report(table, services.label, site.workers, pages, uploads, json.loads(verdict.read_text()))


def report(table, label: str, web_workers: int, pages: dict, uploads: dict, verdict: dict):
    for name, figures in pages.items():
        table.add(
            AREA,
            f"{name} page, {CLIENTS} concurrent clients for {PAGE_SECONDS:.0f} s, "
            f"gunicorn {web_workers} workers, {label}",
            f"p50 {figures['p50_s'] * 1000:.0f} ms, p99 {figures['p99_s'] * 1000:.0f} ms, "
            f"{figures['rate']:.0f} req/s, {figures['errors']} errors of {figures['requests']}",
            f"p99 < {PAGE_P99_TARGET_S:.0f} s, no errors",
            figures["p99_s"] < PAGE_P99_TARGET_S and figures["errors"] == 0,
        )
    table.add(
        AREA,
        f"{UPLOADS} uploads through the API in {UPLOAD_WINDOW_S:.0f} s, {label}",
        f"upload p50 {uploads['p50_s'] * 1000:.0f} ms, p99 {uploads['p99_s'] * 1000:.0f} ms, "
        f"{uploads['errors']} errors, sent over {uploads['sending_s']:.0f} s",
        "no errors",
        uploads["errors"] == 0,
    )
    scored = verdict["finished"]
    last = uploads["last_scored_s"]
    table.add(
        AREA,
        f"the same {UPLOADS} submissions scored by {SCORING_WORKERS} workers",
        f"{scored} of {UPLOADS} finished, {verdict['failed']} failed, {verdict['other']} unfinished, "
        f"{verdict['duplicates']} duplicates; the last on the leaderboard "
        + (f"{last:.0f} s after the first upload" if last is not None else "never")
        + (f" ({UPLOADS / last * 60:.0f} per minute)" if last else ""),
        "all scored, none failed or doubled",
        scored == UPLOADS and verdict["failed"] == 0 and verdict["duplicates"] == 0,
    )


# -- the services ----------------------------------------------------------------------------


class Services:
    """A throwaway PostgreSQL database and a private Redis when this machine has both, else
    nothing to start (SQLite and the filesystem broker)."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.env: dict[str, str] = {}
        self.label = "SQLite + filesystem broker"
        self.database: str | None = None
        self.redis: subprocess.Popen | None = None

    def __enter__(self) -> Services:
        embedded = os.environ.get("FIVESIGMA_BENCH_LOAD_SERVICES") == "embedded"
        if embedded or not (_postgres_answers() and os.access(REDIS_SERVER, os.X_OK)):
            return self
        self.database = f"fivesigma_bench_load_{secrets.token_hex(4)}"
        _admin(f'CREATE DATABASE "{self.database}"')
        port = _free_port()
        self.redis = subprocess.Popen(
            [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", ""],
            cwd=self.directory,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = ADMIN_POSTGRES_URL.rpartition("/")[0]
        self.env = {
            "DATABASE_URL": f"{base}/{self.database}",
            "CELERY_BROKER_URL": f"redis://127.0.0.1:{port}/0",
        }
        self.label = "PostgreSQL + Redis"
        return self

    def __exit__(self, *exc) -> None:
        if self.redis is not None:
            self.redis.kill()
            self.redis.wait()
        if self.database is not None:
            _admin(f'DROP DATABASE "{self.database}" WITH (FORCE)')


def _postgres_answers() -> bool:
    try:
        import psycopg

        with psycopg.connect(ADMIN_POSTGRES_URL, connect_timeout=3):
            return True
    except Exception:  # no driver, no server, no role: run on SQLite
        return False


def _admin(statement: str) -> None:
    import psycopg

    with psycopg.connect(ADMIN_POSTGRES_URL, autocommit=True, connect_timeout=5) as admin:
        admin.execute(statement)


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Site:
    """gunicorn on a free loopback port and the scoring workers, all stopped on exit."""

    def __init__(self, env: dict, directory: Path):
        self.workers = max(2, (os.cpu_count() or 1) + 1)
        port = _free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.processes = [
            _start(
                [
                    "gunicorn",
                    "fivesigma.wsgi:application",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    str(self.workers),
                    "--log-level",
                    "warning",
                ],
                env,
                directory / "gunicorn.log",
            )
        ]
        for n in range(SCORING_WORKERS):
            self.processes.append(
                _start(
                    [
                        "celery",
                        "-A",
                        "fivesigma",
                        "worker",
                        "-Q",
                        "scoring",
                        "--concurrency",
                        "1",
                        "--hostname",
                        f"load-{n}@%h",
                        "--loglevel",
                        "WARNING",
                        "--without-mingle",
                        "--without-gossip",
                    ],
                    env,
                    directory / f"worker-{n}.log",
                )
            )

    def __enter__(self) -> Site:
        import requests

        deadline = time.monotonic() + 180
        while True:
            try:
                if requests.get(self.url + "/", timeout=60).status_code == 200:
                    return self
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline or self.processes[0].poll() is not None:
                self.__exit__()
                raise RuntimeError("gunicorn did not start serving")
            time.sleep(0.3)

    def __exit__(self, *exc) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _start(args: list[str], env: dict, log: Path) -> subprocess.Popen:
    with open(log, "w") as out:
        return subprocess.Popen(
            [sys.executable, "-m", *args],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _child(env: dict, command: str, out: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_load", command, str(out)],
        cwd=REPO,
        env=env,
        check=True,
    )


# -- the two runs ----------------------------------------------------------------------------


def _percentiles(latencies: list[float]) -> tuple[float, float]:
    ordered = sorted(latencies)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


def page_load(base: str, slug: str) -> dict[str, dict]:
    """``CLIENTS`` connections (wrk) on each page in turn, after every gunicorn process has
    loaded its code."""
    import requests

    pages = {
        "challenge overview": f"{base}/c/{slug}/",
        "leaderboard": f"{base}/c/{slug}/leaderboard/main/",
    }
    with requests.Session() as warm:
        for _ in range(3 * (os.cpu_count() or 1) + 3):
            for url in pages.values():
                warm.get(url, timeout=120)
    return {
        name: loadgen.hammer(url, CLIENTS, PAGE_SECONDS, PAGE_TIMEOUT_S)
        for name, url in pages.items()
    }


def upload_run(base: str, world: dict, directory: Path) -> dict:
    """One upload every ``UPLOAD_WINDOW_S / UPLOADS`` seconds; then wait for the scores."""
    import pandas as pd
    import requests

    from benchmarks.bench_challenges import higgs_submission

    solution = pd.read_csv(directory / "bundle" / "data" / "solution.csv")
    files = [higgs_submission(solution, seed) for seed in range(UPLOADS)]
    url = f"{base}/api/challenges/{world['higgs']}/phases/main/submissions/"
    board = f"{base}/api/challenges/{world['higgs']}/phases/main/leaderboard/"
    results: list[tuple[float, bool]] = []
    lock = threading.Lock()
    first = time.monotonic() + 1.0

    def send(i: int) -> None:
        time.sleep(max(0.0, first + i * UPLOAD_WINDOW_S / UPLOADS - time.monotonic()))
        start = time.perf_counter()
        try:
            answer = requests.post(
                url,
                headers={"Authorization": f"Token {world['tokens'][i]}"},
                files={"file": (f"team{i}.csv", files[i], "text/csv")},
                data={"description": "load run"},
                timeout=120,
            )
            ok = answer.status_code == 201
        except requests.RequestException:
            ok = False
        with lock:
            results.append((time.perf_counter() - start, ok))

    with ThreadPoolExecutor(max_workers=UPLOAD_THREADS) as pool:
        futures = [pool.submit(send, i) for i in range(UPLOADS)]
        for future in futures:
            future.result()
    sending = time.monotonic() - first
    last_scored = None
    with requests.Session() as session:
        while time.monotonic() - first < SCORED_DEADLINE_S:
            if scored_rows(session, board) >= UPLOADS:
                last_scored = time.monotonic() - first
                break
            time.sleep(0.5)
    p50, p99 = _percentiles([seconds for seconds, _ in results])
    return {
        "errors": sum(not ok for _, ok in results),
        "p50_s": p50,
        "p99_s": p99,
        "sending_s": sending,
        "last_scored_s": last_scored,
    }


def scored_rows(session, url: str) -> int:
    """Rows of the public leaderboard (every page) that show a score."""
    count = 0
    while url:
        page = session.get(url, timeout=60).json()
        count += sum(row["score"] is not None for row in page["results"])
        url = page["next"]
    return count


# -- the child processes: build the data, check the outcome ----------------------------------


def setup(out: Path) -> None:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token

    from benchmarks.bench_challenges import write_higgs_bundle
    from benchmarks.bench_site import DEMO, populate
    from fivesigma.challenges.engine import bundles

    call_command("migrate", verbosity=0)
    demo = populate(**DEMO, events=True)
    data_dir = Path(os.environ["FIVESIGMA_DATA_DIR"])
    write_higgs_bundle(data_dir / "bundle", HIGGS_EVENTS)
    challenge = bundles.load(data_dir / "bundle")
    users = get_user_model()
    people = users.objects.bulk_create(
        [users(username=f"load-{i:03d}", password="!") for i in range(UPLOADS)]
    )
    tokens = Token.objects.bulk_create(
        [Token(user=person, key=Token.generate_key()) for person in people]
    )
    out.write_text(
        json.dumps(
            {"demo": demo["slug"], "higgs": challenge.slug, "tokens": [t.key for t in tokens]}
        )
    )


def verify(out: Path) -> None:
    import django

    django.setup()
    from django.db.models import Count

    from fivesigma.challenges.engine import leaderboard
    from fivesigma.challenges.models import Phase, Score, Submission

    phase = Phase.objects.get(challenge__slug="bench-higgs", key="main")
    submissions = Submission.objects.filter(phase=phase)
    by_status = dict(submissions.values_list("status").annotate(n=Count("pk")))
    current = (
        Score.objects.filter(submission__phase=phase, current=True)
        .values("submission")
        .annotate(n=Count("pk"))
    )
    teams = [row.team_id for row in leaderboard.compute(phase, Score.PUBLIC).rows]
    finished = by_status.get(Submission.FINISHED, 0)
    failed = by_status.get(Submission.FAILED, 0)
    out.write_text(
        json.dumps(
            {
                "finished": finished,
                "failed": failed,
                "other": submissions.count() - finished - failed,
                "duplicates": sum(1 for row in current if row["n"] > 2)
                + len(teams)
                - len(set(teams)),
                "reasons": sorted(
                    set(submissions.exclude(reason="").values_list("reason", flat=True))
                )[:5],
            }
        )
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["setup"]:
        setup(Path(sys.argv[2]))
    elif sys.argv[1:2] == ["verify"]:
        verify(Path(sys.argv[2]))
    else:
        from benchmarks.harness import Table

        run(Table())

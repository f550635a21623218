"""The production layout with no shared disk: the web process, a `scoring` worker and a
`sandbox` worker each keep their own data directory, and every file goes through S3.

One journey: an organiser loads two bundles on the web machine; a participant downloads the
public files (resuming a download from its ``.part`` with an HTTP Range request), submits a
result file and a code submission through the API; the sandbox worker is killed mid-run and
the swept, redelivered task finishes on a new sandbox machine that starts with an empty
cache. Scores are checked against the AMS written from its definition and a perfect
tracking; at the end, no machine holds any stored file but the copies it needed.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import time
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
import requests
from django.utils import timezone
from rest_framework.authtoken.models import Token

from fivesigma.challenges.client import commands
from fivesigma.challenges.client.remote import Api
from fivesigma.challenges.engine import lifecycle
from fivesigma.challenges.models import DataFile, Score, Submission
from tests.builders.higgsml_files import noisy_submission, reference_ams, write_ams_bundle
from tests.builders.submissions import model_zip
from tests.builders.trackml_files import write_tracking_bundle
from tests.builders.users import make_user
from tests.conftest import require, wait_for
from tests.faults.checks import all_done, assert_settled
from tests.faults.services import running
from tests.faults.test_worker_killed_in_sandbox import (
    SECONDS_PER_EVENT,
    SLOW_MODEL,
    sandbox_processes,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def files_under(directory: Path) -> dict[str, Path]:
    """Every regular file below ``directory``, by the SHA-256 of its bytes."""
    return {
        hashlib.sha256(path.read_bytes()).hexdigest(): path
        for path in directory.rglob("*")
        if path.is_file()
    }


def status_of(submission_id: int) -> str:
    return Submission.objects.values_list("status", flat=True).get(pk=submission_id)


def test_web_and_workers_on_machines_that_share_no_disk(machines, s3_server, tmp_path):
    require(shutil.which("bwrap") is not None, "bubblewrap (apt-get install bubblewrap)")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    web = machines.start_web()
    scoring = machines.start_worker("scoring", "scoring")
    first_sandbox = machines.start_worker("sandbox-1", "sandbox", TMPDIR=str(scratch))

    # the organiser loads both bundles on the web machine, from bundles on its own disk
    solution = write_ams_bundle(tmp_path / "higgs", n_events=2000)
    write_tracking_bundle(tmp_path / "tracks")
    loads = [
        machines.manage("web", "load_challenge", str(tmp_path / b)) for b in ("higgs", "tracks")
    ]
    for load in loads:
        output, _ = load.communicate(timeout=120)
        assert load.returncode == 0, output
    stored = set(DataFile.objects.values_list("file", flat=True))
    assert len(stored) == 1 + 1 + 1 + 6  # higgs: public file, solution; tracks: solution, inputs
    keys = set(s3_server.keys_stored())
    beats = {key for key in keys if key.startswith("workers/")}
    assert stored == keys - beats
    # a worker's heartbeat is one object, replaced at every beat (not a new one each time)
    assert len(beats) <= 2, sorted(beats)
    web.wait_ready()
    for worker in (scoring, first_sandbox):
        worker.wait_ready()

    alice = make_user("alice")
    api = Api(web.url, Token.objects.create(user=alice).key)

    # downloads stream from S3 through the web process, by byte range
    public = DataFile.objects.get(role=DataFile.PUBLIC)
    content = (tmp_path / "higgs" / "data" / "test.csv").read_bytes()
    out = tmp_path / "alice"
    out.mkdir()
    (out / f"test.csv.{public.sha256[:16]}.part").write_bytes(content[:1000])
    assert commands.download(api, "tiny-higgs", out) == 0
    assert (out / "test.csv").read_bytes() == content
    reply = requests.get(
        f"{web.url}/api/challenges/tiny-higgs/files/{public.pk}/download/",
        headers={"Range": "bytes=1000-1999", "If-Range": f'"{public.sha256}"'},
        timeout=30,
    )
    assert reply.status_code == 206
    assert reply.content == content[1000:2000]
    assert reply.headers["Content-Range"] == f"bytes 1000-1999/{len(content)}"

    # a result file for the scoring worker and a (slow) code submission for the sandbox
    result = noisy_submission(solution)
    (tmp_path / "alice.csv").write_bytes(result)
    scored = api.upload(
        "challenges/tiny-higgs/phases/main/submissions/", tmp_path / "alice.csv", {}
    ).json()
    code = api.upload(
        "challenges/tiny-tracks/phases/throughput/submissions/",
        model_zip(tmp_path / "slow.zip", SLOW_MODEL),
        {},
    ).json()
    scored_id = Submission.objects.get(uid=scored["uid"]).pk
    code_id = Submission.objects.get(uid=code["uid"]).pk

    def sandbox_running():
        pids = sandbox_processes(first_sandbox.pid)
        return pids if pids and status_of(code_id) == Submission.RUNNING else None

    try:
        sandbox = wait_for(sandbox_running, timeout=90, interval=0.1, what="the sandbox to run")
    except AssertionError:
        raise AssertionError(machines.logs()) from None
    time.sleep(2 * SECONDS_PER_EVENT)  # inside the events now, well before the last one
    first_sandbox.kill()
    wait_for(lambda: not running(sandbox), timeout=10, what="the sandbox to die with its worker")
    assert status_of(code_id) == Submission.RUNNING, "the kill came too late to test anything"

    # a new sandbox machine, empty cache; the sweep finds the submission stuck and re-queues it
    second_sandbox = machines.start_worker("sandbox-2", "sandbox", TMPDIR=str(scratch))
    second_sandbox.wait_ready()
    # the result file is done first: a sweep an hour ahead would take a live scoring run,
    # whose heartbeat is then an hour old, for a dead one
    wait_for(lambda: all_done([Submission(pk=scored_id)]), timeout=90, what="the result file")
    later = timezone.now() + timedelta(seconds=3601)
    assert lifecycle.sweep_stuck(now=later) == {"requeued": 1, "failed": 0}
    try:
        wait_for(lambda: all_done([Submission(pk=scored_id), Submission(pk=code_id)]), timeout=90)
    except AssertionError:
        raise AssertionError(machines.logs()) from None

    # the result file: scored by the scoring worker, AMS as defined
    higgs = Submission.objects.get(pk=scored_id)
    assert_settled(higgs.phase, [higgs])
    classes = pd.read_csv(io.BytesIO(result))["Class"].to_numpy()
    public_score = higgs.scores.get(subset=Score.PUBLIC, current=True)
    assert public_score.value == pytest.approx(reference_ams(solution, classes, "b"), rel=1e-12)

    # the code submission: run twice, once to the end, every track found
    tracks = Submission.objects.get(pk=code_id)
    assert_settled(tracks.phase, [tracks])
    assert tracks.attempts == 2
    assert list(tracks.events.values_list("status", flat=True)).count("running") == 2
    accuracy = tracks.scores.get(subset=Score.PUBLIC, current=True).details["accuracy"]
    assert accuracy == pytest.approx(1.0)
    assert tracks.output.name in s3_server.keys_stored()

    # the leaderboards, as the web process serves them
    for path in ("tiny-higgs/phases/main", "tiny-tracks/phases/throughput"):
        rows = api.get(f"challenges/{path}/leaderboard/")["results"]
        assert [row["team"] for row in rows] == ["alice"], path

    # no machine stored a file of its own; each holds copies of just what it read
    def solution_of(slug: str) -> str:
        return DataFile.objects.get(role=DataFile.SOLUTION, challenge__slug=slug).sha256

    inputs = set(DataFile.objects.filter(role=DataFile.INPUT).values_list("sha256", flat=True))
    kept = {name: set(files_under(path)) for name, path in machines.data_dirs.items()}
    copies = {name: set(files_under(path / "cache")) for name, path in machines.data_dirs.items()}
    known = set(DataFile.objects.values_list("sha256", flat=True)) | {higgs.sha256, tracks.sha256}
    holds = {name: shas & known for name, shas in copies.items()}
    assert holds["web"] == {solution_of("tiny-higgs")}  # an upload is checked against it
    assert holds["scoring"] == {solution_of("tiny-higgs"), higgs.sha256}
    assert holds["sandbox-1"] <= inputs | {tracks.sha256}
    assert holds["sandbox-2"] == inputs | {solution_of("tiny-tracks"), tracks.sha256}
    assert all(public.sha256 not in shas for shas in kept.values())  # streamed, not kept
    for name, path in machines.data_dirs.items():
        assert not (path / "media").exists(), f"{name} stored a file on its own disk"

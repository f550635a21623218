"""The worker's scratch disk is (nearly) full: the code submission fails with a reason that says so,
and the same worker, once space is back, runs the next submission to the end."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess

import pytest

from fivesigma.challenges.engine import bundles, intake
from fivesigma.challenges.models import Submission
from tests.builders.submissions import model_zip, upload
from tests.builders.trackml_files import write_tracking_bundle
from tests.builders.users import make_user
from tests.conftest import require, wait_for
from tests.faults.checks import all_done, assert_settled

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def scratch(tmp_path):
    """A 1 MiB tmpfs for the worker's temporary files (TMPDIR): a disk that is easy to fill."""
    require(os.geteuid() == 0 and shutil.which("mount") is not None, "root, to mount a tmpfs")
    mount_point = tmp_path / "scratch"
    mount_point.mkdir()
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m,mode=1777", "tmpfs", str(mount_point)], check=True
    )
    yield mount_point
    subprocess.run(["umount", "--lazy", str(mount_point)], check=True)


def fill(disk, leave: int) -> None:
    """Write a file until ``disk`` is full, then give back ``leave`` bytes: room for a task
    message of the filesystem broker (moved through the temporary directory), not for a run."""
    with open(disk / "filler", "wb", buffering=0) as filler:
        try:
            while True:
                filler.write(b"\0" * 4096)
        except OSError as error:
            assert error.errno == errno.ENOSPC, error
        filler.truncate(filler.tell() - leave)
    assert shutil.disk_usage(disk).free <= leave


def test_a_full_scratch_disk_fails_the_run_with_a_reason_and_the_worker_goes_on(
    workers, scratch, tmp_path
):
    require(shutil.which("bwrap") is not None, "bubblewrap (apt-get install bubblewrap)")
    write_tracking_bundle(tmp_path / "bundle")
    phase = bundles.load(tmp_path / "bundle").phases.get()
    archive = model_zip(tmp_path / "model.zip").read_bytes()
    worker = workers.start("worker", TMPDIR=str(scratch))
    worker.wait_ready()
    fill(scratch, leave=8192)

    first = intake.submit(phase, make_user("erin"), upload("model.zip", archive))
    try:
        wait_for(lambda: all_done([first]), timeout=120, what="the run on a full disk to end")
    except AssertionError:
        raise AssertionError(workers.logs()) from None
    first.refresh_from_db()
    assert first.status == Submission.FAILED
    assert (
        "ran out of disk space" in first.reason and "not a fault of the submission" in first.reason
    )
    assert "Traceback" not in first.reason
    assert worker.alive()

    (scratch / "filler").unlink()
    second = intake.submit(phase, make_user("finn"), upload("model.zip", archive))
    try:
        wait_for(lambda: all_done([second]), timeout=120, what="the run after space came back")
    except AssertionError:
        raise AssertionError(workers.logs()) from None
    assert worker.alive() and len(workers.started) == 1
    outcome = assert_settled(phase, [first, second])
    assert outcome == {Submission.FINISHED: [second], Submission.FAILED: [first]}
    assert sorted(p.name for p in scratch.iterdir() if p.name.startswith("fivesigma-")) == []

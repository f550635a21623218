"""A code submission runs in the sandbox, is timed, and is scored on accuracy and speed."""

from __future__ import annotations

import math
import shutil

import pytest

from fivesigma.challenges.engine import bundles, intake, leaderboard
from fivesigma.challenges.models import Score, Submission
from tests.builders.submissions import model_zip, upload
from tests.builders.trackml_files import write_tracking_bundle
from tests.builders.users import make_user
from tests.conftest import require


@pytest.fixture
def tracking_phase(db, tmp_path):
    require(shutil.which("bwrap") is not None, "bubblewrap (apt-get install bubblewrap)")
    write_tracking_bundle(tmp_path / "bundle")
    return bundles.load(tmp_path / "bundle").phases.get()


def test_code_submission_is_run_timed_and_scored(tracking_phase, tmp_path, eager_tasks):
    archive = model_zip(tmp_path / "model.zip")
    submission = intake.submit(
        tracking_phase, make_user("dana"), upload("model.zip", archive.read_bytes())
    )
    submission.refresh_from_db()
    assert submission.status == Submission.FINISHED, submission.reason + submission.log_tail
    report = submission.run_report
    assert report["status"] == "ok" and report["confined"] is True
    assert len(report["per_event_seconds"]) == 3  # every event timed; the extra warm-up call is not
    assert "warmup" in report["stage_seconds"]
    public = Score.objects.get(submission=submission, subset="public", current=True)
    assert public.details["accuracy"] == pytest.approx(1.0)  # the model finds every straight track
    # ranked by the tree's on-CPU seconds, normalised with this worker's calibration
    calibration = report["calibration"]
    assert calibration is not None and calibration["factor"] > 0
    seconds = report["ranked_seconds"]
    assert seconds == pytest.approx(report["mean_cpu_seconds"] * calibration["factor"])
    assert public.value == pytest.approx(math.sqrt(math.log(1 + 600 / seconds) * 0.5**2))
    row = leaderboard.compute(tracking_phase, "public").rows[0]
    assert row.details["seconds_per_event"] == pytest.approx(seconds)


def test_code_that_reads_nothing_useful_fails_with_the_runner_reason(
    tracking_phase, tmp_path, eager_tasks
):
    archive = model_zip(
        tmp_path / "bad.zip",
        "class Model:\n    def __init__(self, d):\n        raise RuntimeError('no weights')\n",
    )
    submission = intake.submit(
        tracking_phase, make_user("erin"), upload("bad.zip", archive.read_bytes())
    )
    submission.refresh_from_db()
    assert submission.status == Submission.FAILED
    assert "no weights" in submission.reason + submission.log_tail
    assert not Score.objects.filter(submission=submission).exists()


def test_zip_without_submission_py_is_refused_at_upload(tracking_phase, tmp_path):
    archive = model_zip(tmp_path / "wrong.zip", "")
    renamed = tmp_path / "renamed.zip"
    import zipfile

    with zipfile.ZipFile(renamed, "w") as out:
        out.writestr("model.py", "x = 1\n")
    with pytest.raises(intake.SubmissionRefused, match="submission.py"):
        intake.submit(
            tracking_phase, make_user("finn"), upload("renamed.zip", renamed.read_bytes())
        )
    assert archive.exists() and Submission.objects.count() == 0


def test_worker_without_bubblewrap_fails_the_run_saying_how_to_install_it(
    tracking_phase, tmp_path, eager_tasks, monkeypatch
):
    from fivesigma.runner import sandbox

    monkeypatch.setattr(sandbox, "find_bubblewrap", lambda: None)  # as on a worker without it
    archive = model_zip(tmp_path / "model.zip")
    submission = intake.submit(
        tracking_phase, make_user("gail"), upload("model.zip", archive.read_bytes())
    )
    submission.refresh_from_db()
    assert submission.status == Submission.FAILED
    assert "apt-get install bubblewrap" in submission.reason
    assert "not a fault of your code" in submission.reason

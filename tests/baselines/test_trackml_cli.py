"""The TrackML baselines end to end: files in, submission out, and the code submission zip."""

import importlib
import shutil
import sys
import zipfile

import numpy as np
import pandas as pd
import pytest

from fivesigma.baselines.trackml import build_submission_zip, run
from fivesigma.baselines.trackml.__main__ import main
from fivesigma.datasets.trackml import generate
from fivesigma.scoring.kernels.weighted_accuracy import score_event


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("trackml")
    generate(out, seed=3, n_train=2, n_test=1, pileup=3)
    return out


def test_command_line_round_trip(dataset, tmp_path, capsys):
    out = tmp_path / "sub" / "submission.csv"
    assert main(["seeded", "--input", str(dataset / "train"), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.count("accuracy") >= 3 and "s/event" in printed
    submission = pd.read_csv(out)
    assert list(submission.columns) == ["event_id", "hit_id", "track_id"]
    for event_id, rows in submission.groupby("event_id"):
        truth = pd.read_csv(dataset / "train" / f"event{event_id:09d}-truth.csv")
        assert sorted(rows["hit_id"]) == sorted(truth["hit_id"])  # every hit exactly once
        assert score_event(truth, rows) > 0.9
        assert f"event {event_id}:" in printed


def test_run_without_truth_reports_timing_only(dataset, tmp_path):
    summary = run("seeded", dataset / "test", tmp_path / "test.csv")
    assert [e["accuracy"] for e in summary["events"]] == [None]
    assert "mean_accuracy" not in summary and summary["mean_seconds"] > 0
    assert summary["events"][0]["n_hits"] == len(pd.read_csv(tmp_path / "test.csv"))


def test_run_limits_events_and_scores_throughput(dataset, tmp_path):
    summary = run("seeded", dataset / "train", tmp_path / "one.csv", n_events=1)
    assert len(summary["events"]) == 1
    assert summary["throughput_score"] == pytest.approx(
        np.sqrt(np.log(1 + 600 / summary["mean_seconds"])) * (summary["mean_accuracy"] - 0.5)
    )


def test_missing_input_is_a_clear_error(tmp_path, capsys):
    assert (
        main(["dbscan", "--input", str(tmp_path / "nowhere"), "--out", str(tmp_path / "s.csv")])
        == 2
    )
    assert "nowhere: no such directory" in capsys.readouterr().err
    assert main(["seeded", "--input", str(tmp_path), "--out", str(tmp_path / "s.csv")]) == 2
    assert "no eventNNNNNNNNN-hits.csv" in capsys.readouterr().err


@pytest.mark.slow  # compiles every kernel of the unpacked copy (about a minute)
def test_submission_zip_is_self_contained(dataset, tmp_path, monkeypatch):
    path = build_submission_zip(tmp_path / "seeded.zip")
    names = zipfile.ZipFile(path).namelist()
    assert "submission.py" in names and "trackml_seeded/tracker.py" in names
    assert not any(name.startswith("baselines") for name in names)
    zipfile.ZipFile(path).extractall(tmp_path / "unpacked")
    # import it the way the sandbox does, without this project's baselines on the path
    monkeypatch.setattr(
        sys, "path", [str(tmp_path / "unpacked")] + [p for p in sys.path if "baselines" not in p]
    )
    for name in [m for m in sys.modules if m.startswith(("submission", "trackml_seeded"))]:
        monkeypatch.delitem(sys.modules, name)
    module = importlib.import_module("submission")
    assert "baselines" not in module.reconstruct_seeded.__module__
    model = module.Model(str(tmp_path / "unpacked"))
    prefix = dataset / "test" / "event000001002"
    hits, cells = pd.read_csv(f"{prefix}-hits.csv"), pd.read_csv(f"{prefix}-cells.csv")
    track_id = np.asarray(model.predict_one_event(1002, hits, cells))
    assert track_id.shape == (len(hits),) and track_id.min() >= 0
    truth = pd.read_csv(dataset / "test_truth" / "event000001002-truth.csv")
    assert score_event(truth, pd.DataFrame({"hit_id": hits["hit_id"], "track_id": track_id})) > 0.9


@pytest.mark.slow  # compiles every kernel inside the sandbox (about a minute)
def test_submission_zip_runs_in_the_sandbox(dataset, tmp_path):
    from fivesigma.runner import run_submission

    if shutil.which("bwrap") is None:
        pytest.skip("bubblewrap is not installed")
    report = run_submission(
        build_submission_zip(tmp_path / "seeded.zip"), dataset / "test", tmp_path / "out"
    )
    assert report.ok, report.reason
    submission = pd.read_csv(tmp_path / "out" / "submission.csv")
    truth = pd.read_csv(dataset / "test_truth" / "event000001002-truth.csv")
    assert score_event(truth, submission[["hit_id", "track_id"]]) > 0.9
    assert report.mean_seconds > 0

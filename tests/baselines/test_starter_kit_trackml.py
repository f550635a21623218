"""The TrackML starter kit: contents, the local scoring and timing tools, the README."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pandas as pd
import pytest

from fivesigma.baselines.starter_kit import PROJECT_ROOT, build
from fivesigma.datasets.trackml import generate
from tests.baselines.test_starter_kit import extract, run_in

TRUTH_COLUMNS = ["hit_id", "particle_id", "tx", "ty", "tz", "tpx", "tpy", "tpz", "weight"]
ONE_TRACK_PER_HIT = """
import numpy as np


class Model:
    def __init__(self, model_dir):
        self.model_dir = model_dir

    def predict_one_event(self, event_id, hits, cells):
        return np.arange(len(hits))
"""


@pytest.fixture(scope="module")
def kit(tmp_path_factory) -> Path:
    """The TrackML kit, built and extracted, with two small training and one test event."""
    directory = tmp_path_factory.mktemp("trackml-kit")
    folder = extract(build("trackml", directory / "kit.zip"), directory / "unpacked")
    generate(folder / "data", seed=3, n_train=2, n_test=1, pileup=2.0)
    return folder


def test_kit_holds_readme_tools_scorer_and_the_baselines_as_they_are(kit):
    assert kit.name == "trackml-starter-kit"
    for name in (
        "README.md",
        "trackml_local.py",
        "requirements.txt",
        "fivesigma/scoring/__main__.py",
        "fivesigma/datasets/trackml/io.py",
    ):
        assert (kit / name).is_file(), name
    shipped = sorted(
        p.relative_to(kit / "fivesigma")
        for p in (kit / "fivesigma" / "baselines" / "trackml").rglob("*.py")
    )
    assert shipped, "no baselines.trackml module in the kit"
    for relative in shipped:
        assert (kit / "fivesigma" / relative).read_bytes() == (PROJECT_ROOT / relative).read_bytes()
    assert (kit / "trackml_local.py").read_bytes() == (
        PROJECT_ROOT / "baselines/starter_kit/trackml_local.py"
    ).read_bytes()
    lines = (kit / "requirements.txt").read_text().splitlines()
    requirements = {re.match(r"[\w.-]+", line).group() for line in lines}
    assert {"numpy", "pandas", "numba", "matplotlib", "ipykernel"} <= requirements
    # regression: 'runner' (an unrelated package on the index) was listed
    assert not requirements & {"runner", "scoring", "datasets", "baselines", "fivesigma"}


def test_local_solution_scores_a_perfect_submission_as_one(kit):
    made = run_in(
        kit,
        [
            sys.executable,
            "trackml_local.py",
            "solution",
            "--events",
            "data/train",
            "--out",
            "valid/solution.csv",
        ],
    )
    assert made.returncode == 0, made.stderr
    solution = pd.read_csv(kit / "valid" / "solution.csv")
    assert list(solution.columns) == ["event_id", *TRUTH_COLUMNS, "Usage"]
    assert sorted(solution["event_id"].unique()) == [1000, 1001]
    assert solution.groupby("event_id")["Usage"].nunique().max() == 1  # whole events per subset
    assert set(solution["Usage"]) == {"Public", "Private"}
    truth = pd.read_csv(kit / "data" / "train" / "event000001000-truth.csv")
    assert (solution["event_id"] == 1000).sum() == len(truth)

    perfect = solution[["event_id", "hit_id"]].assign(track_id=solution["particle_id"])
    perfect.to_csv(kit / "valid" / "perfect.csv", index=False)
    scored = run_in(
        kit,
        [sys.executable, "-m", "fivesigma.scoring", "score", "trackml", "--solution", "valid/solution.csv",
         "--submission", "valid/perfect.csv", "--bootstrap", "10"],
    )  # fmt: skip
    assert scored.returncode == 0, scored.stderr
    assert [float(x) for x in re.findall(r"trackml = ([\d.]+)", scored.stdout)] == [1.0, 1.0]


def test_local_timing_runs_a_code_submission_event_by_event(kit, tmp_path):
    code = tmp_path / "code"
    code.mkdir()
    (code / "submission.py").write_text(ONE_TRACK_PER_HIT)
    done = run_in(
        kit,
        [
            sys.executable,
            "trackml_local.py",
            "time",
            "--code",
            str(code),
            "--input",
            "data/train",
            "--out",
            "valid/code.csv",
        ],
    )
    assert done.returncode == 0, done.stderr
    assert "2 events" in done.stdout and "over 1 timed events" in done.stdout  # warm-up excluded
    seconds = float(re.search(r"mean ([\d.]+) s/event", done.stdout).group(1))
    assert 0 <= seconds < 5
    out = pd.read_csv(kit / "valid" / "code.csv")
    hits = pd.read_csv(kit / "data" / "train" / "event000001001-hits.csv")
    event = out[out["event_id"] == 1001]
    assert event["hit_id"].tolist() == hits["hit_id"].tolist()
    assert event["track_id"].tolist() == list(range(len(hits)))


def test_local_timing_refuses_a_folder_without_submission_py(kit, tmp_path):
    done = run_in(
        kit,
        [
            sys.executable,
            "trackml_local.py",
            "time",
            "--code",
            str(tmp_path),
            "--input",
            "data/train",
            "--out",
            "x.csv",
        ],
    )
    assert done.returncode == 2
    assert "no submission.py" in done.stderr


def test_code_submission_defines_the_model_interface(kit):
    tree = ast.parse((kit / "code_submission" / "submission.py").read_text())
    model = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Model")
    methods = {
        n.name: [a.arg for a in n.args.args] for n in model.body if isinstance(n, ast.FunctionDef)
    }
    assert methods["__init__"][1:] == ["model_dir"]
    assert methods["predict_one_event"][1:] == ["event_id", "hits", "cells"]
    assert "## The throughput phase" in (kit / "README.md").read_text()

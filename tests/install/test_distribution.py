"""``pip install fivesigma`` is the participant side, and it shares an environment politely.

One clean virtual environment gets the project (built from a copy of this checkout, not
editable), Hugging Face ``datasets`` and the unrelated ``runner`` of the package index, in one
pip command so that pip has to make them agree. Then the command-line client, a dataset
generator, a baseline and the scorer run there, the scorer giving the numbers the site's
scorer gives on the same files, and Hugging Face ``datasets`` is still itself.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.baselines.test_higgsml import synthetic_events
from tests.install.venvs import copy_checkout, make_venv, pip_install, run, site_scores

pytestmark = [pytest.mark.install, pytest.mark.slow, pytest.mark.timeout(1500)]
SITE_ONLY = {"django", "celery", "psycopg", "psycopg-binary", "djangorestframework", "redis"}


@pytest.fixture(scope="module")
def participant(tmp_path_factory):
    """The environment (path) with fivesigma, Hugging Face datasets and runner installed."""
    root = tmp_path_factory.mktemp("participant")
    source = copy_checkout(root / "source")
    venv = make_venv(root / "venv")
    pip_install(venv, str(source), "datasets", "runner", cwd=root)
    return venv


def python(venv, *argv: str, cwd):
    done = run([str(venv / "bin" / "python"), *argv], cwd=cwd, venv=venv)
    assert done.returncode == 0, f"python {' '.join(argv)}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_the_participant_side_comes_without_the_site(participant, tmp_path):
    installed = json.loads(python(participant, "-m", "pip", "list", "--format=json", cwd=tmp_path))
    names = {package["name"].lower() for package in installed}
    assert {"fivesigma", "datasets", "runner", "numpy", "xgboost-cpu"} <= names
    assert not names & SITE_ONLY, names & SITE_ONLY
    editable = python(participant, "-m", "pip", "list", "--editable", cwd=tmp_path)
    assert "fivesigma" not in editable


def test_every_name_imports_what_it_should(participant, tmp_path):
    probe = (
        "import json, datasets, fivesigma.datasets.higgsml, fivesigma.runner, fivesigma.scoring\n"
        "print(json.dumps({'hf': datasets.__file__, 'load_dataset': callable(datasets.load_dataset),"
        " 'ours': fivesigma.datasets.higgsml.__file__, 'runner': fivesigma.runner.__file__,"
        " 'scoring': fivesigma.scoring.__file__}))"
    )
    paths = json.loads(python(participant, "-c", probe, cwd=tmp_path))
    site = str(participant)
    assert paths.pop("load_dataset") is True  # Hugging Face's, untouched
    assert re.search(r"site-packages/datasets/__init__\.py$", paths.pop("hf"))
    for name, path in paths.items():
        assert path.startswith(site) and "/site-packages/fivesigma/" in path, (name, path)


def test_the_command_line_client_answers(participant, tmp_path):
    done = run([str(participant / "bin" / "fivesigma"), "--help"], cwd=tmp_path, venv=participant)
    assert done.returncode == 0, done.stderr
    for command in ("login", "download", "submit"):
        assert command in done.stdout


def test_a_baseline_and_the_scorer_run(participant, tmp_path):
    (tmp_path / "data").mkdir()
    synthetic_events(3000, seed=5).to_csv(tmp_path / "data" / "training.csv", index=False)
    higgsml = ["-m", "fivesigma.baselines.higgsml"]
    python(participant, *higgsml, "split", "--train", "data/training.csv", "--out-dir", "valid", cwd=tmp_path)  # fmt: skip
    output = python(participant, *higgsml, "window", "--train", "valid/training.csv", "--test", "valid/test.csv", "--out", "valid/window.csv", cwd=tmp_path)  # fmt: skip
    assert "validation AMS" in output
    local = json.loads(
        python(
            participant,
            "-m",
            "fivesigma.scoring",
            "score",
            "ams",
            "--solution",
            "valid/solution.csv",
            "--submission",
            "valid/window.csv",
            "--json",
            cwd=tmp_path,
        )  # fmt: skip
    )
    site = site_scores(
        "ams", tmp_path / "valid" / "solution.csv", tmp_path / "valid" / "window.csv"
    )
    for subset in ("public", "private"):
        assert local[subset]["score"] == pytest.approx(site[subset]["score"], rel=1e-12)
        assert local[subset]["score"] > 0

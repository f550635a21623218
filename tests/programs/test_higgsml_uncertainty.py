"""The HiggsML uncertainty demo, defined by its bundle alone: the ingestion program runs a
participant's ``model.py`` in the sandbox, the scoring program scores its intervals per
subset; the scores are checked against a plain-Python transcription of the score's formula
(``tests/scoring/twins.py``) on the stored predictions and the generated truths."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from django.core.files.storage import default_storage

from fivesigma.baselines import starter_kit
from fivesigma.baselines.higgsml_uncertainty.code_submission import build_submission_zip
from fivesigma.challenges.engine import bundles, detailed
from fivesigma.challenges.kinds import KINDS
from fivesigma.challenges.models import Submission
from fivesigma.challenges.web.detailed_results import read_charts
from tests.builders.submissions import make_zip
from tests.conftest import REPO
from tests.programs.conftest import (
    by_hand,
    participant,
    processed,
    scores_json,
    stored_scores,
    submit,
)
from tests.runner.conftest import needs_bwrap
from tests.scoring import twins

BUNDLE = REPO / "bundles" / "higgsml-uncertainty"


@pytest.fixture(scope="module")
def demo_bundle(tmp_path_factory) -> Path:
    """The demo bundle with its tiny data, assembled as setup_demo assembles it."""
    root = tmp_path_factory.mktemp("higgsml-uncertainty") / "bundle"
    shutil.copytree(BUNDLE, root)
    KINDS["higgsml-uncertainty"].generate(root / "data", "tiny", lambda text: None)
    starter_kit.build("higgsml-uncertainty", root / "data" / "starter-kit.zip")
    return root


def truths(root: Path) -> dict[str, pd.DataFrame]:
    return {
        s: pd.read_csv(root / "data" / "reference" / s / "truth.csv") for s in ("public", "private")
    }


def expected(predictions: pd.DataFrame, truth: pd.DataFrame) -> float:
    rows = predictions.set_index("pseudo_experiment").loc[truth["pseudo_experiment"]]
    return twins.interval_score(truth["mu"].tolist(), rows["p16"].tolist(), rows["p84"].tolist())


def stored_predictions(submission: Submission) -> pd.DataFrame:
    with default_storage.open(submission.output.name, "rb") as stream:
        with zipfile.ZipFile(io.BytesIO(stream.read())) as archive:
            return pd.read_csv(io.BytesIO(archive.read("predictions.csv")))


def test_the_generated_data_keeps_the_answers_out_of_the_input(demo_bundle):
    inputs = {p.name for p in (demo_bundle / "data" / "input").iterdir()}
    assert inputs == {"train.csv", "test.csv"}
    test = pd.read_csv(demo_bundle / "data" / "input" / "test.csv")
    assert "mu" not in test.columns and "Label" not in test.columns
    public, private = truths(demo_bundle).values()
    numbers = sorted([*public["pseudo_experiment"], *private["pseudo_experiment"]])
    assert numbers == sorted(test["pseudo_experiment"].unique())
    assert not set(public["pseudo_experiment"]) & set(private["pseudo_experiment"])
    packaged = (demo_bundle / "scoring" / "interval_coverage.py").read_bytes()
    assert packaged == (REPO / "scoring" / "metrics" / "interval_coverage.py").read_bytes()


@pytest.mark.parametrize(
    "half_width, shift",
    [(0.5, 0.0), (0.05, 0.0), (3.0, 0.0), (0.3, 0.4)],  # within, below, above the band; biased
)
def test_the_scoring_program_gives_the_formula(tmp_path, demo_bundle, half_width, shift):
    truth = pd.concat(truths(demo_bundle).values(), ignore_index=True)
    centre = truth["mu"] + shift + 0.2 * (truth.index % 3 - 1)
    predictions = pd.DataFrame({
        "pseudo_experiment": truth["pseudo_experiment"], "mu_hat": centre,
        "delta_mu_hat": half_width, "p16": centre - half_width, "p84": centre + half_width,
    })  # fmt: skip
    (tmp_path / "input" / "ref").mkdir(parents=True)
    (tmp_path / "input" / "res").mkdir()
    (tmp_path / "output").mkdir()
    truth.to_csv(tmp_path / "input" / "ref" / "truth.csv", index=False)
    predictions.to_csv(tmp_path / "input" / "res" / "predictions.csv", index=False)
    by_hand(demo_bundle / "scoring" / "score.py", tmp_path / "input", tmp_path / "output")
    scores = scores_json(tmp_path / "output")
    assert scores["score"] == pytest.approx(expected(predictions, truth), rel=1e-12)
    assert scores["n"] == len(truth)
    mae, rmse = twins.interval_point_errors(
        truth["mu"].tolist(), centre.tolist(), [half_width] * len(truth)
    )
    assert (scores["mae"], scores["rmse"]) == pytest.approx((mae, rmse), rel=1e-12)
    charts = json.loads((tmp_path / "output" / "charts.json").read_text())
    assert len(charts) == 8 and all(chart["data"] for chart in charts)


@needs_bwrap
@pytest.mark.slow
def test_the_statistics_only_model_runs_in_the_sandbox_and_scores_as_the_formula(
    db, tmp_path, demo_bundle
):
    phase = bundles.load(demo_bundle, environments=tmp_path / "envs").phases.get(key="main")
    assert phase.is_program_scored and phase.kind == phase.CODE
    content = build_submission_zip("stats", tmp_path / "stats.zip").read_bytes()
    done = processed(submit(participant(), phase, "stats.zip", content))
    assert done.status == Submission.FINISHED, done.reason
    predictions = stored_predictions(done)
    scores = stored_scores(done)
    for subset, truth in truths(demo_bundle).items():
        assert scores[subset]["score"] == pytest.approx(expected(predictions, truth), rel=1e-12)
        assert scores[subset]["n"] == len(truth)
    ingestion = done.run_report["program"]["ingestion"]
    assert "fit" in ingestion["self_reported"]
    assert len(ingestion["self_reported"]) == 1 + predictions["pseudo_experiment"].nunique()
    charts, note = read_charts(detailed.storage_name(done, "charts.json"))
    assert note == "" and len(charts) == 8


@needs_bwrap
@pytest.mark.slow
def test_a_model_breaking_the_interface_fails_with_the_pseudo_experiment_named(
    db, tmp_path, demo_bundle
):
    phase = bundles.load(demo_bundle, environments=tmp_path / "envs").phases.get(key="main")
    model = (
        "class Model:\n"
        "    def fit(self, train):\n"
        "        self.n = len(train)\n"
        "    def predict(self, events):\n"
        "        return {'mu_hat': 1.0, 'delta_mu_hat': 0.1, 'p16': 1.2, 'p84': 0.8}\n"
    )
    content = make_zip(tmp_path / "model.zip", {"model.py": model}).read_bytes()
    done = processed(submit(participant(), phase, "model.zip", content))
    assert done.status == Submission.FAILED
    assert "ingestion program failed" in done.reason
    assert "pseudo_experiment 0: p16 (1.2) is above p84 (0.8)" in done.reason

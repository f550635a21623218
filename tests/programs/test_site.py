"""Codabench bundles whose programs run: loaded from a directory and from a zip, submitted to
through the API, run by the worker in this process, and scored exactly as the same programs
score the same files when run by hand outside the sandbox."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import pytest
from django.core.files.storage import default_storage

from fivesigma.challenges.engine import bundles, detailed, lifecycle
from fivesigma.challenges.models import Submission
from tests.builders.codabench_bundles import zip_bundle
from tests.programs.bundles import (
    CODE_INPUT,
    TRUTH_PRIVATE,
    TRUTH_PUBLIC,
    code_submission,
    csv_text,
    write_code_bundle,
    write_legacy_bundle,
    write_regression_bundle,
)
from tests.programs.conftest import (
    by_hand,
    participant,
    processed,
    scores_json,
    stored_scores,
    submit,
)
from tests.runner.conftest import needs_bwrap

pytestmark = needs_bwrap

GUESS = {"1": 1.2, "2": 2.5, "3": 0.0, "4": 0.1, "5": 3.0, "6": 4.0, "7": 9.0, "8": -2.5, "9": 1.0}


def load(root: Path, as_zip: bool, tmp_path: Path):
    path = zip_bundle(root, tmp_path / f"{root.name}.zip") if as_zip else root
    return bundles.load(path, environments=tmp_path / "envs").phases.get()


def copy_with(source: Path | None, target: Path, files: dict[str, str]) -> Path:
    """A folder holding ``source``'s files (if any) and ``files`` (relative name -> text)."""
    if source is not None:
        shutil.copytree(source, target)
    target.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        (target / name).write_text(text)
    return target


def only_figures(scores: dict) -> dict:
    return {k: v for k, v in scores.items() if k != "score"}


@pytest.mark.parametrize("as_zip", [False, True], ids=["directory", "zip"])
def test_a_result_challenge_is_scored_once_per_subset(db, tmp_path, as_zip):
    root = write_regression_bundle(tmp_path / "regression")
    phase = load(root, as_zip, tmp_path)
    guess = csv_text(GUESS).encode()
    submission = processed(submit(participant(), phase, "predictions.csv", guess))
    assert submission.status == Submission.FINISHED, submission.reason

    expected = {}
    for subset in ("public", "private"):
        folder = copy_with(root / "reference_data" / subset, tmp_path / subset / "ref", {})
        copy_with(None, folder.parent / "res", {"predictions.csv": guess.decode()})
        (tmp_path / subset / "out").mkdir()
        by_hand(root / "scoring_program" / "score.py", folder.parent, tmp_path / subset / "out")
        expected[subset] = scores_json(tmp_path / subset / "out")
    stored = stored_scores(submission)
    assert {s: only_figures(v) for s, v in stored.items()} == expected
    assert stored["public"]["score"] == expected["public"]["rmse"]  # RMSE ranks
    assert expected["public"] != expected["private"]

    program = submission.run_report["program"]
    assert program["scoring"]["exit_code"] == 0 and not program["scoring"]["timed_out"]
    assert set(program["scoring"]["runs"]) == {"public", "private"}
    assert "--- public run ---\nscored 4 items" in program["scoring"]["log"]
    assert "--- private run ---\nscored 5 items" in program["scoring"]["log"]
    assert program["detailed"] == ["detailed_results.html", "plots/errors.json"]
    page = default_storage.open(detailed.storage_name(submission, "detailed_results.html")).read()
    assert page == (tmp_path / "public" / "out" / "detailed_results.html").read_bytes()


@pytest.mark.parametrize("as_zip", [False, True], ids=["directory", "zip"])
def test_a_code_challenge_runs_ingestion_then_scoring(db, tmp_path, as_zip):
    root = write_code_bundle(tmp_path / "code")
    phase = load(root, as_zip, tmp_path)
    assert phase.kind == "code"
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("submission.py", code_submission(1.9))
    submission = processed(submit(participant(), phase, "code.zip", code.getvalue()))
    assert submission.status == Submission.FINISHED, submission.reason

    mine = copy_with(None, tmp_path / "mine", {"submission.py": code_submission(1.9)})
    (tmp_path / "ingested").mkdir()
    src = root / "src"
    ran = by_hand(src / "ingestion" / "ingest.py", src / "input", tmp_path / "ingested", mine)
    assert "ingested 5 rows" in ran.stdout
    scoring_input = copy_with(src / "reference", tmp_path / "input" / "ref", {}).parent
    shutil.copytree(tmp_path / "ingested", scoring_input / "res")
    (tmp_path / "scored").mkdir()
    by_hand(src / "scoring" / "score.py", scoring_input, tmp_path / "scored")
    expected = scores_json(tmp_path / "scored")
    assert {s: only_figures(v) for s, v in stored_scores(submission).items()} == expected

    ingestion = submission.run_report["program"]["ingestion"]
    assert ingestion["exit_code"] == 0 and "ingested 5 rows" in ingestion["log"]
    assert set(ingestion["self_reported"]) == set(CODE_INPUT)
    assert all(0 <= s < 5 for s in ingestion["self_reported"].values())
    assert submission.output.name.endswith("output.zip")
    with submission.output.open("rb") as stream:
        kept = zipfile.ZipFile(io.BytesIO(stream.read()))
        assert (
            kept.read("predictions.csv") == (tmp_path / "ingested" / "predictions.csv").read_bytes()
        )


@pytest.mark.parametrize("as_zip", [False, True], ids=["directory", "zip"])
def test_a_legacy_program_writing_scores_txt(db, tmp_path, as_zip):
    root = write_legacy_bundle(tmp_path / "legacy")
    phase = load(root, as_zip, tmp_path)
    submission = processed(submit(participant(), phase, "answers.txt", b"a b x d y\n"))
    assert submission.status == Submission.FINISHED, submission.reason
    folder = copy_with(root / "reference", tmp_path / "input" / "ref", {}).parent
    copy_with(None, folder / "res", {"answers.txt": "a b x d y\n"})
    (tmp_path / "out").mkdir()
    by_hand(root / "program" / "score.py", folder, tmp_path / "out")
    lines = dict(
        line.split(": ")
        for line in (tmp_path / "out" / "scores.txt").read_text().split("\n")
        if line
    )
    expected = {k: float(v) for k, v in lines.items()}
    stored = stored_scores(submission)
    assert only_figures(stored["public"]) == only_figures(stored["private"]) == expected
    assert stored["public"]["score"] == expected["correct"] == 0.6


def test_rescoring_runs_the_fixed_program_again(db, tmp_path):
    """A program that failed some submissions is fixed by reloading the bundle; one re-score
    runs it again for the failed ones and for the finished ones alike."""
    broken = (
        "import csv, os, sys\n"
        "rows = list(csv.DictReader(open(os.path.join(sys.argv[1], 'res', 'predictions.csv'))))\n"
        "if any(float(r['y']) < 0 for r in rows):\n"
        "    raise SystemExit('negative predictions are not handled yet')\n"
        "open(os.path.join(sys.argv[2], 'scores.json'), 'w').write('{\"rmse\": 1.0, \"hit_rate\": 0.0}')\n"
    )
    root = write_regression_bundle(tmp_path / "regression", score_py=broken)
    phase = load(root, False, tmp_path)
    alice, bob = participant("alice"), participant("bob")
    positive = {k: abs(v) for k, v in GUESS.items()}
    finished = processed(submit(alice, phase, "predictions.csv", csv_text(positive).encode()))
    failed = processed(submit(bob, phase, "predictions.csv", csv_text(GUESS).encode()))
    assert finished.status == Submission.FINISHED, finished.reason
    assert failed.status == Submission.FAILED
    assert failed.reason == (
        "scoring program failed: exited with status 1: negative predictions are not handled yet"
    )

    from tests.programs.bundles import REGRESSION_SCORE

    (root / "scoring_program" / "score.py").write_text(REGRESSION_SCORE)
    bundles.load(root, environments=tmp_path / "envs")
    assert lifecycle.rescore_phase(phase) == 2
    for submission in (finished, failed):
        again = processed(submission)
        assert again.status == Submission.FINISHED, (again.reason, again.run_report)
        assert again.run_report["program"]["detailed"] == [
            "detailed_results.html",
            "plots/errors.json",
        ]
    errors = [positive[k] - v for k, v in TRUTH_PUBLIC.items()]
    assert stored_scores(finished)["public"]["score"] == pytest.approx(
        (sum(e * e for e in errors) / len(errors)) ** 0.5, rel=1e-12
    )
    assert stored_scores(failed)["private"]["rmse"] == pytest.approx(
        (sum((GUESS[k] - v) ** 2 for k, v in TRUTH_PRIVATE.items()) / len(TRUTH_PRIVATE)) ** 0.5,
        rel=1e-12,
    )

"""What an upload must hold when the organisers' programs read it: a zip for a program-scored
result phase needs no submission.py (Codabench result zips hold the predictions), nor does a
code zip for a phase with an ingestion program (the program decides what it imports); a
built-in harness still needs its entry point."""

from __future__ import annotations

import pytest

from fivesigma.challenges.engine import bundles
from tests.builders.submissions import make_zip
from tests.programs.bundles import code_submission, write_code_bundle, write_regression_bundle
from tests.programs.conftest import participant, submit


@pytest.mark.django_db
def test_a_result_zip_without_submission_py_goes_to_the_scoring_program(tmp_path):
    phase = bundles.load(
        write_regression_bundle(tmp_path / "b"), environments=tmp_path
    ).phases.get()
    archive = make_zip(None, {"predictions.csv": "id,y\n1,1.0\n"})
    assert submit(participant(), phase, "results.zip", archive).phase == phase


@pytest.mark.django_db
def test_a_code_zip_without_submission_py_goes_to_the_ingestion_program(tmp_path):
    phase = bundles.load(write_code_bundle(tmp_path / "b"), environments=tmp_path).phases.get()
    assert phase.ingestion_command
    archive = make_zip(None, {"model/predict.py": code_submission(2.0)})
    assert submit(participant(), phase, "code.zip", archive).phase == phase


@pytest.mark.django_db
def test_a_damaged_zip_is_still_refused_with_the_reason(tmp_path):
    phase = bundles.load(
        write_regression_bundle(tmp_path / "b"), environments=tmp_path
    ).phases.get()
    reply = submit(participant(), phase, "results.zip", b"PK\x03\x04" + b"\x00" * 64, 400)
    assert "cannot be unpacked" in reply.content.decode()

"""What an upload must hold when the organisers' programs read it: a zip for a program-scored
result phase needs no submission.py (Codabench result zips hold the predictions), nor does a
code zip for a phase with an ingestion program (the program decides what it imports); a
built-in harness still needs its entry point."""

from __future__ import annotations

import io

import pytest

from fivesigma.challenges.engine import bundles
from tests.builders.submissions import make_zip
from tests.programs.bundles import code_submission, write_code_bundle, write_regression_bundle
from tests.programs.conftest import participant


def upload(phase, name: str, content: bytes):
    stream = io.BytesIO(content)
    stream.name = name
    url = f"/api/challenges/{phase.challenge.slug}/phases/{phase.key}/submissions/"
    return participant().post(url, {"file": stream}, format="multipart")


@pytest.mark.django_db
def test_a_result_zip_without_submission_py_goes_to_the_scoring_program(tmp_path):
    phase = bundles.load(
        write_regression_bundle(tmp_path / "b"), environments=tmp_path
    ).phases.get()
    archive = make_zip(tmp_path / "results.zip", {"predictions.csv": "id,y\n1,1.0\n"})
    reply = upload(phase, "results.zip", archive.read_bytes())
    assert reply.status_code == 201, reply.content


@pytest.mark.django_db
def test_a_code_zip_without_submission_py_goes_to_the_ingestion_program(tmp_path):
    phase = bundles.load(write_code_bundle(tmp_path / "b"), environments=tmp_path).phases.get()
    assert phase.ingestion_command
    archive = make_zip(tmp_path / "code.zip", {"model/predict.py": code_submission(2.0)})
    reply = upload(phase, "code.zip", archive.read_bytes())
    assert reply.status_code == 201, reply.content


@pytest.mark.django_db
def test_a_damaged_zip_is_still_refused_with_the_reason(tmp_path):
    phase = bundles.load(
        write_regression_bundle(tmp_path / "b"), environments=tmp_path
    ).phases.get()
    reply = upload(phase, "results.zip", b"PK\x03\x04" + b"\x00" * 64)
    assert reply.status_code == 400
    assert "cannot be unpacked" in reply.content.decode()

"""The HiggsML challenge re-expressed as a program-scored Codabench bundle: a scoring program
computing the AMS with plain NumPy from the official file formats gives the built-in metric's
AMS on the same submission, public and private, so the built-in metrics are a fast path and
not the only one."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from fivesigma.challenges.engine import bundles
from fivesigma.challenges.models import Score, Submission
from tests.builders.higgsml_files import reference_ams, submission_csv, write_ams_bundle
from tests.programs.bundles import write_higgs_program_bundle
from tests.programs.conftest import participant, processed, submit
from tests.runner.conftest import needs_bwrap

pytestmark = [needs_bwrap, pytest.mark.slow]


def values(submission: Submission) -> dict[str, float]:
    rows = Score.objects.filter(submission=submission, current=True)
    return {row.subset: row.value for row in rows}


def test_the_program_scored_higgsml_bundle_gives_the_built_in_ams(db, tmp_path, settings):
    settings.FIVESIGMA_BOOTSTRAP_REPLICAS = 20
    solution = write_ams_bundle(tmp_path / "builtin", n_events=600, seed=7, slug="higgs-builtin")
    built_in = bundles.load(tmp_path / "builtin").phases.get(key="main")
    root = write_higgs_program_bundle(
        tmp_path / "program", tmp_path / "builtin" / "data" / "solution.csv"
    )
    by_program = bundles.load(root, environments=tmp_path / "envs").phases.get()
    assert by_program.is_program_scored and not built_in.is_program_scored

    rng = np.random.default_rng(11)
    truth = (solution["Label"] == "s").to_numpy() * 1.0
    content = submission_csv(solution, truth + rng.normal(0.0, 0.7, len(solution)))
    alice = participant()
    fast = processed(submit(alice, built_in, "submission.csv", content))
    slow = processed(submit(alice, by_program, "submission.csv", content))
    assert fast.status == slow.status == Submission.FINISHED, (fast.reason, slow.reason)

    classes = pd.read_csv(io.BytesIO(content))["Class"].to_numpy()
    for subset, code in (("public", "b"), ("private", "v")):
        assert values(slow)[subset] == pytest.approx(values(fast)[subset], rel=1e-12, abs=0)
        assert values(slow)[subset] == pytest.approx(
            reference_ams(solution, classes, code), rel=1e-12
        )
    assert values(slow)["public"] != values(slow)["private"]

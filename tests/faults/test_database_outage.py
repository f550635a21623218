"""PostgreSQL unavailable for a few seconds while a worker scores and more submissions wait:
every connection is cut and new ones are refused. Once it is back, every submission is scored,
once, without waiting for the hourly sweep.

The test owns the database it breaks: a throwaway database on the running PostgreSQL server
(admin URL in FIVESIGMA_TEST_POSTGRES_URL; the ``throwaway_postgres`` fixture of
tests/conftest.py), which this process and the worker both use while the test runs, whatever
database the rest of the suite runs on.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from django.db import connections

from fivesigma.challenges.engine import bundles, intake
from fivesigma.challenges.models import Submission
from tests.builders.higgsml_files import submission_csv, write_ams_bundle
from tests.builders.submissions import upload
from tests.builders.users import make_user
from tests.conftest import wait_for
from tests.faults.checks import all_done, assert_settled
from tests.faults.services import cut_off, restore

pytestmark = [pytest.mark.integration, pytest.mark.slow]

OUTAGE_S = 5.0


def test_database_outage_while_scoring_loses_nothing(throwaway_postgres, workers, tmp_path):
    solution = write_ams_bundle(tmp_path / "bundle", n_events=4000)
    phase = bundles.load(tmp_path / "bundle").phases.get()
    truth = (solution["Label"] == "s").to_numpy() * 1.0
    accepted = []
    for i in range(3):
        noise = np.random.default_rng(i).normal(0, 1.0, len(truth))
        content = submission_csv(solution, truth + noise)
        accepted.append(
            intake.submit(phase, make_user(f"team{i}"), upload(f"team{i}.csv", content))
        )
    # enough bootstrap replicas that scoring lasts a few seconds
    workers.start("worker", FIVESIGMA_BOOTSTRAP_REPLICAS="200000")

    def scoring():
        return Submission.objects.filter(status=Submission.SCORING).exists()

    try:
        wait_for(scoring, timeout=120, interval=0.05, what="the worker to start scoring")
    except AssertionError:
        raise AssertionError(workers.logs()) from None
    connections["default"].close()
    cut_off(throwaway_postgres)
    time.sleep(OUTAGE_S)
    restore(throwaway_postgres)

    try:
        wait_for(lambda: all_done(accepted), timeout=120, what="every submission to be scored")
    except AssertionError:
        states = {s.pk: s.status for s in Submission.objects.all()}
        raise AssertionError(f"{states}\n{workers.logs()}") from None
    assert "OperationalError" in workers.logs(), "the outage did not reach the worker"
    outcome = assert_settled(phase, accepted)
    assert len(outcome[Submission.FINISHED]) == len(accepted)

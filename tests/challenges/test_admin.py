"""The admin site: every model is listed for staff; what the engine writes cannot be edited."""

from __future__ import annotations

import pytest
from django.urls import reverse

from fivesigma.challenges.engine import intake, worker
from fivesigma.challenges.models import Score, Standing, Submission, Team
from tests.builders.challenges import load_tiny_challenge
from tests.builders.higgsml_files import noisy_submission
from tests.builders.submissions import upload
from tests.builders.users import make_user

MODELS = ("challenge", "phase", "datafile", "team", "submission", "score", "standing")


@pytest.fixture
def staff_client(db, client, tmp_path):
    tiny = load_tiny_challenge(tmp_path)
    submission = intake.submit(
        tiny.main, make_user("alice"), upload("a.csv", noisy_submission(tiny.solution))
    )
    worker.process(submission.pk)
    client.force_login(make_user("sam", is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize("model", MODELS)
def test_staff_see_every_model_listed_and_each_row(staff_client, model):
    listing = staff_client.get(reverse(f"admin:challenges_{model}_changelist"))
    assert listing.status_code == 200
    row = {
        "challenge": lambda: Submission.objects.get().phase.challenge,
        "phase": lambda: Submission.objects.get().phase,
        "datafile": lambda: Submission.objects.get().phase.files.first(),
        "team": lambda: Submission.objects.get().team,
        "submission": lambda: Submission.objects.get(),
        "score": lambda: Score.objects.first(),
        "standing": lambda: Standing.objects.first(),
    }
    if row[model]() is not None:
        page = staff_client.get(reverse(f"admin:challenges_{model}_change", args=[row[model]().pk]))
        assert page.status_code == 200


@pytest.mark.parametrize("model", ("submission", "score", "standing", "datafile"))
def test_what_the_engine_writes_cannot_be_added_or_deleted_by_hand(staff_client, model):
    assert staff_client.get(reverse(f"admin:challenges_{model}_add")).status_code == 403


def test_a_team_can_be_renamed(staff_client):
    team = Team.objects.get()
    page = staff_client.post(
        reverse("admin:challenges_team_change", args=[team.pk]),
        {
            "name": "Renamed",
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "1",
            "memberships-MIN_NUM_FORMS": "0",
            "memberships-MAX_NUM_FORMS": "1000",
            "memberships-0-id": str(team.memberships.get().pk),
            "memberships-0-team": str(team.pk),
        },
    )
    assert page.status_code == 302, page.content.decode()[:2000]
    assert Team.objects.get(pk=team.pk).name == "Renamed"
    submission = Submission.objects.get()
    submission_page = staff_client.post(
        reverse("admin:challenges_submission_change", args=[submission.pk]), {"status": "failed"}
    )
    assert submission_page.status_code == 403
    assert Submission.objects.get().status == Submission.FINISHED

"""Final selection and team actions through the API: the same rules as the pages, answered
the same way (400 with the rule, 404 for another team's submission)."""

from __future__ import annotations

import re

from django.urls import reverse

from fivesigma.challenges.engine import intake, worker
from fivesigma.challenges.models import Score, Standing, Submission
from tests.api.conftest import api_client
from tests.builders.challenges import end_phase
from tests.builders.higgsml_files import noisy_submission
from tests.builders.submissions import finished, upload
from tests.builders.users import make_user


def scored(site, user, seed: int) -> Submission:
    submission = intake.submit(
        site.phase, user, upload(f"s{seed}.csv", noisy_submission(site.solution, seed=seed))
    )
    worker.process(submission.pk)
    return finished(submission)


def choose(client, submission: Submission, selected):
    return client.post(
        reverse("api-final", args=[submission.uid]), {"selected": selected}, format="json"
    )


def test_a_team_chooses_its_finals_through_the_api_and_the_private_board_follows(site, alice_api):
    first, second, third = (scored(site, site.alice, seed) for seed in (1, 2, 3))
    reply = choose(alice_api, third, True)
    assert reply.status_code == 200 and reply.json()["selected_final"] is True
    assert Submission.objects.get(pk=third.pk).selected_final
    assert "selected as a final submission" in third.events.last().message
    standing = Standing.objects.get(phase=site.phase, team=third.team)
    assert standing.private_score.submission_id == third.pk  # the only final one
    assert choose(alice_api, second, True).status_code == 200
    refused = choose(alice_api, first, True)  # final_selections is 2 in the bundle
    assert refused.status_code == 400
    assert "already selected 2 final submissions" in refused.json()["detail"]
    assert choose(alice_api, second, False).json()["selected_final"] is False
    assert choose(alice_api, first, True).status_code == 200
    private = Score.objects.filter(
        submission__in=[first, third], subset=Score.PRIVATE, current=True
    )
    best = max(private, key=lambda s: (s.value, -s.submission_id))
    standing.refresh_from_db()
    assert standing.private_score_id == best.pk


def test_final_selection_refusals_match_the_page(site, alice_api, bob_api, client):
    mine = scored(site, site.alice, 1)
    assert choose(bob_api, mine, True).status_code == 404  # another team's: hidden
    assert choose(api_client(), mine, True).status_code == 401
    assert choose(alice_api, mine, "maybe").status_code == 400
    failed = intake.submit(site.phase, site.alice, upload("f.csv", noisy_submission(site.solution)))
    Submission.objects.filter(pk=failed.pk).update(status=Submission.FAILED)
    reply = choose(alice_api, failed, True)
    assert reply.status_code == 400 and "Only scored submissions" in reply.json()["detail"]
    end_phase(site.phase)
    reply = choose(alice_api, mine, True)
    assert reply.status_code == 400 and "after the phase has ended" in reply.json()["detail"]
    client.force_login(site.alice)  # the page says the same rule
    page = client.post(reverse("submission-final", args=[mine.uid]), follow=True)
    assert "after the phase has ended" in page.content.decode()
    assert not Submission.objects.get(pk=mine.pk).selected_final


def test_the_final_form_never_redirects_to_another_site(site, client):
    mine = scored(site, site.alice, 1)
    client.force_login(site.alice)
    url = reverse("submission-final", args=[mine.uid])
    away = client.post(url, {"next": "https://elsewhere.example/phish"})
    assert away.status_code == 302 and away["Location"] == mine.get_absolute_url()
    scheme_relative = client.post(url, {"next": "//elsewhere.example/x"})
    assert scheme_relative["Location"] == mine.get_absolute_url()
    home = client.post(url, {"next": "/c/tiny-higgs/"})
    assert home["Location"] == "/c/tiny-higgs/"


def test_team_actions_through_the_api(site, alice_api, bob_api):
    url = reverse("api-team", args=[site.challenge.slug])
    assert alice_api.get(url).status_code == 404
    created = alice_api.post(url, {"action": "create", "name": "Muon Hunters"}, format="json")
    assert created.status_code == 200 and created.json()["name"] == "Muon Hunters"
    code = created.json()["invite_code"]
    assert bob_api.post(url, {"action": "join", "code": "nope"}, format="json").status_code == 400
    joined = bob_api.post(url, {"action": "join", "code": code}, format="json")
    assert [m["username"] for m in joined.json()["members"]] == [
        site.alice.username,
        site.bob.username,
    ]
    taken = api_client(make_user("carol")).post(
        url, {"action": "create", "name": "Muon Hunters"}, format="json"
    )
    assert taken.status_code == 400 and "is taken" in taken.json()["detail"]
    assert bob_api.post(url, {"action": "leave"}, format="json").status_code == 200
    assert bob_api.get(url).status_code == 404
    scored(site, site.alice, 1)
    stuck = alice_api.post(url, {"action": "leave"}, format="json")
    assert stuck.status_code == 400 and "has submissions" in stuck.json()["detail"]


def test_an_invitation_code_of_another_challenge_does_not_join(site, bob_api, tmp_path):
    from tests.builders.challenges import load_site_challenge

    other = load_site_challenge(tmp_path, slug="other-higgs")
    code = intake.teams.ensure_team(other.alice, other.challenge).invite_code
    reply = bob_api.post(
        reverse("api-team", args=[site.challenge.slug]),
        {"action": "join", "code": code},
        format="json",
    )
    assert reply.status_code == 400 and "does not match any team" in reply.json()["detail"]


def test_sign_up_never_redirects_to_another_site(db, client, mailoutbox):
    form = {
        "username": "dora",
        "email": "dora@example.org",
        "password1": "a-long-test-password",
        "password2": "a-long-test-password",
    }
    client.post(reverse("signup") + "?next=https://elsewhere.example/x", form)
    (link,) = re.findall(r"https?://testserver(/\S+)", mailoutbox[0].body)
    away = client.get(link)
    assert away.status_code == 302 and away["Location"] == reverse("home")

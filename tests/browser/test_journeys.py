"""A participant's and an organiser's main journeys in headless Chromium."""

from __future__ import annotations

import re
import zipfile

import pytest

from fivesigma.challenges.models import Challenge, Membership, Submission
from tests.browser.conftest import log_in
from tests.builders.higgsml_files import noisy_submission, write_ams_bundle
from tests.builders.users import PASSWORD, make_user

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_sign_up_log_out_and_log_in(page, db, mailoutbox):
    page.goto("/accounts/signup/")
    page.fill("input[name=username]", "newcomer")
    page.fill("input[name=email]", "newcomer@example.org")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    page.locator("#verification-sent").wait_for()
    (link,) = re.findall(r"https?://[^/\s]+(/\S+)", mailoutbox[0].body)
    page.goto(link)
    page.get_by_text("Welcome, newcomer.").wait_for()
    page.get_by_role("button", name="Log out").click()
    page.get_by_role("link", name="Log in").wait_for()

    page.goto("/accounts/login/")
    page.fill("input[name=username]", "newcomer")
    page.fill("input[name=password]", "not the password")
    page.locator("main").get_by_role("button", name="Log in").click()
    page.locator(".errorlist, .error, form").first.wait_for()
    assert page.get_by_role("link", name="newcomer").count() == 0
    page.fill("input[name=password]", PASSWORD)
    page.locator("main").get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="newcomer").wait_for()
    assert page.console.unexpected(allowed_statuses=(404,)) == []


def test_create_a_team_and_join_it_with_the_code(page, site, live_server, browser):
    log_in(page, live_server.url, site.alice)
    page.goto("/c/tiny-higgs/team/")
    page.fill("input[name=name]", "Muon Hunters")
    page.get_by_role("button", name="Create").click()
    code = page.locator("#invite-code").inner_text()

    other = browser.new_context(base_url=live_server.url).new_page()
    log_in(other, live_server.url, site.bob)
    other.goto("/c/tiny-higgs/team/")
    other.fill("input[name=code]", code)
    other.get_by_role("button", name="Join").click()
    other.get_by_text("You joined Muon Hunters.").wait_for()
    members = other.locator("#members li").all_inner_texts()
    assert sorted(members) == sorted([site.alice.username, f"{site.bob.username} (you)"])
    # in a team, only its actions: no creating or joining another
    assert other.locator("#create-team, #join-team").count() == 0
    assert Membership.objects.filter(team__name="Muon Hunters").count() == 2
    other.context.close()


def test_download_a_data_file(page, site, live_server, tmp_path):
    page.goto("/c/tiny-higgs/p/data/")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download").first.click()
    saved = tmp_path / "downloaded.csv"
    download.value.save_as(saved)
    assert saved.read_bytes() == (site.bundle / "data" / "test.csv").read_bytes()


def test_invalid_upload_shows_the_reason_then_a_valid_one_reaches_the_leaderboard(
    page, site, live_server, eager
):
    log_in(page, live_server.url, site.alice)
    page.goto("/c/tiny-higgs/submit/main/")
    remaining = page.locator("#remaining").inner_text()
    page.set_input_files(
        "input[name=file]",
        files=[{"name": "bad.csv", "mimeType": "text/csv", "buffer": b"EventId,RankOrder\n1,1\n"}],
    )
    page.get_by_role("button", name="Submit").click()
    error = page.locator("#upload-error").inner_text()
    assert "Class" in error
    assert page.locator("#remaining").inner_text() == remaining  # a refused file does not count

    page.set_input_files(
        "input[name=file]",
        files=[
            {"name": "good.csv", "mimeType": "text/csv", "buffer": noisy_submission(site.solution)}
        ],
    )
    page.get_by_role("button", name="Submit").click()
    page.locator("#status-badge.finished").wait_for()
    submission = Submission.objects.get(status=Submission.FINISHED)
    public = submission.scores.get(subset="public", current=True)
    assert page.locator("#scores .score-value").first.inner_text() == f"{public.value:.5f}"
    page.locator(".diagnostics[data-source=public] .plot .main-svg").first.wait_for()
    assert page.locator(".diagnostics[data-source=public] .plot").count() == 2

    page.goto("/c/tiny-higgs/leaderboard/main/")
    row = page.locator("#leaderboard tbody tr").first
    assert site.alice.username in row.inner_text() and f"{public.value:.5f}" in row.inner_text()
    page.locator("#leaderboard-charts .plot .main-svg").first.wait_for()
    assert page.console.unexpected(allowed_statuses=(400, 404)) == []


def test_organiser_uploads_a_bundle(page, db, live_server, tmp_path):
    organiser = make_user("chief", password=PASSWORD, is_staff=True)
    log_in(page, live_server.url, organiser)
    write_ams_bundle(tmp_path / "bundle", slug="fresh-higgs")
    archive = tmp_path / "fresh-higgs.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted((tmp_path / "bundle").rglob("*")):
            zf.write(path, path.relative_to(tmp_path / "bundle").as_posix())

    page.goto("/organise/bundle/")
    page.set_input_files(
        "input[name=bundle]",
        files=[{"name": "broken.zip", "mimeType": "application/zip", "buffer": b"not a zip"}],
    )
    page.get_by_role("button", name="Load bundle").click()
    assert "not a zip file" in page.locator("#bundle-problems").inner_text()

    page.set_input_files("input[name=bundle]", str(archive))
    page.get_by_role("button", name="Load bundle").click()
    page.get_by_text("Loaded 'Tiny Higgs'.").wait_for()
    assert page.url.endswith("/c/fresh-higgs/")
    assert Challenge.objects.get(slug="fresh-higgs").is_organiser(organiser)

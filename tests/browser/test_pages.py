"""A newcomer's pages in Chromium, one test per page, each leaving a screenshot (see
``tests.browser.conftest.SHOTS``): accounts, drop zones, a code submission's run report,
the leaderboard, the API root, the data page, score details and clearer errors."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model

from fivesigma.challenges.engine import lifecycle
from fivesigma.challenges.models import Phase, Submission
from tests.browser.conftest import log_in, shoot
from tests.builders.challenges import T0
from tests.builders.higgsml_files import noisy_submission
from tests.builders.submissions import add_entry
from tests.builders.trackml_files import toy_diagnostics
from tests.builders.users import PASSWORD, make_team, make_user

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def link_in(message) -> str:
    """The path of the one link of this site in an e-mail."""
    (url,) = re.findall(r"https?://[^/\s]+(/\S+)", message.body)
    return url


def change_phase(phase: Phase, **fields) -> None:
    Phase.objects.filter(pk=phase.pk).update(**fields)
    phase.refresh_from_db()


# -- accounts -----------------------------------------------------------------------------


def test_sign_up_is_activated_by_the_e_mailed_link(page, db, mailoutbox):
    page.goto("/accounts/signup/")
    page.fill("input[name=username]", "newcomer")
    page.fill("input[name=email]", "newcomer@example.org")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    shoot(page, "signup")
    page.get_by_role("button", name="Sign up").click()
    assert "newcomer@example.org" in page.locator("#verification-sent").inner_text()
    shoot(page, "signup-sent")
    assert not get_user_model().objects.get(username="newcomer").is_active

    page.goto(link_in(mailoutbox[0]))
    page.get_by_text("Your e-mail address is verified. Welcome, newcomer.").wait_for()
    assert page.get_by_role("link", name="newcomer").count() == 1  # logged in
    page.goto(link_in(mailoutbox[0]))
    assert "not valid" in page.locator("h1").inner_text()  # a link works once
    assert page.console.unexpected(allowed_statuses=(400,)) == []


def test_password_reset_end_to_end(page, db, mailoutbox):
    make_user("forgetful", password="the-old-password-1", email="forgetful@example.org")
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.fill("input[name=email]", "forgetful@example.org")
    shoot(page, "password-reset")
    page.get_by_role("button", name="Send the link").click()
    page.locator("#reset-sent").wait_for()

    page.goto(link_in(mailoutbox[0]))
    page.fill("input[name=new_password1]", "a-brand-new-password-2")
    page.fill("input[name=new_password2]", "a-brand-new-password-2")
    shoot(page, "password-reset-confirm")
    page.get_by_role("button", name="Set the password").click()
    page.locator("#reset-complete").wait_for()

    page.goto("/accounts/login/")
    page.fill("input[name=username]", "forgetful")
    page.fill("input[name=password]", "a-brand-new-password-2")
    shoot(page, "login")
    page.locator("main").get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="forgetful").wait_for()
    assert page.console.unexpected(allowed_statuses=(404,)) == []


def test_account_pages_share_the_site_style(page, db):
    """The same stylesheet rules on the site's pages and the account pages: the top bar,
    the cards, the buttons."""

    def look(path: str) -> dict:
        page.goto(path)
        return page.evaluate(
            """() => {
              const style = (selector) => {
                const found = document.querySelector(selector);
                if (!found) return null;
                const s = getComputedStyle(found);
                return [s.backgroundColor, s.borderRadius, s.fontFamily].join(" | ");
              };
              return { bar: style(".topbar"), card: style("main .card"), button: style("main button") };
            }"""
        )

    site_look = look("/accounts/login/")
    for path in ("/accounts/signup/", "/accounts/password_reset/"):
        assert look(path) == site_look, path
    assert site_look["card"] and site_look["button"]


# -- drop zones ---------------------------------------------------------------------------


def drop_zone_box(page) -> dict:
    return page.evaluate(
        """() => {
          const zone = document.querySelector(".dropzone");
          const box = zone.getBoundingClientRect();
          const inside = [...zone.querySelectorAll("input, .chosen")].map((el) => el.getBoundingClientRect())
            .every((r) => r.left >= box.left && r.right <= box.right && r.top >= box.top && r.bottom <= box.bottom);
          const form = zone.closest("form").getBoundingClientRect();
          return { display: getComputedStyle(zone).display, inside, height: box.height,
                   within_form: box.left >= form.left && box.right <= form.right };
        }"""
    )


@pytest.mark.parametrize("width", [390, 1280])
def test_drop_zones_draw_their_border_round_their_contents(browser, site, live_server, width):
    organiser = make_user("chief", is_staff=True)
    context = browser.new_context(
        viewport={"width": width, "height": 900}, base_url=live_server.url
    )
    page = context.new_page()
    for user, path, name in (
        (site.alice, "/c/tiny-higgs/submit/main/", "submit"),
        (organiser, "/organise/bundle/", "bundle"),
    ):
        log_in(page, live_server.url, user)
        page.goto(path)
        box = drop_zone_box(page)
        assert box == {**box, "display": "block", "inside": True, "within_form": True}, name
        assert box["height"] > 60
        shoot(page, f"dropzone-{name}")
    context.close()


# -- a code submission's run report -------------------------------------------------------

RUN_REPORT = {
    "status": "ok",
    "reason": "",
    "per_event_seconds": {"event000001000": 0.8, "event000001001": 1.25, "event000001002": 0.95},
    "per_event_cpu_seconds": {},
    "mean_seconds": 1.0,
    "median_seconds": 0.95,
    "stage_seconds": {"start": 0.4, "setup": 3.25, "warmup": 1.1},
    "peak_memory_mb": 812.4,
    "log_tail": "",
    "n_events": 3,
    "confined": True,
}


def test_a_code_submission_shows_its_run_report(page, site, live_server):
    change_phase(site.phase, metric="throughput", kind=Phase.CODE)
    scores, diags = toy_diagnostics("throughput", seconds_per_event=1.0)
    submission = add_entry(
        site.phase,
        make_team(site.challenge, "coders", members=[site.alice]),
        scores["public"]["score"],
        diagnostics=diags,
        details={"accuracy": diags["public"]["accuracy"], "seconds_per_event": 1.0, "events": 3},
    )
    Submission.objects.filter(pk=submission.pk).update(run_report=RUN_REPORT)
    log_in(page, live_server.url, site.alice)
    page.goto(f"/s/{submission.uid}/")
    report = page.locator("#run-report")
    assert page.locator("#run-setup").inner_text() == "3.25 s (launch to the model ready)"
    assert page.locator("#run-memory").inner_text() == "812 MiB"
    assert page.locator("#run-confinement").inner_text().startswith("confined: bubblewrap")
    assert "mean 1.000 s, median 0.950 s" in report.inner_text()
    report.locator(".run-chart .plot .main-svg").first.wait_for()
    bars = page.evaluate("() => document.querySelector('.run-chart [data-chart]').data[0]")
    assert bars["x"] == ["1000", "1001", "1002"] and bars["y"] == [0.8, 1.25, 0.95]
    # score figures: integers as integers, time with its unit
    figures = page.locator("#scores td.figures").first.inner_text()
    assert "time: 1 s/event" in figures and "events: 3" in figures and "3.0" not in figures
    shoot(page, "run-report")
    assert page.console.unexpected() == []


def test_the_history_follows_the_status_while_the_page_is_open(page, site, live_server, eager):
    submission = Submission.objects.create(
        phase=site.phase,
        team=make_team(site.challenge, "waiters", members=[site.alice]),
        user=site.alice,
        file="submissions/x.csv",
        original_name="x.csv",
    )
    lifecycle.transition(submission, Submission.QUEUED)
    lifecycle.transition(submission, Submission.RUNNING, "attempt 1")
    log_in(page, live_server.url, site.alice)
    page.goto(f"/s/{submission.uid}/")
    assert page.locator("#history .status").all_inner_texts() == ["queued", "running"]
    lifecycle.transition(submission, Submission.SCORING)
    page.locator("#history .status.scoring").wait_for()  # no reload: the poll redraws it
    assert page.locator("#history .status").all_inner_texts() == ["queued", "running", "scoring"]
    assert page.locator("#status-badge").inner_text() == "scoring"
    shoot(page, "submission-history")


# -- the leaderboard and score details ----------------------------------------------------


def test_leaderboard_entries_count_scored_submissions_and_baselines_are_named_once(
    page, site, live_server
):
    steady = make_team(site.challenge, "steady")
    add_entry(site.phase, steady, 2.0, at=T0)
    add_entry(site.phase, steady, 2.5, at=T0 + timedelta(hours=1))
    add_entry(site.phase, steady, None, status=Submission.FAILED, scored=False)
    add_entry(
        site.phase, make_team(site.challenge, "unlucky"), status=Submission.FAILED, scored=False
    )
    add_entry(site.phase, make_team(site.challenge, "Baseline: XGBoost", benchmark=True), 1.5)
    page.goto("/c/tiny-higgs/leaderboard/main/")
    rows = [r.split("\t") for r in page.locator("#leaderboard tbody tr").all_inner_texts()]
    assert [(cells[1], cells[-2]) for cells in rows] == [
        ("steady", "2"),
        ("Baseline: XGBoost", "1"),
    ]
    page.locator("#leaderboard-charts .plot .main-svg").first.wait_for()
    legend = page.evaluate(
        "() => document.querySelector('#leaderboard-charts [data-chart]').data.map((t) => t.name)"
    )
    assert "Baseline: XGBoost" in legend and not any("(baseline)" in t for t in legend)
    assert axis_titles(page) == {
        "best score over time": ["upload time", "Approximate median significance (AMS)"]
    }
    shoot(page, "leaderboard-entries")
    assert page.console.unexpected() == []


def axis_titles(page) -> dict[str, list[str]]:
    """Each drawn 2D chart's x and y axis titles."""
    page.wait_for_function(
        "document.querySelectorAll('[data-chart].plot:not(.js-plotly-plot)').length === 0"
    )
    return page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('[data-chart].js-plotly-plot')]
             .filter((c) => c.layout.xaxis && !c.layout.scene)
             .map((c) => [c.dataset.chart, [c.layout.xaxis.title.text, c.layout.yaxis.title.text]]))"""
    )


def test_every_chart_axis_is_titled_in_words(page, site, live_server):
    change_phase(site.phase, metric="trackml")
    scores, diags = toy_diagnostics("trackml")
    submission = add_entry(
        site.phase,
        make_team(site.challenge, "trackers"),
        scores["public"]["score"],
        diagnostics=diags,
    )
    log_in(page, live_server.url, site.organiser)
    page.goto(f"/s/{submission.uid}/")
    titles = axis_titles(page)
    assert set(titles) == {"per-event accuracy", "efficiency against pT", "efficiency against eta"}
    for chart, (x, y) in titles.items():
        for title in (x, y):
            words = re.findall(r"[A-Za-z]{4,}", title)
            assert words, f"{chart}: axis title {title!r} has no word"
    assert titles["efficiency against pT"][0] == "transverse momentum pT [GeV], log scale"
    shoot(page, "submission-axes")


def test_every_challenge_page_has_the_challenge_tabs(page, site, live_server):
    submission = add_entry(site.phase, make_team(site.challenge, "tabs", members=[site.alice]), 1.0)
    log_in(page, live_server.url, site.alice)
    for path in (
        "/c/tiny-higgs/",
        "/c/tiny-higgs/p/data/",
        "/c/tiny-higgs/leaderboard/main/",
        "/c/tiny-higgs/submit/main/",
        "/c/tiny-higgs/submissions/",
        "/c/tiny-higgs/team/",
        f"/s/{submission.uid}/",
    ):
        page.goto(path)
        tabs = page.locator("nav.tabs a").all_inner_texts()
        assert tabs[:3] == ["Overview", "Data", "Evaluation"], path
        assert "Leaderboard: Main" in tabs and "Team" in tabs, path


# -- the team page ------------------------------------------------------------------------


def test_after_joining_the_team_page_shows_the_team_and_its_actions_only(page, site, live_server):
    team = make_team(site.challenge, "Muon Hunters", members=[site.bob])
    log_in(page, live_server.url, site.alice)
    page.goto("/c/tiny-higgs/team/")
    shoot(page, "team-none")
    page.fill("input[name=code]", team.invite_code)
    page.get_by_role("button", name="Join").click()
    page.get_by_text("You joined Muon Hunters.").wait_for()
    assert page.locator("#create-team, #join-team").count() == 0
    assert page.locator("main form button").all_inner_texts() == ["Leave team"]
    shoot(page, "team-joined")
    add_entry(site.phase, team, 1.0)
    page.reload()
    assert page.locator("main form").count() == 0  # leaving would be refused: not offered
    assert page.locator("#team-stays").is_visible()
    shoot(page, "team-with-submissions")


# -- the API root -------------------------------------------------------------------------


def test_the_api_root_answers_a_browser_with_its_links(page, db):
    reply = page.goto("/api/")
    assert reply.status == 200
    text = page.locator("body").inner_text()
    assert "/api/docs/" in text and "/api/challenges/" in text
    shoot(page, "api-root")
    page.locator('a[href$="/api/docs/"]').first.click()
    page.wait_for_url("**/api/docs/")


# -- the data page ------------------------------------------------------------------------


def test_the_data_page_copies_a_full_checksum_and_offers_sha256sums(page, site, live_server):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto("/c/tiny-higgs/p/data/")
    data_file = site.challenge.files.get(name="test.csv")
    assert page.locator("#files code.copyable").first.inner_text() == data_file.sha256
    page.get_by_role("button", name="copy the SHA-256 of test.csv").click()
    assert page.evaluate("navigator.clipboard.readText()") == data_file.sha256
    shoot(page, "data")
    with page.expect_download() as download:
        page.get_by_role("link", name="SHA256SUMS").click()
    assert download.value.suggested_filename == "SHA256SUMS"
    assert f"{data_file.sha256}  test.csv" in open(download.value.path()).read()


# -- clearer errors -----------------------------------------------------------------------


def test_upload_errors_say_what_is_wrong(page, site, live_server):
    log_in(page, live_server.url, site.alice)
    page.goto("/c/tiny-higgs/submit/main/")
    page.set_input_files(
        "input[name=file]",
        files=[
            {
                "name": "mine.zip",
                "mimeType": "application/zip",
                "buffer": b"EventId,RankOrder,Class\n",
            }
        ],
    )
    page.get_by_role("button", name="Submit").click()
    assert "named .zip but is not a zip archive" in page.locator("#upload-error").inner_text()

    full = noisy_submission(site.solution).decode().splitlines()
    page.set_input_files(
        "input[name=file]",
        files=[
            {"name": "short.csv", "mimeType": "text/csv", "buffer": "\n".join(full[:-5]).encode()}
        ],
    )
    page.get_by_role("button", name="Submit").click()
    assert "5 rows are missing" in page.locator("#upload-error").inner_text()
    shoot(page, "upload-error")
    assert page.console.unexpected(allowed_statuses=(400,)) == []


def test_a_bundle_that_is_not_a_zip_says_so(page, db, live_server, tmp_path):
    log_in(page, live_server.url, make_user("chief", is_staff=True))
    page.goto("/organise/bundle/")
    page.set_input_files(
        "input[name=bundle]",
        files=[{"name": "bundle.zip", "mimeType": "application/zip", "buffer": b"plain text"}],
    )
    page.get_by_role("button", name="Load bundle").click()
    assert "not a zip file" in page.locator("#bundle-problems").inner_text()
    shoot(page, "bundle-error")

"""The pages of a phase scored by an organiser's program: its declared columns on the
leaderboard, in the CSV and on the submission page; the submission's detailed results in a
sandboxed frame served under a signed, expiring address; the programs' logs for organisers."""

from __future__ import annotations

import csv
import io
import json
import re
from html.parser import HTMLParser

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from fivesigma.challenges.web import detailed_results
from tests.builders.users import make_user
from tests.challenges.programs import png, program_phase, scored, store_detailed, team

# Two teams whose figures differ between the public and the private part. On the public part
# both have accuracy 0.8: the time breaks the tie (lower is better).
FAST = {"accuracy": 0.8, "time": 1.23456, "efficiency": 12.345}
SLOW = {"accuracy": 0.8, "time": 2.5, "efficiency": 40.04}
FAST_PRIVATE = {"accuracy": 0.71, "time": 1.1, "efficiency": 10.0}
SLOW_PRIVATE = {"accuracy": 0.905, "time": 2.4, "efficiency": 39.0}


class Tables(HTMLParser):
    """The cells' text of every table, by table id: [[header cells], [row cells], ...]; and
    every element's attributes, in order."""

    def __init__(self, html: str):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.elements: list[tuple[str, dict]] = []
        self._table = self._cell = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.elements.append((tag, attributes))
        if tag == "table":
            self._table = self.tables.setdefault(attributes.get("id", ""), [])
        elif tag == "tr" and self._table is not None:
            self._table.append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._table[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)

    def find(self, tag: str, **wanted) -> list[dict]:
        return [
            a
            for t, a in self.elements
            if t == tag and all(a.get(k.replace("_", "-")) == v for k, v in wanted.items())
        ]


@pytest.fixture
def people(db):
    return {
        "organiser": make_user("organiser"),
        "alice": make_user("alice"),
        "bob": make_user("bob"),
    }


@pytest.fixture
def phase(people):
    return program_phase(organiser=people["organiser"])


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def board(client, phase, subset="public") -> list[list[str]]:
    url = reverse("leaderboard", args=[phase.challenge.slug, phase.key]) + f"?subset={subset}"
    answer = client.get(url)
    assert answer.status_code == 200
    return Tables(answer.content.decode()).tables["leaderboard"]


def two_teams(phase):
    scored(phase, team(phase, "slow"), SLOW, SLOW_PRIVATE)
    scored(phase, team(phase, "fast"), FAST, FAST_PRIVATE)


def test_the_leaderboard_shows_every_declared_column_with_its_precision(client, phase):
    two_teams(phase)
    header, *rows = board(client, phase)
    assert header == ["#", "Team", "Accuracy ▼", "Time [s] 2", "Efficiency", "Entries", "Last"]
    # precision 2, 3 and 1 digits; equal accuracy, so the lower time ranks first
    assert [row[:5] for row in rows] == [
        ["1", "fast", "0.80", "1.235", "12.3"],
        ["2", "slow", "0.80", "2.500", "40.0"],
    ]


def test_the_ranking_column_is_marked_and_the_sentence_says_how_the_board_ranks(client, phase):
    two_teams(phase)
    page = client.get(reverse("leaderboard", args=[phase.challenge.slug, phase.key]))
    parsed = Tables(page.content.decode())
    headings = {a["data-column"]: a for a in parsed.find("th") if "data-column" in a}
    assert headings["accuracy"]["class"] == "num ranking"
    assert headings["accuracy"]["aria-sort"] == "descending"
    assert "aria-sort" not in headings["time"] and "ranking" not in headings["time"]["class"]
    assert headings["time"]["title"] == "breaks ties (2); lower is better"
    assert headings["efficiency"]["title"] == "higher is better"
    text = page.content.decode()
    assert (
        "Ranked by Accuracy (higher is better), ties broken by Time [s] (lower is better)." in text
    )
    assert "95% interval" not in text and "Intervals are 95% bootstrap" not in text


def test_public_board_has_public_figures_and_private_board_private_ones(people, phase):
    two_teams(phase)
    alice = logged_in(people["alice"])
    private_url = reverse("leaderboard", args=[phase.challenge.slug, phase.key])
    assert alice.get(private_url + "?subset=private").status_code == 403  # not before the end
    public = board(alice, phase)
    assert {row[1]: row[2] for row in public[1:]} == {"fast": "0.80", "slow": "0.80"}
    # the organisers see the private board before the end; everyone after it
    organiser_rows = board(logged_in(people["organiser"]), phase, "private")
    phase.end = phase.start
    phase.save()
    after_end = board(alice, phase, "private")
    for header, *rows in (organiser_rows, after_end):
        assert header[:4] == ["#", "Δ", "Team", "Accuracy ▼"]
        assert [row[:6] for row in rows] == [
            ["1", "▲1", "slow", "0.91", "2.400", "39.0"],  # 0.905 to two digits
            ["2", "▼1", "fast", "0.71", "1.100", "10.0"],
        ]


def test_a_phase_scored_by_a_metric_keeps_its_score_and_interval_columns(client, db):
    from tests.builders.challenges import bare_phase
    from tests.builders.submissions import add_entry
    from tests.builders.users import make_team

    metric_phase = bare_phase()
    add_entry(metric_phase, make_team(metric_phase.challenge, "team"), 2.0)
    header, row = board(client, metric_phase)
    assert header == ["#", "Team", "Score", "95% interval", "Entries", "Last"]
    assert row[:4] == ["1", "team", "2.00000", "1.900 – 2.100"]


def csv_rows(client, phase, subset="public") -> list[dict]:
    url = reverse("leaderboard-csv", args=[phase.challenge.slug, phase.key]) + f"?subset={subset}"
    return list(csv.DictReader(io.StringIO(client.get(url).content.decode())))


def test_the_csv_has_a_column_per_declared_column_in_full_precision(client, people, phase):
    two_teams(phase)
    rows = csv_rows(client, phase)
    assert list(rows[0]) == [
        "rank",
        "team",
        "benchmark",
        "score",
        "ci_low",
        "ci_high",
        "accuracy",
        "time",
        "efficiency",
        "entries",
        "last_submission",
    ]
    fast = rows[0]
    assert (fast["team"], fast["rank"]) == ("fast", "1")
    assert float(fast["score"]) == FAST["accuracy"] and fast["ci_low"] == ""
    assert {k: float(fast[k]) for k in FAST} == FAST
    private = {r["team"]: r for r in csv_rows(logged_in(people["organiser"]), phase, "private")}
    assert {k: float(private["slow"][k]) for k in SLOW_PRIVATE} == SLOW_PRIVATE


def test_an_undefined_figure_is_a_dash_on_the_page_and_empty_in_the_csv(client, phase):
    scored(phase, team(phase, "partial"), {"accuracy": 0.5}, {"accuracy": 0.4})
    header, row = board(client, phase)
    assert row[2:5] == ["0.50", "—", "—"]
    assert (csv_rows(client, phase)[0]["time"], csv_rows(client, phase)[0]["efficiency"]) == (
        "",
        "",
    )


def submission_page(client, submission):
    answer = client.get(reverse("submission", args=[submission.uid]))
    assert answer.status_code == 200
    return answer.content.decode()


def test_the_submission_page_shows_its_figures_per_column(people, phase):
    mine = team(phase, "mine", members=[people["alice"]])
    figures = {**FAST, "events": 200}  # a figure the bundle declares no column for
    submission = scored(phase, mine, figures, FAST_PRIVATE)
    page = submission_page(logged_in(people["alice"]), submission)
    header, *rows = Tables(page).tables["scores"]
    assert header == ["Subset", "Accuracy ▼", "Time [s] 2", "Efficiency", "Details"]
    assert rows == [["public", "0.80", "1.235", "12.3", "events: 200"]]  # private after the end
    organiser = Tables(submission_page(logged_in(people["organiser"]), submission))
    assert organiser.tables["scores"][2][:4] == ["private", "0.71", "1.100", "10.0"]


# ---- detailed results -------------------------------------------------------------------

HTML = b"""<!doctype html><html><head><title>Detailed</title></head><body>
<h1>Efficiency by momentum</h1><img src="plots/efficiency.png" alt="efficiency">
<script>parent.document.title = "owned"; document.cookie = "stolen=1";</script>
</body></html>"""


@pytest.fixture
def with_detailed(people, phase):
    """alice's submission with a detailed-results page, an image beside it and charts."""
    mine = team(phase, "mine", members=[people["alice"]])
    report = {
        "scoring": {"seconds": 1.5, "exit_code": 0, "timed_out": False, "log": "SECRET-LOG"},
    }
    submission = scored(phase, mine, FAST, FAST_PRIVATE, report=report)
    store_detailed(
        submission,
        {
            "detailed_results.html": HTML,
            "plots/efficiency.png": png(40, 20),
            "charts.json": json.dumps(
                [{"data": [{"x": [1, 2], "y": [3, 4], "type": "scatter"}], "layout": {}}]
            ).encode(),
            "model.bin": b"\x00\x01",
        },
    )
    return submission


def frame_src(page: str) -> str:
    (frame,) = Tables(page).find("iframe")
    return frame["src"]


def test_the_frame_is_sandboxed_and_points_to_a_signed_address(people, with_detailed):
    page = submission_page(logged_in(people["alice"]), with_detailed)
    (frame,) = Tables(page).find("iframe")
    assert frame["sandbox"] == ""  # every restriction: no allow-scripts, no allow-same-origin
    token, name = re.fullmatch(r"/detailed/([^/]+)/(.+)", frame["src"]).groups()
    assert name == "detailed_results.html"
    uid = signing.TimestampSigner(salt=detailed_results.SALT).unsign(token, max_age=3600)
    assert uid == str(with_detailed.uid)


def test_the_detailed_files_are_served_without_a_session_with_the_strict_policy(
    people, with_detailed
):
    src = frame_src(submission_page(logged_in(people["alice"]), with_detailed))
    for client in (Client(), logged_in(people["alice"])):  # no session needed, none read
        answer = client.get(src)
        assert answer.status_code == 200
        assert answer["Content-Type"] == "text/html; charset=utf-8"
        assert b"".join(answer.streaming_content) == HTML
        assert answer["X-Content-Type-Options"] == "nosniff"
        policy = answer["Content-Security-Policy"]
        assert "sandbox" in policy.split("; ") and "default-src 'none'" in policy
        assert "script-src" not in policy  # falls back to default-src 'none'
        assert not answer.cookies, "the detailed results set no cookie"
        assert "Cookie" not in answer.get("Vary", "")  # the session was not read
    image = Client().get(src.rsplit("/", 1)[0] + "/plots/efficiency.png")  # a relative link
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert b"".join(image.streaming_content) == png(40, 20)


def test_a_bad_or_expired_token_or_an_unlisted_name_is_not_found(
    people, phase, with_detailed, monkeypatch
):
    src = frame_src(submission_page(logged_in(people["alice"]), with_detailed))
    token = src.split("/")[2]
    prefix = f"/detailed/{token}/"
    # a file in the submission's storage folder that the program's report does not list
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    default_storage.save(f"detailed/{with_detailed.uid}/secret.html", ContentFile(b"private"))
    other = scored(phase, team(phase, "other"), SLOW, SLOW_PRIVATE)
    store_detailed(other, {"theirs.html": b"<p>theirs</p>"})
    signed_other = detailed_results.token(other)
    wrong_salt = signing.TimestampSigner(salt="another").sign(str(with_detailed.uid))
    for url in [
        prefix + "secret.html",  # not listed
        prefix + "model.bin",  # listed, but not a type that is served
        prefix + "theirs.html",  # another submission's file
        prefix + "../" + "detailed_results.html",
        f"/detailed/{token[:-2]}xx/detailed_results.html",  # tampered
        f"/detailed/{wrong_salt}/detailed_results.html",
        f"/detailed/{with_detailed.uid}/detailed_results.html",  # unsigned
    ]:
        answer = Client().get(url)
        assert answer.status_code == 404, url
        assert not answer.cookies
    assert Client().get(f"/detailed/{signed_other}/theirs.html").status_code == 200
    assert Client().post(prefix + "detailed_results.html").status_code == 405

    later = signing.time.time() + detailed_results.TOKEN_SECONDS + 5
    monkeypatch.setattr(signing.time, "time", lambda: later)
    assert Client().get(prefix + "detailed_results.html").status_code == 404  # expired


def test_only_who_may_see_the_submission_sees_its_detailed_results(people, with_detailed):
    url = reverse("submission", args=[with_detailed.uid])
    assert logged_in(people["bob"]).get(url).status_code == 404
    assert Client().get(url).status_code == 404
    organiser = submission_page(logged_in(people["organiser"]), with_detailed)
    assert Tables(organiser).find("iframe", id="detailed-frame")


def test_the_charts_json_goes_to_the_sites_script_as_checked_figures(people, with_detailed):
    page = submission_page(logged_in(people["alice"]), with_detailed)
    found = re.search(r'<script id="detailed-charts" type="application/json">(.*?)</script>', page)
    assert json.loads(found.group(1)) == [
        {"data": [{"x": [1, 2], "y": [3, 4], "type": "scatter"}], "layout": {}}
    ]
    assert Tables(page).find("div", id="program-charts", data_source="detailed-charts")
    # the organiser's file is data for the site's script: no frame or link serves it
    assert "charts.json</a>" not in page


@pytest.mark.parametrize(
    "content, reason",
    [
        (b"{not json", "is not valid JSON"),
        (b'{"data": []}', "must be a list of figures, found a dict"),
        (b'[{"data": "x"}]', "charts.json[0].data must be a list of trace objects"),
        (b'[{"data": [], "layout": [1]}]', "charts.json[0].layout must be an object"),
        (b"[1]", "charts.json[0] must be an object"),
        (json.dumps([{"data": []}] * 25).encode(), "has 25 figures; at most 24"),
        (b"[" + b" " * (2 * 1024 * 1024) + b"]", "larger than 2 MiB"),
    ],
)
def test_a_charts_json_that_is_not_a_list_of_figures_gives_a_note(people, phase, content, reason):
    mine = team(phase, "mine", members=[people["alice"]])
    submission = scored(phase, mine, FAST, FAST_PRIVATE)
    store_detailed(submission, {"charts.json": content})
    page = submission_page(logged_in(people["alice"]), submission)
    assert 'id="detailed-charts"' not in page and 'id="program-charts"' not in page
    note = re.search(r'<p class="muted plot-note" id="charts-note">(.*?)</p>', page, re.S)
    assert reason in note.group(1)


def test_the_program_log_is_for_organisers_and_staff_never_for_participants(people, with_detailed):
    participant = submission_page(logged_in(people["alice"]), with_detailed)
    assert "SECRET-LOG" not in participant and 'id="program-runs"' not in participant
    staff = make_user("staff", is_staff=True)
    for viewer in (people["organiser"], staff):
        page = submission_page(logged_in(viewer), with_detailed)
        assert re.search(
            r'<pre class="program-log" id="program-log-scoring">SECRET-LOG</pre>', page
        )
        assert "exit code 0" in page and "1.50 s" in page


def test_a_failed_program_run_shows_the_reason_to_all_and_the_log_to_organisers(people, phase):
    from fivesigma.challenges.models import Submission

    mine = team(phase, "mine", members=[people["alice"]])
    submission = Submission.objects.create(
        phase=phase,
        team=mine,
        file="submissions/x.csv",
        original_name="x.csv",
        status=Submission.FAILED,
        reason="scoring program failed",
        run_report={
            "program": {
                "scoring": {
                    "seconds": 600.0,
                    "exit_code": None,
                    "timed_out": True,
                    "log": "Traceback <b>in score.py</b>",
                },
                "detailed": [],
            }
        },
    )
    participant = submission_page(logged_in(people["alice"]), submission)
    assert "scoring program failed" in participant and "Traceback" not in participant
    assert 'id="run-report"' not in participant  # no runner report: a result file
    organiser = submission_page(logged_in(people["organiser"]), submission)
    assert "ended at its time limit" in organiser
    assert "Traceback &lt;b&gt;in score.py&lt;/b&gt;" in organiser  # escaped, never markup
    assert 'id="detailed-results"' not in organiser  # no files: no section


def test_ingestion_timings_are_shown_labelled_as_self_reported(people, phase):
    mine = team(phase, "mine", members=[people["alice"]])
    report = {
        "ingestion": {
            "seconds": 3.0,
            "exit_code": 0,
            "timed_out": False,
            "log": "ingestion log",
            "self_reported": {"event000": 0.25, "event001": 0.5},
        }
    }
    submission = scored(phase, mine, FAST, FAST_PRIVATE, report=report)
    page = submission_page(logged_in(people["alice"]), submission)
    assert "Self-reported by the organisers" in page
    assert "<dt>event000</dt><dd>0.250 s</dd>" in page
    assert "ingestion log" not in page

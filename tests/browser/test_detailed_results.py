"""A program-scored phase in Chromium: the submission's detailed results (the organiser's
HTML in its sandboxed frame with the image beside it; the script inside it does not run: the
parent page's title and cookies stay as they were, the frame's own text too; charts.json
drawn by the site's own script) and the leaderboard's declared columns. Screenshots of both
pages are kept."""

from __future__ import annotations

import json

import pytest

from tests.browser.conftest import log_in, shoot
from tests.builders.users import make_user
from tests.challenges.programs import png, program_phase, scored, store_detailed, team

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# What an organiser's page could try: rename the site's page, set a cookie, rewrite itself,
# and call home. None of it may happen.
HOSTILE = b"""<!doctype html><html><head><title>Detailed</title>
<style>body { font-family: sans-serif; } h1 { color: #0b5cad; }</style></head><body>
<h1 id="heading">Efficiency by momentum</h1>
<p>Measured on the public part.</p>
<img id="plot" src="plots/efficiency.png" alt="efficiency" width="40" height="20">
<img id="inline" src="data:image/png;base64,iVBORw0KGgo=" alt="">
<script>
  document.getElementById("heading").textContent = "script ran";
  document.cookie = "stolen=1; path=/";
  try { parent.document.title = "owned"; } catch (e) {}
  try { top.document.cookie = "stolen-top=1; path=/"; } catch (e) {}
</script>
<img src="x" onerror="document.title='owned by onerror'; parent.document.title='owned'">
</body></html>"""

CHARTS = [
    {
        "data": [{"x": [10, 20, 40, 80], "y": [0.62, 0.81, 0.9, 0.93], "type": "scatter"}],
        "layout": {"title": {"text": "Efficiency against pT"}, "xaxis": {"title": {"text": "pT"}}},
    }
]


def test_the_detailed_results_show_and_their_script_does_not_run(page, db, live_server):
    alice = make_user("alice-detailed")
    phase = program_phase()
    submission = scored(
        phase,
        team(phase, "mine", members=[alice]),
        {"accuracy": 0.8123, "time": 1.5, "efficiency": 91.25},
        {"accuracy": 0.8, "time": 1.4},
    )
    store_detailed(
        submission,
        {
            "detailed_results.html": HOSTILE,
            "plots/efficiency.png": png(40, 20),
            "charts.json": json.dumps(CHARTS).encode(),
        },
    )
    served = []
    page.on("response", lambda r: served.append((r.url.rsplit("/", 1)[-1], r.status)))
    log_in(page, live_server.url, alice)
    page.goto(submission.get_absolute_url())
    title = page.title()
    assert title.startswith("Submission · ")

    frame = page.frame_locator("#detailed-frame")
    frame.locator("#heading").wait_for()
    assert frame.locator("#heading").inner_text() == "Efficiency by momentum"  # script blocked
    box = frame.locator("#plot").bounding_box()
    assert (box["width"], box["height"]) == (40, 20)
    assert ("efficiency.png", 200) in served  # the relative link, under the same token
    page.locator("#program-charts .js-plotly-plot").wait_for()
    assert "Efficiency against pT" in page.locator("#program-charts").inner_text()
    shoot(page, "submission-detailed-results")

    assert page.title() == title
    names = {cookie["name"] for cookie in page.context.cookies()}
    assert not names & {"stolen", "stolen-top"}
    blocked = [e for e in page.console.unexpected() if "sandboxed" not in e]
    assert blocked == [], blocked  # the only errors: the frame's scripts refused


def test_the_leaderboard_shows_the_declared_columns(page, db, live_server):
    phase = program_phase()
    scored(phase, team(phase, "Muon Hunters"), {"accuracy": 0.9, "time": 2.0}, {})
    scored(phase, team(phase, "Tau Finders"), {"accuracy": 0.9, "time": 1.25, "efficiency": 97}, {})
    page.goto(f"/c/{phase.challenge.slug}/leaderboard/{phase.key}/")
    headings = page.locator("#leaderboard thead th").all_inner_texts()
    assert headings[2:5] == ["Accuracy ▼", "Time [s] 2", "Efficiency"]
    first = page.locator("#leaderboard tbody tr").first.locator("td").all_inner_texts()
    assert first[1:5] == ["Tau Finders", "0.90", "1.250", "97.0"]
    shoot(page, "leaderboard-program-columns")
    assert page.console.unexpected() == []

"""The physics plots draw from the scoring package's real diagnostics, with no console error."""

from __future__ import annotations

import pytest

from fivesigma.challenges.models import Phase
from tests.browser.conftest import log_in, wait_for_charts
from tests.builders.submissions import add_entry
from tests.builders.trackml_files import toy_diagnostics
from tests.builders.users import make_team

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _change_phase(phase: Phase, **fields) -> None:
    Phase.objects.filter(pk=phase.pk).update(**fields)
    phase.refresh_from_db()


def _charts(page, source: str) -> dict[str, str]:
    """Chart name -> 'plot' when Plotly drew it, else the note left in its place."""
    page.locator(f".diagnostics[data-source={source}] [data-chart]").first.wait_for()
    wait_for_charts(page)
    drawn = {}
    for chart in page.locator(f".diagnostics[data-source={source}] [data-chart]").all():
        name = chart.get_attribute("data-chart")
        drawn[name] = "plot" if chart.locator(".main-svg, canvas").count() else chart.inner_text()
    return drawn


def _webgl(page) -> bool:
    return page.evaluate(
        "() => { const c = document.createElement('canvas'); return Boolean(c.getContext('webgl2') || c.getContext('webgl')); }"
    )


def test_trackml_submission_shows_accuracy_efficiency_and_event_display(page, site, live_server):
    _change_phase(site.phase, metric="trackml")
    scores, diags = toy_diagnostics("trackml")
    submission = add_entry(
        site.phase,
        make_team(site.challenge, "trackers"),
        scores["public"]["score"],
        scores["private"]["score"],
        diagnostics=diags,
    )
    log_in(page, live_server.url, site.organiser)
    page.goto(f"/s/{submission.uid}/")
    for source in ("public", "private"):
        drawn = _charts(page, source)
        assert set(drawn) == {
            "per-event accuracy",
            "efficiency against pT",
            "efficiency against eta",
            "event display",
        }
        assert (
            drawn["per-event accuracy"]
            == drawn["efficiency against pT"]
            == drawn["efficiency against eta"]
            == "plot"
        )
        if _webgl(page):
            assert drawn["event display"] == "plot"
        else:
            assert "needs WebGL" in drawn["event display"]
    bars = page.evaluate(
        "() => document.querySelector('.diagnostics[data-source=private] [data-chart=\"per-event accuracy\"]').data[0].x"
    )
    assert bars == ["2", "3"]  # the private events of the toy solution
    assert page.console.unexpected() == []


def test_throughput_submission_and_leaderboard_show_accuracy_against_speed(page, site, live_server):
    _change_phase(site.phase, metric="throughput", kind=Phase.CODE)
    scores, diags = toy_diagnostics("throughput", seconds_per_event=2.0)
    submission = add_entry(
        site.phase,
        make_team(site.challenge, "trackers"),
        scores["public"]["score"],
        diagnostics=diags,
        details={"accuracy": diags["public"]["accuracy"], "seconds_per_event": 2.0},
    )
    quick, dominated = make_team(site.challenge, "quick"), make_team(site.challenge, "dominated")
    add_entry(site.phase, quick, 0.6, details={"accuracy": 0.7, "seconds_per_event": 0.05})
    add_entry(site.phase, dominated, 0.2, details={"accuracy": 0.6, "seconds_per_event": 30.0})
    log_in(page, live_server.url, site.organiser)
    page.goto(f"/s/{submission.uid}/")
    assert _charts(page, "public") == {
        "accuracy against speed": "plot",
        "per-event accuracy": "plot",
    }

    page.goto("/c/tiny-higgs/leaderboard/main/")
    speed = page.locator('#leaderboard-charts [data-chart="accuracy against speed"]')
    speed.locator(".main-svg").first.wait_for()
    front = page.evaluate(
        "() => document.querySelector('#leaderboard-charts [data-chart=\"accuracy against speed\"]').data"
        ".filter(t => t.name === 'Pareto front')[0].x"
    )
    assert front == [0.05, 2.0]  # "dominated" is slower and less accurate than "trackers"
    assert page.console.unexpected() == []


def test_missing_diagnostics_leave_a_note_not_an_error(page, site, live_server):
    sparse = make_team(site.challenge, "sparse")
    submission = add_entry(site.phase, sparse, 1.0, diagnostics={"public": {"events": 10}})
    log_in(page, live_server.url, site.organiser)
    page.goto(f"/s/{submission.uid}/")
    drawn = _charts(page, "public")
    assert drawn == {
        "AMS curve": "No AMS curve in this score.",
        "ROC": "No ROC curve in this score.",
    }
    assert page.console.unexpected() == []

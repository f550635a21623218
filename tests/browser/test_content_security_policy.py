"""Every page of the site under its Content-Security-Policy, in Chromium: the policy arrives
with each page, and no page trips it (no inline script, no script or style from elsewhere;
plotly's charts are drawn). A violation is caught from the browser's own
``securitypolicyviolation`` event as well as from the console."""

from __future__ import annotations

import pytest

from tests.browser.conftest import log_in, wait_for_charts
from tests.browser.test_layout import _pages

pytestmark = [pytest.mark.browser, pytest.mark.slow]

RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
                           + ` at ${event.sourceFile}:${event.lineNumber}`);
});
"""


def visit(page, path: str) -> tuple[str, list[str], int]:
    """The page's policy, the violations it reported, and how many charts Plotly drew."""
    response = page.goto(path)
    assert response.status == 200, f"{path}: {response.status}"
    page.wait_for_load_state("networkidle")
    wait_for_charts(page)
    policy = response.headers.get("content-security-policy", "")
    return policy, page.evaluate("window.__violations"), page.locator(".js-plotly-plot").count()


def test_no_page_breaks_under_the_policy(page, site, live_server, tmp_path, eager):
    pages = _pages(site, tmp_path)
    page.add_init_script(RECORD_VIOLATIONS)
    anonymous = {"login": "/accounts/login/", "signup": "/accounts/signup/", "home": "/"}
    site.organiser.is_staff = site.organiser.is_superuser = True
    site.organiser.save()
    organiser_pages = {
        "dashboard": "/organise/",
        "bundle upload": "/organise/bundle/",
        "api docs": "/api/docs/",
        "api browsable": "/api/challenges/",
        "admin": "/admin/",
        "admin users": "/admin/auth/user/",
        "admin user": f"/admin/auth/user/{site.alice.pk}/change/",
    }
    seen = {}
    for name, path in anonymous.items():
        seen[name] = visit(page, path)
    log_in(page, live_server.url, site.alice)
    for name, path in pages.items():
        seen[name] = visit(page, path)
    log_in(page, live_server.url, site.organiser)
    for name, path in organiser_pages.items():
        seen[name] = visit(page, path)

    assert seen["leaderboard"][2] > 0 and seen["submission-higgs"][2] > 0, "plotly drew nothing"
    for name, (policy, violations, _) in seen.items():
        assert "script-src 'self'" in policy, f"{name}: policy {policy!r}"
        assert "frame-ancestors 'none'" in policy, name
        assert violations == [], f"{name}: {violations}"
    assert page.console.unexpected() == []


def test_the_policy_blocks_an_inline_script(page, live_server, db):
    """The check above could not fail if the policy let everything through: an inline
    script injected into a page of the site is refused and reported."""
    page.add_init_script(RECORD_VIOLATIONS)
    page.goto("/accounts/login/")
    page.evaluate(
        """() => { const s = document.createElement("script");
                   s.textContent = "window.__ran = true"; document.body.append(s); }"""
    )
    page.wait_for_timeout(200)
    assert page.evaluate("window.__ran === undefined")
    assert any("script-src" in v for v in page.evaluate("window.__violations"))

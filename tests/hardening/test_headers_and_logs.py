"""The Content-Security-Policy of the site's responses and of untrusted HTML, and refusals
(403, 400) logged as one line while server errors keep their traceback."""

from __future__ import annotations

import io
import logging

import pytest
from django.http import HttpResponse
from django.test import Client, RequestFactory

from fivesigma.security import ContentSecurityPolicyMiddleware, untrusted_html
from tests.builders.users import make_user


def directives(value: str) -> dict[str, list[str]]:
    parsed = {}
    for part in value.split(";"):
        name, *sources = part.split()
        parsed[name] = sources
    return parsed


@pytest.mark.parametrize(
    "path", ["/", "/accounts/login/", "/api/challenges/", "/api/docs/", "/no-such-page/"]
)
def test_every_response_carries_the_site_policy(db, path):
    policy = directives(Client().get(path)["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no inline script, no other site
    assert policy["frame-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]


def test_untrusted_html_gets_a_sandboxed_policy_and_may_be_framed_by_the_site_only():
    @untrusted_html
    def detailed_results(request):
        return HttpResponse("<h1>organiser's html</h1><script>alert(1)</script>")

    response = ContentSecurityPolicyMiddleware(detailed_results)(RequestFactory().get("/x/"))
    policy = directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'none'"]  # no script, no request anywhere
    assert "sandbox" in policy and policy["sandbox"] == []  # a unique origin: no cookies
    assert policy["frame-ancestors"] == ["'self'"]
    assert response["X-Frame-Options"] == "SAMEORIGIN"


@pytest.fixture
def console():
    """What the site's console handler writes during the test."""
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    before, handler.stream = handler.stream, io.StringIO()
    yield handler.stream
    handler.stream = before


def test_a_permission_denied_page_is_logged_as_one_line(db, console):
    client = Client()
    client.force_login(make_user("mallory"))
    assert client.post("/organise/bundle/").status_code == 403
    written = console.getvalue()
    assert "Forbidden (Permission denied): /organise/bundle/" in written
    assert "Traceback" not in written and "PermissionDenied" not in written


def test_csrf_failures_and_api_refusals_are_one_line(db, console):
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("mallory"))
    assert client.post("/accounts/profile/", {"action": "new-token"}).status_code == 403
    assert Client().post("/api/token/", {"username": "x", "password": "y"}).status_code == 400
    lines = [line for line in console.getvalue().splitlines() if line.strip()]
    assert any(line.startswith("Forbidden (CSRF") for line in lines), lines
    assert any(line.startswith("Bad Request: /api/token/") for line in lines), lines
    assert "Traceback" not in console.getvalue()


def test_a_server_error_keeps_its_traceback(console):
    try:
        raise RuntimeError("a bug")
    except RuntimeError:
        logging.getLogger("django.request").error(
            "Internal Server Error: /x/", exc_info=True, extra={"status_code": 500}
        )
    assert "Traceback" in console.getvalue() and "RuntimeError: a bug" in console.getvalue()

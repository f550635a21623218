"""Site-wide HTTP protections that are not Django's own: the Content-Security-Policy of every
response, the stricter policy of untrusted HTML (organisers' detailed results), and client
errors logged as one line.

The site's policy (``settings.FIVESIGMA_CSP``) allows scripts and styles from this site only
(plotly is served from its static files), inline styles (the pages and plotly use them),
frames from this site (the detailed-results frame on a submission page), no plugins, no
``<base>``, forms posting to this site only, and no framing by other sites.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps

from django.conf import settings

HEADER = "Content-Security-Policy"

# Organisers' HTML, shown in a sandboxed frame of a submission page: no script, no request
# to anywhere else (images from this site, i.e. the page's own files beside it, or inline;
# styles inline only), no form, a unique origin (``sandbox``), and framed by this site's
# pages only.
UNTRUSTED_HTML_POLICY = {
    "default-src": ["'none'"],
    "style-src": ["'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["data:"],
    "form-action": ["'none'"],
    "base-uri": ["'none'"],
    "frame-ancestors": ["'self'"],
    "sandbox": [],
}


def header_value(policy: dict[str, list[str]]) -> str:
    """``{"default-src": ["'self'"], "sandbox": []}`` -> ``"default-src 'self'; sandbox"``."""
    return "; ".join(" ".join([directive, *sources]) for directive, sources in policy.items())


class ContentSecurityPolicyMiddleware:
    """Give every response the site's policy, unless its view set a policy of its own."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.value = header_value(settings.FIVESIGMA_CSP)

    def __call__(self, request):
        response = self.get_response(request)
        if HEADER not in response:
            response[HEADER] = self.value
        return response


def untrusted_html(view: Callable) -> Callable:
    """For a view that serves HTML written by someone else (an organiser's detailed results):
    its response gets ``UNTRUSTED_HTML_POLICY`` instead of the site's policy, and may be
    framed by this site's own pages (``X-Frame-Options: SAMEORIGIN`` instead of ``DENY``)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response[HEADER] = header_value(UNTRUSTED_HTML_POLICY)
        response["X-Frame-Options"] = "SAMEORIGIN"
        return response

    return wrapped


class ClientErrorsOnOneLine(logging.Filter):
    """Django logs a ``PermissionDenied`` or ``BadRequest`` raised by a view, and any
    ``SuspiciousOperation``, with the exception's traceback: a refusal of the client's
    request is the site working, so these records keep their one-line message and lose the
    traceback. Server errors (5xx) keep theirs."""

    def filter(self, record: logging.LogRecord) -> bool:
        client_error = (
            record.name == "django.request" and 400 <= getattr(record, "status_code", 500) < 500
        )
        if client_error or record.name.startswith("django.security."):
            record.exc_info = None
            record.exc_text = None
        return True

"""Where a page sends the browser after a form: only ever to a path of this site."""

from __future__ import annotations

from django.utils.http import url_has_allowed_host_and_scheme


def next_or(request, fallback: str) -> str:
    """The ``next`` of the form or query when it is a path of this site, else ``fallback``
    (a ``next`` pointing to another site is ignored, so no link can bounce users away)."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return fallback

"""How often the API may be called: uploads and password attempts."""

from __future__ import annotations

from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle


class UploadThrottle(ScopedRateThrottle):
    """The ``upload`` rate of the settings, applied to POST only (reading stays unthrottled)."""

    def allow_request(self, request, view) -> bool:
        if request.method != "POST":
            return True
        return super().allow_request(request, view)


class LoginThrottle(AnonRateThrottle):
    """Password attempts for a token: 10 a minute per address."""

    scope = "login"
    rate = "10/min"

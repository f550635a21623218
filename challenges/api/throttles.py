"""How often the API may be called: uploads and password attempts."""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle

from fivesigma.challenges.password_attempts import PasswordAttempts


class UploadThrottle(ScopedRateThrottle):
    """The ``upload`` rate of the settings, applied to POST only (reading stays unthrottled)."""

    def allow_request(self, request, view) -> bool:
        if request.method != "POST":
            return True
        return super().allow_request(request, view)


class LoginThrottle(AnonRateThrottle):
    """Password attempts for a token: 10 a minute per address (the connection's, or the one
    written by the trusted proxies: ``NUM_PROXIES``), and none once the account or the
    address has used up its failed attempts (``password_attempts``)."""

    scope = "login"
    rate = "10/min"
    wait_s: float | None = None  # seconds to wait when the account or address is locked out

    def allow_request(self, request, view) -> bool:
        username = request.data.get("username") if hasattr(request.data, "get") else None
        if isinstance(username, str) and PasswordAttempts(request, username).refused():
            self.wait_s = float(settings.FIVESIGMA_LOGIN_WINDOW_S)
            return False
        self.wait_s = None
        return super().allow_request(request, view)

    def wait(self):
        return self.wait_s if self.wait_s is not None else super().wait()

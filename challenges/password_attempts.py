"""Failed password attempts, counted per account and per client address, for every way in:
the login page, the admin's login and the API's token endpoint all authenticate through
``ThrottledModelBackend``.

Past ``FIVESIGMA_LOGIN_FAILURES_PER_ACCOUNT`` failures for one username, or
``FIVESIGMA_LOGIN_FAILURES_PER_ADDRESS`` from one address, within ``FIVESIGMA_LOGIN_WINDOW_S``
seconds of the first of them, every attempt is refused (even with the right password, so that
guessing on learns nothing) until that window has passed. The address is the one the API's
throttles use: the connection's, or the one written by the ``NUM_PROXIES`` trusted proxies
(REST_FRAMEWORK setting, from ``FIVESIGMA_TRUSTED_PROXIES``), never a client's own
``X-Forwarded-For``. Counts live in the default cache.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from rest_framework.throttling import BaseThrottle

REFUSED = (
    "Too many failed attempts to log in to this account or from your address; "
    "try again in {minutes} minutes."
)


def client_address(request) -> str:
    """The client's address as the API's throttles see it (trusted proxies only); empty
    when the request has none (a WSGI caller that sets no REMOTE_ADDR)."""
    return BaseThrottle().get_ident(request) or ""


class PasswordAttempts:
    """The failure counts that concern one attempt: its username's and its address's."""

    def __init__(self, request, username: str):
        self.counters = {
            self._key(
                "account", username.casefold()
            ): settings.FIVESIGMA_LOGIN_FAILURES_PER_ACCOUNT,
            self._key(
                "address", client_address(request)
            ): settings.FIVESIGMA_LOGIN_FAILURES_PER_ADDRESS,
        }

    @staticmethod
    def _key(kind: str, value: str) -> str:
        return f"password-failures:{kind}:{hashlib.sha256(value.encode()).hexdigest()}"

    def refused(self) -> bool:
        """Whether the account or the address has used up its failures."""
        counts = cache.get_many(list(self.counters))
        return any(counts.get(key, 0) >= limit for key, limit in self.counters.items())

    def failed(self) -> None:
        """Count one more failure for the account and the address; the window starts at the
        first failure and is not extended by the later ones."""
        for key in self.counters:
            cache.add(key, 0, timeout=settings.FIVESIGMA_LOGIN_WINDOW_S)
            try:
                cache.incr(key)
            except ValueError:  # expired between the two calls: a new window
                cache.add(key, 1, timeout=settings.FIVESIGMA_LOGIN_WINDOW_S)

    @staticmethod
    def message() -> str:
        return REFUSED.format(minutes=max(1, round(settings.FIVESIGMA_LOGIN_WINDOW_S / 60)))


class ThrottledModelBackend(ModelBackend):
    """Django's username and password check, refused past the limits above, each failure
    counted. Without a request (a management command, a test's ``client.login``) it is the
    plain check."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None or username is None:
            return super().authenticate(request, username, password, **kwargs)
        attempts = PasswordAttempts(request, username)
        if attempts.refused():
            # stops Django's authenticate() at once: no other backend is tried
            raise PermissionDenied(attempts.message())
        user = super().authenticate(request, username, password, **kwargs)
        if user is None:
            attempts.failed()
        return user

"""How both faces answer the engine's refusals, the same way for the same question.

``visibility.Hidden`` -> 404, ``visibility.NotShownYet`` and ``visibility.NotAllowed`` -> 403,
``reasons.Refused`` (a rule of the engine: a limit, a team rule, a final selection) -> 400
with its message. Pages get Django's error pages through ``RefusalMiddleware``; the API gets
``{"detail": message}`` through ``api_exception_handler`` (settings: REST_FRAMEWORK
``EXCEPTION_HANDLER``).
"""

from __future__ import annotations

from django.core.exceptions import BadRequest, PermissionDenied
from django.http import Http404
from django.urls import get_resolver
from rest_framework import exceptions
from rest_framework.views import exception_handler

from fivesigma.challenges.engine.reasons import Refused
from fivesigma.challenges.engine.visibility import Hidden, NotAllowed, NotShownYet


def as_django(error: Exception) -> Exception | None:
    """The Django exception a page raises for an engine refusal (None: not a refusal)."""
    if isinstance(error, Hidden):
        return Http404(str(error))
    if isinstance(error, NotShownYet | NotAllowed):
        return PermissionDenied(str(error))
    if isinstance(error, Refused):
        return BadRequest(str(error))
    return None


STATUS = {Http404: 404, PermissionDenied: 403, BadRequest: 400}


class RefusalMiddleware:
    """Pages: an engine refusal raised by a view becomes the site's matching error page,
    logged as one line (no traceback: a refusal is the policy working, not a fault)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, error):
        translated = as_django(error)
        if translated is None:
            return None
        handler = get_resolver().resolve_error_handler(STATUS[type(translated)])
        return handler(request, translated)


def api_exception_handler(error, context):
    """The API: an engine refusal becomes NotFound, PermissionDenied or a 400 ValidationError
    with the engine's message as ``detail``."""
    if isinstance(error, Hidden):
        error = exceptions.NotFound(str(error))
    elif isinstance(error, NotShownYet | NotAllowed):
        error = exceptions.PermissionDenied(str(error))
    elif isinstance(error, Refused):
        error = exceptions.ValidationError({error.field: str(error)})
    return exception_handler(error, context)

"""What the API lets a caller see and do, asked of ``challenges.visibility`` (never decided here).

Hidden things answer like missing ones (404) so that nothing leaks by guessing; a private
leaderboard that exists but is not shown yet answers 403 with the date it opens.
"""

from __future__ import annotations

from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle

from fivesigma.challenges.engine import visibility
from fivesigma.challenges.models import Phase, Score, Submission


def requested_subset(request, phase: Phase, default: str = Score.PUBLIC) -> str:
    """The ``?subset=`` asked for: public, or private when ``visibility.can_see_private`` allows it."""
    subset = request.query_params.get("subset", default)
    if subset not in (Score.PUBLIC, Score.PRIVATE):
        raise ValidationError({"subset": f"'{subset}' is not a subset; use public or private."})
    if subset == Score.PRIVATE and not visibility.can_see_private(request.user, phase):
        raise PermissionDenied(
            f"The private leaderboard of '{phase.title}' is shown after the phase ends "
            f"({phase.end:%Y-%m-%d %H:%M} UTC)."
        )
    return subset


def visible_submission(request, submission: Submission | None) -> Submission:
    """The submission when the caller may see it (its team or the organisers); 404 otherwise."""
    if submission is None or not visibility.can_see_submission(request.user, submission):
        raise NotFound("No such submission.")
    return submission


def visible_file(request, data_file):
    """A data file the caller may download (``visibility.can_download``); 404 otherwise."""
    if data_file is None or not visibility.can_download(request.user, data_file):
        raise NotFound("No such file.")
    return data_file


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

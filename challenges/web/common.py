"""Small helpers shared by the page views."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404

from fivesigma.challenges.models import Challenge, Phase


def get_challenge(user, slug: str) -> Challenge:
    """The challenge, or 404 when it does not exist or is not public and ``user`` does not organise it."""
    challenge = get_object_or_404(Challenge.objects.prefetch_related("phases"), slug=slug)
    if not challenge.is_public and not challenge.is_organiser(user):
        raise Http404("No such challenge.")
    return challenge


def get_phase(challenge: Challenge, key: str) -> Phase:
    phase = get_object_or_404(Phase, challenge=challenge, key=key)
    phase.challenge = challenge  # already read: no second query when the page needs it
    return phase

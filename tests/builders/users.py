"""People and teams."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from fivesigma.challenges.models import Challenge, Membership, Team

PASSWORD = "a-long-test-password"


def make_user(username: str, password: str = PASSWORD, **fields):
    return get_user_model().objects.create_user(username, password=password, **fields)


def make_team(challenge: Challenge, name: str, benchmark: bool = False, members=()) -> Team:
    team = Team.objects.create(challenge=challenge, name=name, is_benchmark=benchmark)
    for user in members:
        Membership.objects.create(team=team, user=user, challenge=challenge)
    return team

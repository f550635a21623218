"""Teams: submissions, limits and leaderboard rows are per team."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models


def new_invite_code() -> str:
    return secrets.token_urlsafe(12)


class Team(models.Model):
    challenge = models.ForeignKey(
        "challenges.Challenge", on_delete=models.CASCADE, related_name="teams"
    )
    name = models.CharField(max_length=100)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="teams"
    )
    invite_code = models.CharField(max_length=32, default=new_invite_code, unique=True)
    is_benchmark = models.BooleanField(
        default=False, help_text="a reference baseline, shown unranked"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["challenge", "name"], name="unique_team_name")
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    challenge = models.ForeignKey(
        "challenges.Challenge", on_delete=models.CASCADE, related_name="memberships"
    )
    joined = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # one team per user per challenge
            models.UniqueConstraint(fields=["challenge", "user"], name="one_team_per_challenge"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.team}"

"""Teams: every participant submits as a team (a team of one until they invite others)."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from fivesigma.challenges.engine.reasons import Refused
from fivesigma.challenges.models import Challenge, Membership, Team


class TeamError(Refused):
    """A team action that is not allowed, with the reason for the participant."""


def team_of(user, challenge: Challenge) -> Team | None:
    membership = (
        Membership.objects.filter(user=user, challenge=challenge).select_related("team").first()
    )
    return membership.team if membership else None


def ensure_team(user, challenge: Challenge) -> Team:
    """The user's team in ``challenge``, creating a team of one named after them."""
    team = team_of(user, challenge)
    if team:
        return team
    name = user.username
    suffix = 1
    while Team.objects.filter(challenge=challenge, name=name).exists():
        suffix += 1
        name = f"{user.username}-{suffix}"
    try:
        return _create(user, challenge, name)
    except TeamError:
        # two first uploads of one user at the same moment: the other one created the team
        team = team_of(user, challenge)
        if team is None:
            raise
        return team


def create_team(user, challenge: Challenge, name: str) -> Team:
    name = name.strip()
    if not name or len(name) > 100:
        raise TeamError("A team name needs 1 to 100 characters.")
    current = team_of(user, challenge)
    if current and current.submissions.exists():
        raise TeamError(
            f"You are in team '{current.name}', which already has submissions; leave it only if it has none."
        )
    if Team.objects.filter(challenge=challenge, name=name).exists():
        raise TeamError(f"The name '{name}' is taken in this challenge.")
    with transaction.atomic():
        if current:
            leave(user, challenge)
        return _create(user, challenge, name)


def _create(user, challenge: Challenge, name: str) -> Team:
    try:
        with transaction.atomic():
            team = Team.objects.create(challenge=challenge, name=name)
            Membership.objects.create(team=team, user=user, challenge=challenge)
    except IntegrityError as error:
        raise TeamError("You already belong to a team in this challenge.") from error
    return team


def join(user, invite_code: str, challenge: Challenge | None = None) -> Team:
    """Join the team whose invitation code is ``invite_code`` (of ``challenge``, when given)."""
    team = (
        Team.objects.filter(invite_code=invite_code.strip(), is_benchmark=False)
        .select_related("challenge")
        .first()
    )
    if team is None or (challenge is not None and team.challenge_id != challenge.pk):
        raise TeamError("That invitation code does not match any team of this challenge.")
    challenge = team.challenge
    current = team_of(user, challenge)
    if current == team:
        return team
    if current and current.submissions.exists():
        raise TeamError(
            f"Your team '{current.name}' already has submissions, so you cannot move to another team."
        )
    with transaction.atomic():
        Team.objects.select_for_update().get(pk=team.pk)  # joins to one team, one at a time
        if team.memberships.count() >= challenge.max_team_size:
            raise TeamError(f"Team '{team.name}' is full ({challenge.max_team_size} members).")
        if current:
            leave(user, challenge)
        Membership.objects.create(team=team, user=user, challenge=challenge)
    return team


def leave(user, challenge: Challenge) -> None:
    """Leave a team that has no submissions yet (an empty team disappears).

    A team's submissions and limits stay with its members: leaving after submitting would
    let a participant start a new team with a fresh allowance.
    """
    membership = (
        Membership.objects.filter(user=user, challenge=challenge).select_related("team").first()
    )
    if membership is None:
        raise TeamError("You are not in a team in this challenge.")
    team = membership.team
    if team.submissions.exists():
        raise TeamError(
            f"Team '{team.name}' has submissions, so its members stay in it "
            "(submission limits are per team)."
        )
    membership.delete()
    if not team.memberships.exists():
        team.delete()

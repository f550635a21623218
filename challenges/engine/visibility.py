"""Who may see what: the rules every page, download and API view asks."""

from __future__ import annotations

from fivesigma.challenges.models import Challenge, DataFile, Membership, Phase, Submission


def is_organiser(user, challenge: Challenge) -> bool:
    return challenge.is_organiser(user)


def can_see_private(user, phase: Phase) -> bool:
    """Private scores: organisers always, everyone else only after the phase has ended."""
    return phase.has_ended() or is_organiser(user, phase.challenge)


def can_download(user, data_file: DataFile) -> bool:
    """Public files for everyone who can see the challenge; hidden ones for its organisers only."""
    if data_file.is_public:
        return data_file.challenge.is_public or is_organiser(user, data_file.challenge)
    return is_organiser(user, data_file.challenge)


def can_see_submission(user, submission: Submission) -> bool:
    """A submission's file, log and diagnostics: its team's members and the organisers."""
    if not user.is_authenticated:
        return False
    if is_organiser(user, submission.phase.challenge):
        return True
    return Membership.objects.filter(user=user, team_id=submission.team_id).exists()


def visible_submissions(user, phase: Phase):
    if is_organiser(user, phase.challenge):
        return phase.submissions.all()
    if not user.is_authenticated:
        return phase.submissions.none()
    return phase.submissions.filter(team__memberships__user=user)

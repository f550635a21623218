"""The competition engine's data: challenges, phases, files, teams, submissions, scores."""

from fivesigma.challenges.models.challenge import Challenge, DataFile, Phase
from fivesigma.challenges.models.preparation import Preparation
from fivesigma.challenges.models.standing import Standing
from fivesigma.challenges.models.submission import Score, Submission, SubmissionEvent
from fivesigma.challenges.models.team import Membership, Team

__all__ = [
    "Challenge",
    "DataFile",
    "Membership",
    "Phase",
    "Preparation",
    "Score",
    "Standing",
    "Submission",
    "SubmissionEvent",
    "Team",
]

"""The competition engine's data: challenges, phases, files, teams, submissions, scores."""

from challenges.models.challenge import Challenge, DataFile, Phase
from challenges.models.standing import Standing
from challenges.models.submission import Score, Submission, SubmissionEvent
from challenges.models.team import Membership, Team

__all__ = [
    "Challenge",
    "DataFile",
    "Membership",
    "Phase",
    "Score",
    "Standing",
    "Submission",
    "SubmissionEvent",
    "Team",
]

"""Final submissions: the ones a team chooses for the private leaderboard.

While a phase runs, a team may choose up to ``phase.final_selections`` of its scored
submissions; after the end its private score is the best private score among them (or, when
it chose none, among its best public ones: ``standings`` states the rule). Choices are
frozen when the phase ends. Every change is recorded in the submission's history and moves
the team's standing, in one transaction.
"""

from __future__ import annotations

from django.db import transaction

from fivesigma.challenges.engine import standings
from fivesigma.challenges.engine.reasons import Refused
from fivesigma.challenges.models import Submission, SubmissionEvent, Team


class FinalsRefused(Refused):
    """A final selection that the rules do not allow; the message says which rule."""


def choose(submission: Submission, selected: bool, user) -> Submission:
    """Select (``selected=True``) or unselect ``submission`` as one of its team's finals.

    ``user`` is who asked (recorded in the history); the caller has checked that they may see
    the submission (``visibility.submission``). Raises FinalsRefused.
    """
    phase = submission.phase
    with transaction.atomic():
        Team.objects.select_for_update().only("pk").get(pk=submission.team_id)  # one at a time
        submission = Submission.objects.select_related("phase__challenge", "team").get(
            pk=submission.pk
        )
        if phase.has_ended():
            raise FinalsRefused("Final submissions cannot be changed after the phase has ended.")
        if selected == submission.selected_final:
            return submission
        if selected:
            check_selectable(submission)
        submission.selected_final = selected
        submission.save(update_fields=["selected_final"])
        SubmissionEvent.objects.create(
            submission=submission,
            status=submission.status,
            message=f"{'selected as' if selected else 'no longer'} a final submission ({user.username})",
        )
        standings.refresh(phase, submission.team_id)
    return submission


def check_selectable(submission: Submission) -> None:
    """Raise FinalsRefused unless ``submission`` may be added to its team's finals."""
    phase = submission.phase
    if submission.status != Submission.FINISHED:
        raise FinalsRefused("Only scored submissions can be selected as final.")
    chosen = Submission.objects.filter(
        team_id=submission.team_id, phase=phase, selected_final=True
    ).count()
    if chosen >= phase.final_selections:
        raise FinalsRefused(
            f"Your team has already selected {phase.final_selections} final submissions; "
            "unselect one first."
        )

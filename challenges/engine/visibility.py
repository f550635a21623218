"""Who may see and do what: the one permission policy both faces (pages and API) ask.

The policy answers with the object asked for, or raises one of three refusals, which both
faces turn into the same HTTP answer (``challenges/answers.py``):

- ``Hidden`` (404): the thing does not exist *or* the caller may not know that it exists (a
  challenge that is not public, another team's submission, a hidden solution file). Hidden
  things look exactly like missing ones, so nothing leaks by guessing.
- ``NotShownYet`` (403): the thing's existence is public but the caller may not see it yet;
  the message says when it opens (a phase's private leaderboard before the phase ends).
- ``NotAllowed`` (403): an action reserved for others (re-scoring a phase is for its
  organisers).

Organisers of a challenge (and staff) see everything of it; participants see their own
team's submissions and, once a phase has ended, its private scores.
"""

from __future__ import annotations

from django.db.models import QuerySet

from fivesigma.challenges.engine.reasons import Refused
from fivesigma.challenges.models import Challenge, DataFile, Membership, Phase, Score, Submission

PUBLIC, PRIVATE = Score.PUBLIC, Score.PRIVATE


class Hidden(Exception):
    """Not there, or not for this caller: answered exactly as a missing thing (404)."""


class NotShownYet(Exception):
    """Exists, and everyone may know it does, but it is not shown to this caller yet (403)."""


class NotAllowed(Exception):
    """An action this caller may not take (403)."""


class UnknownSubset(Refused):
    """A leaderboard subset other than public or private (400)."""

    field = "subset"


def is_organiser(user, challenge: Challenge) -> bool:
    return challenge.is_organiser(user)


def challenge(user, slug: str) -> Challenge:
    """The challenge ``slug`` when it is public or ``user`` organises it."""
    found = Challenge.objects.prefetch_related("phases").filter(slug=slug).first()
    if found is None or not (found.is_public or is_organiser(user, found)):
        raise Hidden("No such challenge.")
    return found


def visible_challenges(user) -> list[Challenge]:
    """Every challenge ``user`` may see: the public ones and those they organise."""
    return [
        c
        for c in Challenge.objects.prefetch_related("phases__challenge")
        if c.is_public or is_organiser(user, c)
    ]


def phase(challenge: Challenge, key: str) -> Phase:
    """The phase ``key`` of a challenge the caller may see (``challenge`` above)."""
    found = Phase.objects.filter(challenge=challenge, key=key).first()
    if found is None:
        raise Hidden("No such phase.")
    found.challenge = challenge  # already read: no second query when the caller needs it
    return found


def default_subset(phase: Phase) -> str:
    """The board shown when none is asked for: the private one once the phase has ended."""
    return PRIVATE if phase.has_ended() else PUBLIC


def can_see_private(user, phase: Phase) -> bool:
    """Private scores: organisers always, everyone else only after the phase has ended."""
    return phase.has_ended() or is_organiser(user, phase.challenge)


def subset(user, phase: Phase, asked: str | None) -> str:
    """The leaderboard subset ``asked`` (or the default), when ``user`` may see it."""
    chosen = asked or default_subset(phase)
    if chosen not in (PUBLIC, PRIVATE):
        raise UnknownSubset(f"'{chosen[:40]}' is not a subset; use public or private.")
    if chosen == PRIVATE and not can_see_private(user, phase):
        raise NotShownYet(
            f"The private leaderboard of '{phase.title}' is shown after the phase ends "
            f"({phase.end:%Y-%m-%d %H:%M} UTC)."
        )
    return chosen


def can_see_submission(user, submission: Submission) -> bool:
    """A submission's file, log and diagnostics: its team's members and the organisers."""
    if not user.is_authenticated:
        return False
    if is_organiser(user, submission.phase.challenge):
        return True
    return Membership.objects.filter(user=user, team_id=submission.team_id).exists()


def submission(user, found: Submission | None) -> Submission:
    """``found`` when ``user`` may see it (its team or the organisers)."""
    if found is None or not can_see_submission(user, found):
        raise Hidden("No such submission.")
    return found


def shown_scores(user, submission: Submission, scores=None) -> list[Score]:
    """The current scores of ``submission`` that ``user`` may read, public first (``scores``:
    already-read rows to filter instead of querying)."""
    private = can_see_private(user, submission.phase)
    rows = scores if scores is not None else submission.scores.filter(current=True)
    shown = [s for s in rows if s.current and (s.subset == PUBLIC or private)]
    return sorted(shown, key=lambda s: s.subset != PUBLIC)


def visible_submissions(user, phase: Phase) -> QuerySet:
    """The submissions of ``phase`` that ``user`` may list: all of them for organisers,
    their own team's for participants, none for anonymous visitors."""
    if is_organiser(user, phase.challenge):
        return phase.submissions.all()
    if not user.is_authenticated:
        return phase.submissions.none()
    return phase.submissions.filter(team__memberships__user=user)


def can_download(user, data_file: DataFile) -> bool:
    """Public files for everyone who can see the challenge; hidden ones for its organisers only."""
    if data_file.is_public:
        return data_file.challenge.is_public or is_organiser(user, data_file.challenge)
    return is_organiser(user, data_file.challenge)


def data_file(user, challenge: Challenge, file_id: int) -> DataFile:
    """A file of ``challenge`` that ``user`` may download (hidden files look missing)."""
    found = DataFile.objects.filter(pk=file_id, challenge=challenge).first()
    if found is None or not can_download(user, found):
        raise Hidden("No such file.")
    return found


def downloadable_files(user, challenge: Challenge) -> list[DataFile]:
    """The challenge-level files (not a phase's) ``user`` may download."""
    return [
        f
        for f in challenge.files.filter(phase=None).select_related("challenge")
        if can_download(user, f)
    ]


def organiser(user, challenge: Challenge) -> None:
    """Raise NotAllowed unless ``user`` organises ``challenge``."""
    if not is_organiser(user, challenge):
        raise NotAllowed("Only this challenge's organisers can do this.")

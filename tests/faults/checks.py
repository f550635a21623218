"""What every fault test proves at its end: nothing lost, nothing doubled, nothing left running."""

from __future__ import annotations

from fivesigma.challenges.engine import leaderboard
from fivesigma.challenges.models import Phase, Score, Submission


def statuses(submissions: list[Submission]) -> dict[int, str]:
    return dict(
        Submission.objects.filter(pk__in=[s.pk for s in submissions]).values_list("pk", "status")
    )


def all_done(submissions: list[Submission]):
    """For ``wait_for``: truthy once every submission is finished or failed."""
    states = statuses(submissions)
    return len(states) == len(submissions) and all(s in Submission.DONE for s in states.values())


def assert_settled(phase: Phase, submissions: list[Submission]) -> dict[str, list[Submission]]:
    """Every accepted submission ended finished or failed with a reason, exactly once; the
    finished ones have one current public and one current private score; the public board has
    one row per team, showing a finished submission of that team. Returns them by status."""
    accepted = {s.pk for s in submissions}
    stored = set(Submission.objects.filter(phase=phase).values_list("pk", flat=True))
    assert stored == accepted, f"lost {accepted - stored}, unexpected {stored - accepted}"
    outcome: dict[str, list[Submission]] = {Submission.FINISHED: [], Submission.FAILED: []}
    for submission in Submission.objects.filter(pk__in=accepted).order_by("pk"):
        history = list(submission.events.values_list("status", flat=True))
        assert submission.status in Submission.DONE, (submission.pk, submission.status, history)
        ends = [step for step in history if step in Submission.DONE]
        assert ends == [submission.status], f"submission {submission.pk} ended {ends}: {history}"
        subsets = sorted(submission.scores.filter(current=True).values_list("subset", flat=True))
        if submission.status == Submission.FAILED:
            assert submission.reason.strip(), f"submission {submission.pk} failed with no reason"
            assert subsets == [], f"failed submission {submission.pk} kept scores {subsets}"
        else:
            assert subsets == [Score.PRIVATE, Score.PUBLIC], (submission.pk, subsets)
        outcome[submission.status].append(submission)
    rows = leaderboard.compute(phase, Score.PUBLIC).rows
    teams = [row.team_id for row in rows]
    assert len(teams) == len(set(teams)), f"a team is on the board twice: {teams}"
    finished = {s.pk: s.team_id for s in outcome[Submission.FINISHED]}
    shown = {row.submission_id for row in rows if row.submission_id is not None}
    assert shown <= set(finished), f"the board shows unfinished submissions {shown - set(finished)}"
    assert {row.team_id for row in rows if row.submission_id in shown} == set(finished.values())
    return outcome

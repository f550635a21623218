"""Each team's Standing, kept current: the leaderboard rules applied to one team at a time.

The rules:
- A score *counts* when it is current (from the latest scoring round of a submission that has
  not failed) and its submission was on time.
- A team's *entries* are its scored on-time submissions: those with a counted score.
  Failed submissions and those not scored yet are not entries. A team is listed on the
  boards once it has an entry; its "last submission" is its latest on-time upload, scored
  or not.
- The public board shows each team's best counted public score.
- The private board shows, for each team, the best private score among its final submissions:
  those it selected (with a counted score) or, when it selected none, its
  ``phase.final_selections`` best counted public ones, as Kaggle did.
- "Best": defined values first, then the better value (the metric says which way), then the
  earlier upload, then the lower score id.

``refresh`` re-derives one team's standing from its rows; the engine calls it in the
transaction of every change that can move the team (upload, scores written or retired, final
selection), after writing the change. ``rebuild`` derives a whole phase at once (bundle reloads,
rows written outside the engine). Both go through ``_derive``, so they cannot disagree, and
both stamp the rows they write with a new ``Phase.board_version``, so that a kept
leaderboard can catch up by reading only the rows that changed.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from functools import partial
from typing import NamedTuple

from django.db import transaction
from django.db.models import F
from django.db.models.signals import post_delete
from django.dispatch import receiver

from fivesigma.challenges.models import Phase, Score, Standing, Submission, Team


class Counted(NamedTuple):
    """A counted score, narrow: what choosing the best needs."""

    id: int
    submission_id: int
    value: float | None
    submitted: datetime
    tie_break: tuple[float, ...] = ()  # the order of its other columns, when they break ties


class Upload(NamedTuple):
    """An on-time submission: what the listing and the final selection need."""

    id: int
    created: datetime
    selected_final: bool


class Derived(NamedTuple):
    entries: int  # scored on-time submissions (those with a counted score)
    last_submission: datetime | None
    public_score_id: int | None
    private_score_id: int | None


def value_order(value: float | None, higher_is_better: bool) -> tuple[bool, float]:
    """The score part of every ranking key: defined values best first, undefined ones (None
    or NaN) last."""
    if value is None or value != value:
        return True, 0.0
    return False, -value if higher_is_better else value


def best_first(higher_is_better: bool):
    """Sort key putting a team's best score first; ties to the earlier upload."""

    def key(score: Counted):
        return (
            *value_order(score.value, higher_is_better),
            *score.tie_break,
            score.submitted,
            score.id,
        )

    return key


def _derive(
    public: list[Counted],
    private: dict[int, Counted],
    uploads: list[Upload],
    higher_is_better: bool,
    final_selections: int,
) -> Derived:
    """One team's standing from its counted scores (private ones by submission id) and uploads."""
    key = best_first(higher_is_better)
    ranked_public = sorted(public, key=key)
    selected = {u.id for u in uploads if u.selected_final}
    finals = [s for s in ranked_public if s.submission_id in selected]
    finals = finals or ranked_public[:final_selections]
    private_of_finals = [private[s.submission_id] for s in finals if s.submission_id in private]
    return Derived(
        entries=len({s.submission_id for s in public} | private.keys()),
        last_submission=max((u.created for u in uploads), default=None),
        public_score_id=ranked_public[0].id if ranked_public else None,
        private_score_id=min(private_of_finals, key=key).id if private_of_finals else None,
    )


class TeamRows(NamedTuple):
    """What ``_derive`` reads of one team: counted scores and on-time uploads."""

    public: list[Counted]
    private: dict[int, Counted]  # by submission id
    uploads: list[Upload]


def _rows_by_team(phase: Phase, metric, team_id: int | None = None) -> dict[int, TeamRows]:
    """Counted scores (current, on time) and on-time uploads of ``phase``, by team; of one
    team when ``team_id`` is given. When ``metric`` breaks ties by more columns, each score's
    details are read for them too."""
    scores = Score.objects.filter(phase=phase, current=True, late=False)
    uploads = Submission.objects.filter(phase=phase, is_late=False)
    if team_id is not None:
        scores, uploads = scores.filter(team_id=team_id), uploads.filter(team_id=team_id)
    teams: dict[int, TeamRows] = defaultdict(lambda: TeamRows([], {}, []))
    columns = ["team_id", "subset", "id", "submission_id", "value", "submitted"]
    for team, subset, score_id, submission_id, value, submitted, *details in scores.values_list(
        *columns, *(["details"] if metric.breaks_ties else [])
    ):
        tie_break = metric.tie_breaks(details[0] or {}) if details else ()
        counted = Counted(score_id, submission_id, value, submitted, tie_break)
        if subset == Score.PUBLIC:
            teams[team].public.append(counted)
        else:
            teams[team].private[counted.submission_id] = counted
    for team, upload_id, created, selected in uploads.values_list(
        "team_id", "id", "created", "selected_final"
    ):
        teams[team].uploads.append(Upload(upload_id, created, selected))
    return teams


def refresh(phase: Phase, team_id: int) -> None:
    """Re-derive one team's standing in ``phase``; call it after writing the change.

    Taking the next board version locks the phase row first, so concurrent refreshes in a
    phase run one after the other and the later one reads every change the earlier committed.
    """
    metric = phase.get_metric()
    with transaction.atomic():
        version = next_version(phase)
        derived = _derive(
            *_rows_by_team(phase, metric, team_id)[team_id],
            metric.higher_is_better,
            phase.final_selections,
        )
        Standing.objects.update_or_create(
            phase=phase, team_id=team_id, defaults={**derived._asdict(), "version": version}
        )


def rebuild(phase: Phase) -> int:
    """Re-derive every standing of ``phase`` from its scores and submissions; the number of
    teams. Like ``refresh``, it reads under the phase row lock, so no refresh slips between
    its reading and its writing."""
    metric = phase.get_metric()
    with transaction.atomic():
        version = next_version(phase)
        teams = _rows_by_team(phase, metric)
        for team_id in Standing.objects.filter(phase=phase).values_list("team_id", flat=True):
            teams.setdefault(team_id, TeamRows([], {}, []))  # no row left: derived empty
        rows = [
            Standing(
                phase=phase,
                team_id=team_id,
                version=version,
                **_derive(*team_rows, metric.higher_is_better, phase.final_selections)._asdict(),
            )
            for team_id, team_rows in teams.items()
        ]
        Standing.objects.bulk_create(
            rows,
            batch_size=500,
            update_conflicts=True,
            unique_fields=["phase", "team"],
            update_fields=[*Derived._fields, "version"],
        )
    return len(rows)


def next_version(phase: Phase) -> int:
    """Raise the phase's board version and return it; call it inside the transaction that
    changes standings. The phase row stays locked until the commit, so versions become visible
    in the order they were given: a reader that sees version V has every change up to V."""
    Phase.objects.filter(pk=phase.pk).update(board_version=F("board_version") + 1)
    return Phase.objects.filter(pk=phase.pk).values_list("board_version", flat=True).get()


def ensure(phase: Phase) -> None:
    """Rebuild ``phase``'s standings when it has submissions but no standings yet (a database
    from before standings existed, or rows bulk-loaded outside the engine)."""
    if (
        not Standing.objects.filter(phase=phase).exists()
        and Submission.objects.filter(phase=phase).exists()
    ):
        rebuild(phase)


def _refresh_if_present(phase_id: int, team_id: int) -> None:
    phase = Phase.objects.filter(pk=phase_id).first()
    if phase is not None and Team.objects.filter(pk=team_id).exists():
        refresh(phase, team_id)


@receiver(post_delete, sender=Submission)
def _submission_deleted(sender, instance: Submission, **kwargs) -> None:
    """A deleted submission (an organiser removing it, say) leaves its team's board row."""
    transaction.on_commit(partial(_refresh_if_present, instance.phase_id, instance.team_id))

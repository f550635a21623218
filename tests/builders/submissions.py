"""Submissions: uploads, code zips, and submissions written directly with chosen scores,
times and statuses (the leaderboard tests need exact control over them; the pipeline tests
go through the real upload and scoring path instead)."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from pathlib import Path

import numpy as np
from django.core.files.uploadedfile import SimpleUploadedFile

from fivesigma.challenges.engine import standings
from fivesigma.challenges.models import Phase, Score, Submission, Team
from tests.builders.challenges import T0
from tests.builders.trackml_files import STRAIGHT_TRACK_MODEL


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


def make_zip(path: Path | None, files: dict[str, str | bytes]) -> Path | bytes:
    """A deflated zip holding ``files`` (name in the zip -> content; a name may be empty, as
    a hand-made archive's can): written to ``path``, which is returned, or without a path its
    bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            member = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o600 << 16  # what writestr gives a file named by a string
            archive.writestr(member, content)
    if path is None:
        return buffer.getvalue()
    path.write_bytes(buffer.getvalue())
    return path


def model_zip(path: Path, source: str = STRAIGHT_TRACK_MODEL) -> Path:
    """A code submission: ``submission.py`` with ``source`` at the zip's root."""
    return make_zip(path, {"submission.py": source})


def finished(submission: Submission) -> Submission:
    """The submission read again, which must have finished (else its reason is shown)."""
    submission.refresh_from_db()
    assert submission.status == Submission.FINISHED, submission.reason
    return submission


def add_entry(
    phase: Phase,
    team: Team,
    public: float | None = None,
    private: float | None = None,
    at: datetime = T0,
    status: str = Submission.FINISHED,
    late: bool = False,
    final: bool = False,
    replicas: dict[str, np.ndarray] | None = None,
    retired: dict[str, float] | None = None,
    scored: bool = True,
    details: dict | None = None,
    diagnostics: dict[str, dict] | None = None,
) -> Submission:
    """A submission uploaded at ``at`` with current public/private Score rows of the given values
    (``None``: an undefined score), each with an interval of +-0.1 around its value.

    ``replicas`` and ``diagnostics``: per subset, on the current rows. ``details``: on both
    current rows (a code phase's accuracy and seconds_per_event).
    ``retired``: values of an older scoring round (``current=False``) kept as history.
    ``scored=False``: no Score rows (a submission that never got a score).
    """
    submission = Submission.objects.create(
        phase=phase,
        team=team,
        file=f"submissions/{phase.pk}/fake.csv",
        original_name="fake.csv",
        status=status,
        is_late=late,
        selected_final=final,
    )
    Submission.objects.filter(pk=submission.pk).update(created=at)
    submission.created = at
    if scored:
        current = {Score.PUBLIC: public, Score.PRIVATE: private}
        _add_scores(submission, current, retired, replicas, details, diagnostics)
    standings.refresh(phase, team.pk)  # as the pipeline does after each step
    return submission


def _add_scores(submission, current_values, retired, replicas, details, diagnostics) -> None:
    phase, team, at = submission.phase, submission.team, submission.created
    replicas, diagnostics = replicas or {}, diagnostics or {}
    for values, current in [(retired or {}, False), (current_values, True)]:
        for subset, value in values.items():
            reps = replicas.get(subset) if current else None
            Score.objects.create(
                submission=submission,
                phase=phase,
                team=team,
                submitted=at,
                subset=subset,
                metric=phase.metric,
                value=value,
                ci_low=None if value is None else value - 0.1,
                ci_high=None if value is None else value + 0.1,
                replicas=b"" if reps is None else np.asarray(reps, np.float32).tobytes(),
                details=(details or {}) if current else {},
                diagnostics=diagnostics.get(subset, {}) if current else {},
                # as the pipeline writes them: lateness copied, a failed submission's retired
                current=current and submission.status != Submission.FAILED,
                late=submission.is_late,
            )

"""Taking a submission in: check the phase and limits, validate the format now, store, queue.

Order matters and is what makes an accepted upload impossible to lose: the file is stored
first, then the database row is written, then the task is queued after the commit. A file
that fails validation is refused at once, is not stored and does not count against a limit.

The limits are checked twice: first without a lock, to refuse before reading the file, then
in the transaction that writes the row, holding the team's row lock (PostgreSQL; SQLite's
transactions take the database's write lock at BEGIN IMMEDIATE). Uploads of one team
therefore take turns from the count to the commit, and two sent at once cannot both pass a
limit that has room for one; the file of an upload refused there is deleted.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from fivesigma.challenges.engine import lifecycle, standings, stored_files, teams
from fivesigma.challenges.engine.reasons import Refused, ScoringFailure, readable
from fivesigma.challenges.engine.solutions import load_solution
from fivesigma.challenges.models import Phase, Submission, Team


class SubmissionRefused(Refused):
    """The upload was not accepted; the message says why, for the participant."""


@dataclass(frozen=True)
class Allowance:
    used_today: int
    daily_limit: int
    used_total: int
    total_limit: int | None
    resets_at: datetime

    @property
    def remaining_today(self) -> int:
        left = self.daily_limit - self.used_today
        if self.total_limit is not None:
            left = min(left, self.total_limit - self.used_total)
        return max(left, 0)


def allowance(phase: Phase, team: Team | None, now: datetime | None = None) -> Allowance:
    """Submissions used by ``team`` today (UTC day, as Kaggle) and in total; failed ones do not count."""
    now = now or timezone.now()
    day_start = datetime.combine(now.astimezone(UTC).date(), time.min, tzinfo=UTC)
    counted = Submission.objects.filter(phase=phase, team=team).exclude(status=Submission.FAILED)
    return Allowance(
        used_today=counted.filter(created__gte=day_start).count() if team else 0,
        daily_limit=phase.daily_limit,
        used_total=counted.count() if team else 0,
        total_limit=phase.total_limit,
        resets_at=day_start + timedelta(days=1),
    )


def check_allowance(phase: Phase, team: Team, now: datetime) -> None:
    """Raise SubmissionRefused when ``team`` has used its submissions of today or in total."""
    left = allowance(phase, team, now)
    if left.remaining_today > 0:
        return
    if left.total_limit is not None and left.used_total >= left.total_limit:
        raise SubmissionRefused(
            f"Your team has used all {left.total_limit} submissions of this phase."
        )
    raise SubmissionRefused(
        f"Your team has used its {left.daily_limit} submissions for today; more from {left.resets_at:%H:%M} UTC."
    )


def too_large(size: int | None = None) -> str:
    """Why a file over FIVESIGMA_MAX_UPLOAD_BYTES is refused (``size`` in bytes, when known)."""
    limit = f"the limit is {settings.FIVESIGMA_MAX_UPLOAD_BYTES / 1e6:.0f} MB."
    if size is None:
        return f"The file is too large; {limit}"
    return f"The file is {size / 1e6:.1f} MB; {limit}"


def validate_upload(phase: Phase, upload) -> None:
    """Check the file's format with the scoring package (result phases) or its zip layout (code)."""
    if upload.size > settings.FIVESIGMA_MAX_UPLOAD_BYTES:
        raise SubmissionRefused(too_large(upload.size))
    if upload.size == 0:
        raise SubmissionRefused("The file is empty.")
    if phase.kind == Phase.CODE:
        # the built-in harnesses import submission.py; an organiser's ingestion program
        # decides for itself what the code must hold
        needs_entry_point = not phase.ingestion_command
        validate_zip(upload, "The code submission cannot be run", needs_entry_point)
        return
    if phase.is_program_scored:
        # the organisers' program judges the format; a zip is unpacked for it, so it must unpack
        if upload.name.lower().endswith(".zip") or _starts_with(upload, b"PK\x03\x04"):
            validate_zip(upload, "The submission cannot be unpacked", needs_entry_point=False)
        return
    from fivesigma.scoring.validation import SubmissionError

    metric = phase.get_metric()
    upload.seek(0)
    try:
        table = metric.read_submission(upload, name=upload.name)
        metric.check(load_solution(phase), table)
    except (SubmissionError, ScoringFailure) as error:
        raise SubmissionRefused(readable(str(error))) from error
    finally:
        upload.seek(0)


def _starts_with(upload, magic: bytes) -> bool:
    upload.seek(0)
    head = upload.read(len(magic))
    upload.seek(0)
    return head == magic


def validate_zip(upload, refusal: str, needs_entry_point: bool = True) -> None:
    """Unpack the zip as the sandbox will (same checks and caps, and a ``submission.py`` when
    ``needs_entry_point``), into a directory thrown away; ``refusal`` starts the reason when
    it cannot be."""
    from fivesigma.runner import Limits
    from fivesigma.runner.unpack import SubmissionRejected, unpack_submission, unpack_zip

    unpack = unpack_submission if needs_entry_point else unpack_zip

    limits = Limits()
    with tempfile.TemporaryDirectory(prefix="fivesigma-zipcheck-") as tmp:
        archive = Path(tmp) / "submission.zip"
        upload.seek(0)
        with open(archive, "wb") as out:
            shutil.copyfileobj(upload, out, stored_files.CHUNK)
        upload.seek(0)
        try:
            unpack(
                archive,
                Path(tmp) / "unpacked",
                max_files=limits.max_submission_files,
                max_bytes=limits.max_submission_mb * 1024 * 1024,
            )
        except SubmissionRejected as rejected:
            raise SubmissionRefused(f"{refusal}: {rejected}.") from rejected


def display_name(name: str) -> str:
    """The participant's file name without control characters (it goes into a download's
    headers), at most 255 characters."""
    shown = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip()
    return shown[:255] or "submission"


def storage_name(name: str) -> str:
    """The name a submission is stored under: safe on any file system or object store
    (ASCII letters, digits, '.', '-' and '_'; at most 100 characters; no leading dot)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)[-100:].lstrip(".") or "submission"


def submit(
    phase: Phase,
    user,
    upload,
    description: str = "",
    team: Team | None = None,
    enforce_rules: bool = True,
) -> Submission:
    """Accept ``upload`` (a Django UploadedFile) for ``phase`` from ``user``; raise SubmissionRefused."""
    now = timezone.now()
    if enforce_rules and not phase.accepts_submissions(now):
        when = "has not opened yet" if now < phase.start else "has ended"
        raise SubmissionRefused(
            f"The phase '{phase.title}' {when}; it accepts submissions from "
            f"{phase.start:%Y-%m-%d %H:%M} to {phase.end:%Y-%m-%d %H:%M} UTC."
        )
    team = team or teams.ensure_team(user, phase.challenge)
    if enforce_rules:
        check_allowance(phase, team, now)  # before reading the file; again under the lock
    validate_upload(phase, upload)
    submission = Submission(
        phase=phase,
        team=team,
        user=user,
        original_name=display_name(upload.name),
        description=description[:500],
        is_late=phase.has_ended(now),
    )
    stored, sha, size = stored_files.store(
        upload, f"submissions/{phase.pk}/{submission.uid}/{storage_name(upload.name)}"
    )
    try:
        with transaction.atomic():
            if enforce_rules:
                Team.objects.select_for_update().only("pk").get(pk=team.pk)
                check_allowance(phase, team, now)
            submission.file.name, submission.sha256, submission.size = stored, sha, size
            submission.save()
            lifecycle.transition(
                submission,
                Submission.SUBMITTED,
                f"uploaded {submission.original_name} ({size} bytes)",
            )
            standings.refresh(phase, team.pk)  # the team is listed from its first entry
            lifecycle.enqueue(submission)
    except Exception:
        default_storage.delete(stored)  # refused under the lock, or not written: no orphan file
        raise
    return submission

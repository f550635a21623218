"""A phase scored by an organiser's program, with submissions scored as the worker scores them.

The figures go through the engine's own path (``DeclaredLeaderboard.result`` then
``worker.save_scores``), so the tests read them where the worker leaves them; the program's
run report and detailed-results files are written directly, as the worker would write them.
"""

from __future__ import annotations

import struct
import zlib
from datetime import timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from fivesigma.challenges.engine import worker
from fivesigma.challenges.models import Challenge, Membership, Phase, Submission, Team

# Accuracy ranks (higher is better), Time breaks ties (lower is better), Efficiency is shown.
COLUMNS = [
    {"key": "accuracy", "title": "Accuracy", "sorting": "desc", "precision": 2, "rank": 1},
    {"key": "time", "title": "Time [s]", "sorting": "asc", "precision": 3, "rank": 2},
    {"key": "efficiency", "title": "Efficiency", "sorting": "desc", "precision": 1, "rank": None},
]


def program_phase(slug: str = "programs", organiser=None, ended: bool = False) -> Phase:
    """An open (or ended) result phase scored by a program, declaring COLUMNS."""
    challenge = Challenge.objects.create(slug=slug, title="Programs challenge")
    if organiser is not None:
        challenge.organisers.add(organiser)
    now = timezone.now()
    return Phase.objects.create(
        challenge=challenge,
        key="main",
        title="Main",
        start=now - timedelta(days=30),
        end=now - timedelta(seconds=1) if ended else now + timedelta(days=30),
        metric="",
        scoring_command="python3 score.py $input $output",
        columns=COLUMNS,
    )


def team(phase: Phase, name: str, members=()) -> Team:
    made = Team.objects.create(challenge=phase.challenge, name=name)
    for user in members:
        Membership.objects.create(team=made, user=user, challenge=phase.challenge)
    return made


def scored(
    phase: Phase,
    of: Team,
    public: dict,
    private: dict,
    report: dict | None = None,
    at=None,
) -> Submission:
    """A submission of ``of`` whose program reported the ``public`` and ``private`` figures,
    saved by the worker; ``report``: its ``run_report["program"]``."""
    submission = Submission.objects.create(
        phase=phase,
        team=of,
        file=f"submissions/{phase.pk}/{of.name}.csv",
        original_name=f"{of.name}.csv",
        status=Submission.SCORING,
        run_report={"program": report} if report is not None else {},
    )
    if at is not None:
        Submission.objects.filter(pk=submission.pk).update(created=at)
        submission.created = at
    metric = phase.get_metric()
    worker.save_scores(submission, metric.key, metric.result(public, private))
    submission.refresh_from_db()
    return submission


def store_detailed(submission: Submission, files: dict[str, bytes]) -> None:
    """The program's output files, copied where the worker copies them, and listed."""
    for name, content in files.items():
        default_storage.save(f"detailed/{submission.uid}/{name}", ContentFile(content))
    report = dict(submission.run_report)
    report["program"] = {**report.get("program", {}), "detailed": list(files)}
    Submission.objects.filter(pk=submission.pk).update(run_report=report)
    submission.run_report = report


def png(width: int, height: int, rgb: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A valid PNG of one colour, ``width`` x ``height`` pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )

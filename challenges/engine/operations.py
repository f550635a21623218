"""The organiser dashboard's figures, and the workers' heartbeats.

Each figure is one aggregate query that the database runs over ``submissions`` (a
``Submission`` queryset: the challenges a person organises) at ``now`` (an aware datetime).
Durations are in seconds; days are UTC calendar days.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from django.core.files.storage import default_storage
from django.db.models import (
    Avg,
    Count,
    DateField,
    DurationField,
    ExpressionWrapper,
    F,
    Max,
    Min,
    Q,
)
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from fivesigma.challenges.models import Phase, Submission

log = logging.getLogger(__name__)

DAYS_SHOWN = 30
RECENT_STARTS = timedelta(hours=24)  # queue waits are summarised over the starts in this span
FAILURE_REASONS_SHOWN = 10

WAITING = Q(status__in=(Submission.SUBMITTED, Submission.QUEUED))
IN_PROGRESS = Q(status__in=(Submission.RUNNING, Submission.SCORING))
QUEUE_WAIT = ExpressionWrapper(F("started_at") - F("queued_at"), output_field=DurationField())


def submissions_per_day(submissions, now: datetime, days: int = DAYS_SHOWN) -> list[dict]:
    """Uploads on each of the last ``days`` UTC calendar days, today included and days
    without any upload shown as 0: ``[{"day": date, "n": int}, ...]``, oldest first.

    The database takes the date of the stored UTC time (``date(created)``; ``TruncDate``
    would call back into Python for every row on SQLite, 7x slower on 10,000 uploads)."""
    first = now.astimezone(UTC).date() - timedelta(days=days - 1)
    counts = dict(
        submissions.filter(created__gte=datetime.combine(first, time.min, tzinfo=UTC))
        .annotate(day=Cast("created", DateField()))
        .order_by()
        .values_list("day")
        .annotate(n=Count("pk"))
    )
    shown = [first + timedelta(days=k) for k in range(days)]
    return [{"day": day, "n": counts.get(day, 0)} for day in shown]


def queue_figures(submissions, now: datetime, recent: timedelta = RECENT_STARTS) -> list[dict]:
    """For each Celery queue: submissions waiting for a worker and being handled now, how
    long the oldest has waited (since it was queued, or uploaded if never queued), and the
    queue wait (queued -> a worker started it) of the submissions started within ``recent``:
    how many, the mean and the longest. Every queue is listed, idle ones with zeros.

    Two queries: the submissions in flight (found through the status index) and the recent
    starts (a scan, as ``started_at`` has no index)."""
    in_flight = (
        submissions.filter(WAITING | IN_PROGRESS)
        .order_by()
        .values("phase__kind")
        .annotate(
            waiting=Count("pk", filter=WAITING),
            running=Count("pk", filter=IN_PROGRESS),
            waiting_since=Min(Coalesce("queued_at", "created"), filter=WAITING),
        )
    )
    started = (
        submissions.filter(started_at__gte=now - recent, queued_at__lte=F("started_at"))
        .order_by()
        .values("phase__kind")
        .annotate(started=Count("pk"), mean_wait=Avg(QUEUE_WAIT), longest_wait=Max(QUEUE_WAIT))
    )
    by_kind: dict[str, dict] = {kind: {} for kind, _ in Phase.KINDS}
    for row in [*in_flight, *started]:
        by_kind[row["phase__kind"]].update(row)
    figures = []
    for kind, row in by_kind.items():
        since = row.get("waiting_since")
        figures.append(
            {
                "name": Phase(kind=kind).queue,
                "waiting": row.get("waiting", 0),
                "running": row.get("running", 0),
                "oldest_wait_s": (now - since).total_seconds() if since else None,
                "started": row.get("started", 0),
                "mean_wait_s": _seconds(row.get("mean_wait")),
                "longest_wait_s": _seconds(row.get("longest_wait")),
            }
        )
    return figures


def _seconds(duration: timedelta | None) -> float | None:
    return None if duration is None else duration.total_seconds()


def failures_by_reason(submissions, limit: int = FAILURE_REASONS_SHOWN) -> list[dict]:
    """The ``limit`` most frequent reasons of failed submissions: ``[{"reason", "n"}]``, most
    frequent first (ties alphabetical)."""
    return list(
        submissions.filter(status=Submission.FAILED)
        .values("reason")
        .annotate(n=Count("pk"))
        .order_by("-n", "reason")[:limit]
    )


# -- worker health: a heartbeat each worker writes, read by the dashboard ------------------
#
# Each worker process keeps one small JSON file in the default storage (the data directory
# on one machine, the object store when the site runs on several), rewritten every
# HEARTBEAT_EVERY_S by a thread of its own: it goes on while the worker is busy, whatever
# the broker, and reading it costs the dashboard no wait.

HEARTBEATS = "workers"  # storage folder of the heartbeat files
HEARTBEAT_EVERY_S = 10.0
SILENT_AFTER_S = 45.0  # a worker not heard from for this long is reported silent
FORGOTTEN_AFTER_S = 24 * 3600.0  # a silent worker is no longer listed after this long


def heartbeat_path(worker: str) -> str:
    """The storage name of ``worker``'s heartbeat (its Celery hostname, e.g. scoring@node1)."""
    return f"{HEARTBEATS}/{re.sub(r'[^A-Za-z0-9@._-]', '_', worker)}.json"


def write_heartbeat(worker: str, queues: list[str], busy: int, now: datetime) -> None:
    """Record that ``worker``, consuming ``queues`` and holding ``busy`` tasks, is alive at
    ``now``. A file is replaced whole (never read half-written); an object store's PUT
    replaces the object whole too."""
    body = json.dumps(
        {"name": worker, "queues": sorted(queues), "busy": busy, "beat": now.isoformat()}
    ).encode()
    name = heartbeat_path(worker)
    try:
        path = Path(default_storage.path(name))
    except NotImplementedError:  # an object store: written to the same key every time
        with default_storage.open(name, "wb") as stream:
            stream.write(body)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.part")
    partial.write_bytes(body)
    os.replace(partial, path)


def forget_heartbeat(worker: str) -> None:
    """A worker that stops cleanly takes its heartbeat with it."""
    default_storage.delete(heartbeat_path(worker))


def read_heartbeats() -> list[dict]:
    """Every heartbeat file that can be read: ``[{"name", "queues", "busy", "beat"}]``."""
    try:
        _, names = default_storage.listdir(HEARTBEATS)
    except FileNotFoundError:
        return []
    beats = []
    for name in sorted(n for n in names if n.endswith(".json")):
        try:
            with default_storage.open(f"{HEARTBEATS}/{name}") as stream:
                beat = json.loads(stream.read())
            beat["beat"] = datetime.fromisoformat(beat["beat"])
        except (OSError, ValueError, KeyError, TypeError):
            continue  # removed meanwhile, or not a heartbeat
        beats.append(beat)
    return beats


def worker_health(now: datetime) -> dict:
    """The workers heard from, and the queues no live worker consumes, at ``now``.

    ``{"workers": [{"name", "queues", "busy", "last_heard_s", "alive"}],
    "queues_without_worker": [...], "checked": ISO time}``: a worker is alive when heard
    from within ``SILENT_AFTER_S``; silent ones are listed for ``FORGOTTEN_AFTER_S``.
    """
    workers = []
    for beat in read_heartbeats():
        silent_s = max((now - beat["beat"]).total_seconds(), 0.0)
        if silent_s > FORGOTTEN_AFTER_S:
            continue
        workers.append(
            {
                "name": str(beat.get("name", "")),
                "queues": list(beat.get("queues", [])),
                "busy": int(beat.get("busy", 0)),
                "last_heard_s": round(silent_s, 1),
                "alive": silent_s <= SILENT_AFTER_S,
            }
        )
    served = {queue for worker in workers if worker["alive"] for queue in worker["queues"]}
    every_queue = [Phase(kind=kind).queue for kind, _ in Phase.KINDS]
    return {
        "workers": workers,
        "queues_without_worker": [queue for queue in every_queue if queue not in served],
        "checked": now.isoformat(),
    }


class Heartbeat:
    """The thread of one worker process that writes its heartbeat every ``every_s`` seconds
    until ``stop``; ``busy()`` says how many tasks the worker holds at each beat."""

    def __init__(self, worker: str, queues: list[str], busy, every_s: float = HEARTBEAT_EVERY_S):
        self.worker, self.queues, self.busy, self.every_s = worker, queues, busy, every_s
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)

    def start(self) -> Heartbeat:
        self._thread.start()
        return self

    def _run(self) -> None:
        while True:
            try:
                write_heartbeat(self.worker, self.queues, self.busy(), timezone.now())
            except Exception:  # a storage hiccup: the next beat tries again
                log.exception("could not write the heartbeat of %s", self.worker)
            if self._stopped.wait(self.every_s):
                return

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=self.every_s + 5)
        forget_heartbeat(self.worker)

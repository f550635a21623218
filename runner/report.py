"""The outcome of one run of a code submission, as stored by the site and printed by the CLI."""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field


@dataclass
class RunReport:
    """What happened to one code submission.

    status: "ok" or "failed"; reason: why it failed, written for the participant ("" when ok).
    per_event_seconds: wall-clock seconds of each timed call, keyed by task name (TrackML:
        "event000001000"); the warm-up call is not included. Empty for HiggsML.
    per_event_cpu_seconds: CPU seconds the harness process's threads spent in each timed call
        (its child processes not counted): well above the wall time means several cores were
        used, well below means the call waited (for I/O, or for a busy machine).
    mean_seconds, median_seconds: over per_event_seconds (None when there are none).
    stage_seconds: seconds of the stages that are not per-event timings: start (launch to the
        harness running), setup (launch to Model ready), warmup, and for HiggsML fit, predict.
    peak_memory_mb: peak resident memory of the sandboxed processes, MiB.
    log_tail: the last lines the submission wrote to stdout/stderr.
    n_events: events processed (TrackML events, HiggsML test events).
    confined: whether the run happened inside bubblewrap.
    """

    status: str
    reason: str = ""
    per_event_seconds: dict[str, float] = field(default_factory=dict)
    per_event_cpu_seconds: dict[str, float] = field(default_factory=dict)
    mean_seconds: float | None = None
    median_seconds: float | None = None
    stage_seconds: dict[str, float] = field(default_factory=dict)
    peak_memory_mb: float | None = None
    log_tail: str = ""
    n_events: int = 0
    confined: bool = True

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def set_event_timings(self, seconds: dict[str, float], cpu_seconds: dict[str, float]) -> None:
        self.per_event_seconds = dict(seconds)
        self.per_event_cpu_seconds = dict(cpu_seconds)
        values = list(seconds.values())
        self.mean_seconds = statistics.fmean(values) if values else None
        self.median_seconds = statistics.median(values) if values else None

    def to_dict(self) -> dict:
        """A JSON-able copy."""
        return asdict(self)

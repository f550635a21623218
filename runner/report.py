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
    per_event_cpu_seconds: on-CPU seconds of the submission's whole process tree in each
        timed call (every thread and child process, the exited ones included).
    mean_seconds, median_seconds: over per_event_seconds (None when there are none).
    mean_cpu_seconds: mean of per_event_cpu_seconds, this worker's raw on-CPU s/event.
    normalised_seconds: mean_cpu_seconds * calibration["factor"]: the on-CPU s/event the
        submission would have taken on the reference machine (None without a calibration).
    ranked_seconds: the s/event to rank by: normalised_seconds, or mean_cpu_seconds on an
        uncalibrated worker (see docs/runner.md, "Which seconds are ranked").
    cpu_share: the tree's on-CPU seconds over the wall seconds, all timed calls together:
        about 1 on a quiet CPU, below 1 when the calls waited for a CPU shared with other
        work, above 1 when several threads ran at once.
    calibration: the worker's calibration used (factor, measured and reference seconds,
        when and where measured), None without one.
    cpu: the CPU the run had to itself; accounting: "cgroup v2", "cgroup v1" or "procfs".
    stage_seconds: seconds of the stages that are not per-event timings: start (launch to the
        harness running), setup (launch to Model ready), warmup, and for HiggsML fit, predict.
    stage_cpu_seconds: on-CPU seconds of the tree in warmup (TrackML) or fit and predict.
    peak_memory_mb: peak memory of the whole process tree, MiB (see ``tree``).
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
    mean_cpu_seconds: float | None = None
    normalised_seconds: float | None = None
    ranked_seconds: float | None = None
    cpu_share: float | None = None
    calibration: dict | None = None
    cpu: int | None = None
    accounting: str = ""
    stage_seconds: dict[str, float] = field(default_factory=dict)
    stage_cpu_seconds: dict[str, float] = field(default_factory=dict)
    peak_memory_mb: float | None = None
    log_tail: str = ""
    n_events: int = 0
    confined: bool = True

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def set_event_timings(self, seconds: dict[str, float], cpu_seconds: dict[str, float]) -> None:
        """Per-event wall and on-CPU seconds, and the figures derived from them."""
        self.per_event_seconds = dict(seconds)
        self.per_event_cpu_seconds = dict(cpu_seconds)
        if not seconds:
            return
        self.mean_seconds = statistics.fmean(seconds.values())
        self.median_seconds = statistics.median(seconds.values())
        self.mean_cpu_seconds = statistics.fmean(cpu_seconds.values())
        self.cpu_share = sum(cpu_seconds.values()) / sum(seconds.values())
        factor = self.calibration["factor"] if self.calibration else None
        self.normalised_seconds = None if factor is None else self.mean_cpu_seconds * factor
        self.ranked_seconds = (
            self.normalised_seconds if factor is not None else self.mean_cpu_seconds
        )

    def to_dict(self) -> dict:
        """A JSON-able copy."""
        return asdict(self)

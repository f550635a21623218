"""How a worker machine runs code submissions: the same for every run, unlike ``Limits``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fivesigma.runner.tree import ACCOUNTING


@dataclass(frozen=True)
class Worker:
    """The machine-wide settings of the runner.

    cpu_slots_dir: the lock files that give each timed run a CPU of its own, across every
        process of the machine (``cpuslots``); all workers of a machine must share it.
        None: /run/lock/fivesigma-cpu-slots-<uid> (or under /dev/shm, /tmp).
    calibration_dir: where this machine's calibration is kept (``calibration``); None: no
        calibration, so reports carry raw on-CPU seconds and no normalised figure.
    recalibrate_every: runs between two calibrations.
    accounting: how the process tree is limited and accounted: "auto" (a cgroup when one can
        be made, else /proc), "cgroup" (SandboxUnavailable without one) or "procfs".
    slot_timeout_s: how long a run waits for a free CPU (None: as long as it takes).
    """

    cpu_slots_dir: Path | None = None
    calibration_dir: Path | None = None
    recalibrate_every: int = 20
    accounting: str = "auto"
    slot_timeout_s: float | None = None

    def __post_init__(self):
        if self.accounting not in ACCOUNTING:
            raise ValueError(
                f"Worker.accounting must be one of {', '.join(ACCOUNTING)}, got {self.accounting!r}"
            )
        if not isinstance(self.recalibrate_every, int) or self.recalibrate_every < 1:
            raise ValueError(
                f"Worker.recalibrate_every must be a whole number >= 1, got {self.recalibrate_every!r}"
            )
        if self.slot_timeout_s is not None and not self.slot_timeout_s > 0:
            raise ValueError(f"Worker.slot_timeout_s must be > 0, got {self.slot_timeout_s!r}")

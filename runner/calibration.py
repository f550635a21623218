"""How fast this worker's CPU is, against the reference machine, so that scores do not depend on it.

The reference workload (``workload``) is the seeded TrackML baseline (``reconstruct_seeded``,
numba) on one fixed simulated event: ``simulate_event(1000, seed=0, pileup=200)``, 106,564
hits. It runs in a child process pinned to the CPU of the run, with one thread; the first
call (compilation, caches) is untimed, then the on-CPU seconds of ``REPEATS`` calls are
taken and the least is kept (anything else on the machine can only add time).

    factor = REFERENCE_SECONDS / measured seconds
    normalised seconds per event = on-CPU seconds per event * factor

so a worker twice as fast as the reference machine (measured = REFERENCE_SECONDS / 2) has
factor 2 and reports the seconds the submission would have taken on the reference machine.
The factor is kept in ``<directory>/runner-calibration.json`` and measured again after
``every`` runs, when the file is missing or when it was made on another host, CPU model or
workload. ``python -m fivesigma.runner calibrate`` measures it at a worker's start.
"""

from __future__ import annotations

import fcntl
import json
import os
import platform
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

# On-CPU seconds of one call of the workload on the reference machine (the development VM:
# 2 vCPUs of an AMD EPYC, Python 3.11.7, numpy 2.4, numba 0.68): the least of 5 calls, in 9
# runs on a quiet machine 0.351-0.355 s (0.40-0.46 s while other jobs ran beside it).
REFERENCE_SECONDS = 0.35
# The workload of ``workload`` (not imported here: ``python -m`` would find it loaded twice).
WORKLOAD = "reconstruct_seeded on simulate_event(1000, seed=0, pileup=200)"
FILE_NAME = "runner-calibration.json"
MEASURE_TIMEOUT_S = 600.0


@dataclass
class Calibration:
    """A measured factor: ``factor`` = reference_seconds / measured_seconds (both on-CPU seconds
    of one call of the workload); where and when it was measured; runs timed with it since."""

    factor: float
    measured_seconds: float
    reference_seconds: float
    workload: str
    host: str
    cpu_model: str
    cpu: int
    measured_at: str
    runs_since: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


def cpu_model() -> str:
    """The CPU's model name (/proc/cpuinfo), or the architecture when it has none."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


def measure(cpu: int) -> float:
    """On-CPU seconds of one call of the workload on ``cpu``, measured in a child process
    (numba's compiled kernels are cached where numba caches them for the worker)."""
    env = {
        **os.environ,
        "NUMBA_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    done = subprocess.run(
        [sys.executable, "-m", "fivesigma.runner.workload", "--cpu", str(cpu)],
        env=env,
        capture_output=True,
        text=True,
        timeout=MEASURE_TIMEOUT_S,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the calibration workload failed:\n{done.stderr[-2000:]}")
    return float(json.loads(done.stdout.splitlines()[-1])["seconds"])


class CalibrationStore:
    """The calibration file of one worker machine, shared by its processes (a lock file
    serialises them, so only one measures at a time)."""

    def __init__(self, directory: str | Path, every: int = 20):
        self.directory, self.every = Path(directory), every
        self.path = self.directory / FILE_NAME

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / f"{FILE_NAME}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def load(self) -> Calibration | None:
        """The stored calibration, None when missing or unreadable."""
        try:
            return Calibration(**json.loads(self.path.read_text()))
        except (OSError, ValueError, TypeError):
            return None

    def _save(self, calibration: Calibration) -> None:
        partial = self.path.with_suffix(".partial")
        partial.write_text(json.dumps(calibration.to_dict(), indent=2) + "\n")
        partial.replace(self.path)

    def _fresh(self, calibration: Calibration | None) -> bool:
        return (
            calibration is not None
            and calibration.workload == WORKLOAD
            and calibration.reference_seconds == REFERENCE_SECONDS
            and calibration.host == platform.node()
            and calibration.cpu_model == cpu_model()
            and calibration.runs_since < self.every
        )

    def _measure(self, cpu: int) -> Calibration:
        seconds = measure(cpu)
        return Calibration(
            factor=REFERENCE_SECONDS / seconds,
            measured_seconds=seconds,
            reference_seconds=REFERENCE_SECONDS,
            workload=WORKLOAD,
            host=platform.node(),
            cpu_model=cpu_model(),
            cpu=cpu,
            measured_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )

    def calibrate(self, cpu: int) -> Calibration:
        """Measure now on ``cpu`` (hold that CPU's slot) and store the result."""
        with self._locked():
            calibration = self._measure(cpu)
            self._save(calibration)
            return calibration

    def for_run(self, cpu: int) -> Calibration:
        """The calibration a run on ``cpu`` uses (measured first when stale); counts the run."""
        with self._locked():
            calibration = self.load()
            if calibration is None or not self._fresh(calibration):
                calibration = self._measure(cpu)
            calibration.runs_since += 1
            self._save(calibration)
            return calibration

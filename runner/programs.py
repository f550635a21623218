"""Organisers' programs (scoring and ingestion), run in the sandbox at Codabench's paths.

Real Codabench bundles hard-code the paths of Codabench's compute worker, so a program sees
exactly those (docs/bundles.md, "How programs run"):

- scoring: the program at ``/app/program`` (read-only, the working directory), the hidden
  reference data at ``/app/input/ref`` and the submission (or the ingestion's output) at
  ``/app/input/res`` (read-only), writable ``/app/output`` and ``/app/shared``;
- ingestion: the program at ``/app/program``, the public input data at ``/app/input_data``
  and the participant's unpacked code at ``/app/ingested_program`` (read-only), writable
  ``/app/output`` and ``/app/shared``. The reference data is never mounted for ingestion.

The command is run by ``/bin/sh -c`` after Codabench's substitutions (``SUBSTITUTIONS``), as
nobody, with no network and a clean environment: the worker's Python stack on the PATH, or
the phase's program environment (runner.environments) first. The phase's time and memory
limits hold for the whole process tree (runner.tree), as for participants' code; the
writable folders together hold at most ``Limits.max_output_mb``. A program that crashes,
breaks a limit or leaves no usable output raises ``ProgramFailed``, whose message is the one
line the participant reads; the last 64 KiB of its stdout and stderr are its ``log``, for
organisers. No Django here.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from fivesigma.runner.cgroups import CgroupUnavailable
from fivesigma.runner.cpuslots import CpuSlots
from fivesigma.runner.limits import MB, Limits
from fivesigma.runner.process import ConfinedProcess, TreeLimitExceeded, WallTimeExceeded
from fivesigma.runner.program_output import ProgramOutputError, read_scores
from fivesigma.runner.run_failures import death_reason, limit_hint
from fivesigma.runner.sandbox import (
    HARNESS_DIR,
    Bind,
    Bubblewrap,
    SandboxUnavailable,
    Unconfined,
    View,
    confinement,
)
from fivesigma.runner.tree import CgroupTree, ProcfsTree, Violation, open_tree
from fivesigma.runner.worker_machine import Worker

DEFAULT_WORKER = Worker()
SCORING, INGESTION = "scoring", "ingestion"
APP = "/app"
PROGRAM, OUTPUT, SHARED = f"{APP}/program", f"{APP}/output", f"{APP}/shared"
REFERENCE, PREDICTIONS = f"{APP}/input/ref", f"{APP}/input/res"
INPUT_DATA, INGESTED_PROGRAM = f"{APP}/input_data", f"{APP}/ingested_program"
# Codabench's substitutions in a program's command, longest names first (as plain text
# replacements, so that "$ingestion_program" is not read as "$ingestion" + "_program").
SUBSTITUTIONS = {
    SCORING: {"$input": f"{APP}/input", "$predictions": PREDICTIONS},
    INGESTION: {"$input": INPUT_DATA, "$predictions": OUTPUT},
}
COMMON_SUBSTITUTIONS = {
    "$ingestion_program": PROGRAM,
    "$submission_program": INGESTED_PROGRAM,
    "$program": PROGRAM,
    "$output": OUTPUT,
    "$hidden": REFERENCE,
    "$shared": SHARED,
    "$tmp": OUTPUT,
}
TIMINGS_FILE = "timings.json"  # an ingestion program's self-reported seconds per item
MAX_TIMED_ITEMS = 10_000
MAX_OUTPUT_FILES = 10_000
OUTPUT_CHECK_S = 0.5
REASON_CHARS = 300


@dataclass
class ProgramFolders:
    """Host folders a program sees (all read-only but ``output`` and ``shared``, which are
    made if missing). Scoring: ``reference``, ``predictions``; ingestion: ``input_data``,
    ``ingested_program``."""

    program: Path
    output: Path
    shared: Path
    reference: Path | None = None
    predictions: Path | None = None
    input_data: Path | None = None
    ingested_program: Path | None = None

    def binds(self) -> list[Bind]:
        inside = {
            "program": PROGRAM,
            "reference": REFERENCE,
            "predictions": PREDICTIONS,
            "input_data": INPUT_DATA,
            "ingested_program": INGESTED_PROGRAM,
        }
        binds = [
            Bind(Path(getattr(self, name)), path)
            for name, path in inside.items()
            if getattr(self, name) is not None
        ]
        return binds + [Bind(self.output, OUTPUT, writable=True), Bind(self.shared, SHARED, True)]


@dataclass
class ProgramRun:
    """One run of a program: wall ``seconds`` from launch to exit, its ``exit_code`` (None
    when it was killed), whether it ran out of time, the last 64 KiB of its stdout and stderr
    (``log``), the on-CPU seconds and peak memory (MiB) of its whole process tree."""

    role: str
    seconds: float = 0.0
    exit_code: int | None = None
    timed_out: bool = False
    log: str = ""
    cpu_seconds: float | None = None
    peak_memory_mb: float | None = None
    self_reported: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """As stored in ``run_report["program"][role]`` (docs/bundles.md)."""
        stored: dict[str, object] = {
            "seconds": round(self.seconds, 6),
            "exit_code": self.exit_code,
            "timed_out": self.timed_out,
            "log": self.log,
            "cpu_seconds": self.cpu_seconds,
            "peak_memory_mb": self.peak_memory_mb,
        }
        if self.role == INGESTION:
            stored["self_reported"] = dict(self.self_reported)
        return stored


class ProgramFailed(Exception):
    """An organiser's program crashed, broke a limit, or left no usable output. The message
    is one line for the participant ("scoring program failed: ..."); ``run`` holds the log."""

    def __init__(self, run: ProgramRun, why: str):
        why = " ".join(why.split())
        if len(why) > REASON_CHARS:
            why = why[:REASON_CHARS] + " [...]"
        super().__init__(f"{run.role} program failed: {why}")
        self.run, self.why = run, why


def substitute(command: str, role: str) -> str:
    """``command`` with Codabench's ``$input``, ``$output``, ... replaced by the paths the
    program sees when it runs as ``role``."""
    replacements = {**COMMON_SUBSTITUTIONS, **SUBSTITUTIONS[role]}
    for name in sorted(replacements, key=len, reverse=True):
        command = command.replace(name, replacements[name])
    return command


def run_scoring(
    command: str,
    folders: ProgramFolders,
    *,
    limits: Limits,
    environment: Path | None = None,
    worker: Worker = DEFAULT_WORKER,
    sandbox: Bubblewrap | None = None,
) -> tuple[ProgramRun, dict[str, float | None], dict[str, float | None]]:
    """Run a scoring program; its run and the (public, private) scores it wrote
    (runner.program_output). Raises ProgramFailed, or SandboxUnavailable."""
    run = run_program(SCORING, command, folders, limits=limits, environment=environment,
                      worker=worker, sandbox=sandbox)  # fmt: skip
    try:
        public, private = read_scores(folders.output)
    except ProgramOutputError as error:
        raise ProgramFailed(run, str(error)) from None
    return run, public, private


def run_ingestion(
    command: str,
    folders: ProgramFolders,
    *,
    limits: Limits,
    environment: Path | None = None,
    worker: Worker = DEFAULT_WORKER,
    sandbox: Bubblewrap | None = None,
) -> ProgramRun:
    """Run an ingestion program on a participant's code; its run, with the per-item seconds
    it reported itself in ``output/timings.json`` (``self_reported``). Raises ProgramFailed,
    or SandboxUnavailable."""
    run = run_program(INGESTION, command, folders, limits=limits, environment=environment,
                      worker=worker, sandbox=sandbox)  # fmt: skip
    run.self_reported = read_timings(folders.output, run)
    return run


def run_program(
    role: str,
    command: str,
    folders: ProgramFolders,
    *,
    limits: Limits,
    environment: Path | None = None,
    worker: Worker = DEFAULT_WORKER,
    sandbox: Bubblewrap | Unconfined | None = None,
) -> ProgramRun:
    """Run ``command`` as a ``role`` program in the sandbox and wait for it; raise
    ProgramFailed unless it exits with status 0 within its limits. Programs need bubblewrap
    (their paths exist only in the sandbox): SandboxUnavailable without it."""
    sandbox = sandbox or confinement(allow_unconfined=False)
    if not isinstance(sandbox, Bubblewrap):
        raise SandboxUnavailable("organisers' programs run only inside bubblewrap")
    for folder in (folders.output, folders.shared):
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o777)  # written by the sandbox's user (nobody)
    run = ProgramRun(role)
    with tempfile.TemporaryDirectory(prefix=f"fivesigma-{role}-") as tmp:
        slots = CpuSlots(worker.cpu_slots_dir)
        with slots.acquire(limits.cpu, worker.slot_timeout_s) as cpu:
            try:
                tree = open_tree(worker.accounting, limits, cpu)
            except CgroupUnavailable as exc:
                raise SandboxUnavailable(str(exc)) from None
            with tree:
                rlimits = limits.rlimits(tree_limits_processes=tree.enforces_processes)
                view = View(
                    [Bind(HARNESS_DIR, "/sandbox/lib/harness"), *folders.binds()],
                    ["-B", "-s", "-S", "-m", "harness.launch", "--limits", json.dumps(rlimits)]
                    + ["--cpu", str(cpu), "--", "/bin/sh", "-c", substitute(command, role)],
                    cwd=PROGRAM,
                    environment=environment,
                )
                launch = sandbox.confine(view, Path(tmp), int(limits.max_output_mb * MB))
                with ConfinedProcess(launch, tree, cpu) as process:
                    why = _wait(process, limits, folders, run)
                    run.seconds = time.monotonic() - process.started
                    run.cpu_seconds = _cpu_seconds(tree)
                run.peak_memory_mb = round(process.peak_memory_mb, 1)
                run.log = process.log.tail()
    if why is None and run.exit_code == 1 and run.log.startswith("bwrap: "):
        raise SandboxUnavailable(f"the sandbox did not start: {run.log.strip()[:500]}")
    if why is not None:
        raise ProgramFailed(run, why)
    if run.exit_code != 0:
        raise ProgramFailed(run, exit_reason(run.exit_code, run.log, limits))
    return run


def _wait(
    process: ConfinedProcess, limits: Limits, folders: ProgramFolders, run: ProgramRun
) -> str | None:
    """Wait for the program; why it was killed (time, a limit of its tree, too much
    output), else None with ``run.exit_code`` set."""
    last_look = [time.monotonic()]

    def output_within_limit() -> None:
        if time.monotonic() - last_look[0] < OUTPUT_CHECK_S:
            return
        last_look[0] = time.monotonic()
        if (excess := output_excess([folders.output, folders.shared], limits)) is not None:
            process.kill()
            raise OutputExceeded(excess)

    try:
        run.exit_code = process.wait(process.started + limits.time_limit_s, output_within_limit)
    except WallTimeExceeded:
        run.timed_out = True
        return f"did not finish within the time limit of {limits.time_limit_s:g} s and was stopped"
    except TreeLimitExceeded as exc:
        return tree_reason(exc.violation, limits)
    except OutputExceeded as exc:
        return str(exc)
    excess = output_excess([folders.output, folders.shared], limits)
    return excess


class OutputExceeded(Exception):
    """The writable folders went over their limit; the program has been killed."""


def output_excess(folders: list[Path], limits: Limits) -> str | None:
    """Why the files in ``folders`` are too many or too large together, else None (the
    disk blocks they use, so a sparse file counts what it really takes)."""
    count, used = 0, 0
    pending = [str(f) for f in folders]
    while pending:
        with os.scandir(pending.pop()) as entries:
            for entry in entries:
                count += 1
                info = entry.stat(follow_symlinks=False)
                used += info.st_blocks * 512
                if stat.S_ISDIR(info.st_mode):
                    pending.append(entry.path)
                if count > MAX_OUTPUT_FILES:
                    return f"wrote more than {MAX_OUTPUT_FILES} files in output/ and shared/"
    if used > limits.max_output_mb * MB:
        return (
            f"wrote more than the output limit of {limits.max_output_mb} MB "
            "in output/ and shared/ together"
        )
    return None


def tree_reason(violation: Violation, limits: Limits) -> str:
    """Why a program's process tree was stopped over a limit."""
    if violation.what == "memory":
        return (
            f"used more than the memory limit of {limits.memory_limit_mb} MB (its processes "
            f"together, peak {violation.peak_mb:.0f} MB) and was stopped"
        )
    if violation.what == "cpu":
        return f"exceeded the CPU-time limit of {limits.cpu_seconds} s and was stopped"
    return f"started more than {limits.max_processes} processes and threads at once"


MISSING_MODULE = re.compile(r"ModuleNotFoundError: No module named '([^']+)'")
EXCEPTION_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt)\b):?\s*(.*)$")


def exit_reason(code: int | None, log: str, limits: Limits) -> str:
    """Why a program that exited by itself with ``code`` != 0 failed, from its log: the
    module it could not import, the last exception it printed, or its last line."""
    if code is not None and code > 128:
        return death_reason(code, limits, "while running")
    missing = MISSING_MODULE.findall(log)
    if missing:
        return (
            f"it imports the module '{missing[-1]}', which its environment does not have "
            "(the organisers can name the package in a requirements.txt next to the program)"
        )
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    exceptions = [m for line in lines if (m := EXCEPTION_LINE.match(line))]
    if exceptions:
        kind, message = exceptions[-1].group(1), exceptions[-1].group(2)
        hint = limit_hint(kind.rsplit(".", 1)[-1], None, limits)
        text = f"{kind}: {message}".rstrip(": ")
        return f"exited with status {code} ({text}){f'; {hint}' if hint else ''}"
    last = f": {lines[-1]}" if lines else " and printed nothing"
    return f"exited with status {code}{last}"


def read_timings(output: Path, run: ProgramRun) -> dict[str, float]:
    """The per-item seconds an ingestion program reported in ``output/timings.json`` (an
    object of item name -> seconds), or {}; what is wrong with the file is noted in the
    run's log, never a failure (the figures are the program's own, labelled self-reported)."""
    path = output / TIMINGS_FILE
    try:
        info = path.lstat()
    except FileNotFoundError:
        return {}
    problem = None
    if not stat.S_ISREG(info.st_mode) or info.st_size > 2_000_000:
        problem = "is not a regular file of at most 2 MB"
    else:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as error:
            raw, problem = None, f"cannot be read ({str(error)[:100]})"
        if problem is None and not (isinstance(raw, dict) and len(raw) <= MAX_TIMED_ITEMS):
            problem = f"must be an object of at most {MAX_TIMED_ITEMS} items: name -> seconds"
        if problem is None:
            bad = [
                k
                for k, v in raw.items()
                if isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= v < math.inf
            ]
            problem = f"item '{str(bad[0])[:80]}' is not a number of seconds >= 0" if bad else None
    if problem is not None:
        run.log += f"\n[platform] output/{TIMINGS_FILE} {problem}; no self-reported timings kept\n"
        return {}
    return {str(k)[:200]: float(v) for k, v in raw.items()}


def _cpu_seconds(tree: CgroupTree | ProcfsTree) -> float | None:
    """The tree's on-CPU seconds, exited processes included: known from a cgroup only."""
    if not isinstance(tree, CgroupTree):
        return None
    try:
        return round(tree.cpu_seconds(), 6)
    except OSError:
        return None

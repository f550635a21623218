"""Running the targets under libFuzzer in child processes and counting what happened.

A libFuzzer process stops at its first crash; a campaign starts it again (with a new seed and
the corpus grown so far) until the time given to the target is spent, and counts the crashes
by signature (exception type and innermost frame, or timeout / out of memory), so the same
bug found twice counts once. Each crash's input and output are kept in the target's
``crashes`` folder.
"""

from __future__ import annotations

import hashlib
import json
import re
import resource
import secrets
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MAX_LEN = 65536  # bytes: the largest input libFuzzer makes
TIMEOUT_S = 10  # one input running longer is a hang
RSS_LIMIT_MB = 2048  # the process growing past this is unbounded memory
MAX_RESTARTS = 20  # crashes after which a campaign stops fuzzing a target


@dataclass
class Session:
    """One libFuzzer process: inputs executed, and the crash that ended it (None: clean) with
    the input that caused it (or the session's output when libFuzzer wrote no input)."""

    runs: int
    crash: str | None
    artifact: str | None
    output: str


@dataclass
class TargetResult:
    target: str
    seconds: float
    cpu_seconds: float
    runs: int
    sessions: int
    corpus: int
    crashes: dict[str, str | None] = field(default_factory=dict)


def write_seeds(seeds: list[bytes], corpus: Path) -> None:
    """The seed inputs as files named by their SHA-1, as libFuzzer names its corpus."""
    corpus.mkdir(parents=True, exist_ok=True)
    for seed in seeds:
        (corpus / hashlib.sha1(seed).hexdigest()).write_bytes(seed)


def fuzz_session(
    name: str,
    corpus: Path,
    artifacts: Path,
    *,
    runs: int | None = None,
    seconds: int | None = None,
    seed: int = 0,
    env: dict | None = None,
) -> Session:
    """Fuzz ``name`` from ``corpus`` (which grows) for ``runs`` inputs or ``seconds``."""
    artifacts.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable, "-m", "fuzz", "run", name, str(corpus),
        f"-artifact_prefix={artifacts}/", f"-max_len={MAX_LEN}", f"-timeout={TIMEOUT_S}",
        f"-rss_limit_mb={RSS_LIMIT_MB}", f"-seed={seed}", "-print_final_stats=1",
    ]  # fmt: skip
    if runs is not None:
        command.append(f"-runs={runs}")
    if seconds is not None:
        command.append(f"-max_total_time={seconds}")
    done = subprocess.run(
        command,
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    )
    output = done.stdout
    written = re.search(r"Test unit written to (\S+)", output)
    crash = crash_signature(output, done.returncode)
    artifact = written[1] if written else None
    if crash:  # the output beside the input (alone when libFuzzer wrote no input)
        log = Path(f"{artifact}.log") if artifact else artifacts / f"session-{seed}.log"
        log.write_text(without_progress(output))
        artifact = artifact or str(log)
    return Session(executed(output), crash, artifact, output)


def without_progress(output: str, last: int = 400) -> str:
    """The last ``last`` lines of libFuzzer's output that are not progress lines (#N ...)."""
    kept = [line for line in output.splitlines() if not re.match(r"#\d+\s", line)]
    return "\n".join(kept[-last:]) + "\n"


def executed(output: str) -> int:
    """Inputs run, from the final statistics (or the last progress line of a killed process)."""
    final = re.search(r"stat::number_of_executed_units:\s*(\d+)", output)
    if final:
        return int(final[1])
    progress = re.findall(r"^#(\d+)\s", output, re.MULTILINE)
    return int(progress[-1]) if progress else 0


def crash_signature(output: str, returncode: int) -> str | None:
    """What ended the session: ``Type at file:line`` for an exception, timeout, out of memory."""
    if "Uncaught Python exception" in output:
        trace = output.split("Uncaught Python exception", 1)[1]
        kind = re.search(r"^(\w[\w.]*)(?::|$)", trace.split("\n", 1)[1], re.MULTILINE)
        frames = re.findall(r'File "([^"]+)", line (\d+)', trace)
        readers = [frame for frame in frames if _is_reader(frame[0])]
        signature = kind[1] if kind else "exception"
        if readers:
            signature += f" from {_place(*readers[-1])}"
        if frames and frames[-1] not in readers:
            signature += f" in {_place(*frames[-1])}"
        return signature
    if "libFuzzer: timeout" in output:
        return f"timeout (an input ran over {TIMEOUT_S} s)"
    if "libFuzzer: out-of-memory" in output:
        return f"out of memory (over {RSS_LIMIT_MB} MB)"
    error = re.search(r"ERROR: libFuzzer: (.+)", output)
    if error:
        return error[1].strip()
    return f"exit code {returncode}" if returncode else None


def _is_reader(path: str) -> bool:
    """A frame of the project's own code, not of the fuzz targets or installed packages."""
    inside = Path(path).is_relative_to(REPO)
    return inside and Path(path).relative_to(REPO).parts[0] not in ("fuzz", ".venv")


def _place(path: str, line: str) -> str:
    shown = Path(path).relative_to(REPO) if _is_reader(path) else Path(path).name
    return f"{shown}:{line}"


def campaign(targets: dict, names: list[str], seconds: float, workdir: Path) -> list[TargetResult]:
    """Fuzz each of ``names`` for ``seconds`` (wall time, restarts included)."""
    results = []
    for name in names:
        corpus, artifacts = workdir / name / "corpus", workdir / name / "crashes"
        write_seeds(targets[name].seeds(), corpus)
        started, cpu_before = time.monotonic(), _children_cpu()
        result = TargetResult(name, 0.0, 0.0, 0, 0, 0)
        while (left := seconds - (time.monotonic() - started)) >= 1:
            session = fuzz_session(
                name, corpus, artifacts, seconds=int(left), seed=secrets.randbelow(2**31)
            )
            result.runs += session.runs
            result.sessions += 1
            if session.crash is None:
                break
            result.crashes.setdefault(session.crash, session.artifact)
            print(f"{name}: {session.crash} ({session.artifact})", file=sys.stderr)
            if result.sessions > MAX_RESTARTS:
                break
        result.seconds = round(time.monotonic() - started, 1)
        result.cpu_seconds = round(_children_cpu() - cpu_before, 1)
        result.corpus = sum(1 for _ in corpus.iterdir())
        results.append(result)
    (workdir / "summary.json").write_text(json.dumps([asdict(r) for r in results], indent=2))
    return results


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def table(results: list[TargetResult]) -> str:
    """The results as a Markdown table (docs/reliability.md quotes one)."""
    lines = [
        "| target | wall s | CPU s | inputs run | corpus | crashes |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        crashes = "; ".join(r.crashes) or "0"
        lines.append(
            f"| {r.target} | {r.seconds:.0f} | {r.cpu_seconds:.0f} | {r.runs:,} | {r.corpus} | {crashes} |"
        )
    return "\n".join(lines)

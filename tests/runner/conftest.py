"""Synthetic phase data and submission zips for the runner tests (small, so the suite stays fast)."""

from __future__ import annotations

import hashlib
import os
import textwrap
import time
from pathlib import Path

import pytest

from fivesigma.runner import Limits, run_submission
from fivesigma.runner.sandbox import find_bubblewrap
from tests.builders.submissions import make_zip
from tests.builders.trackml_files import write_trackml_event

EVENTS = (1000, 1001)
N_HITS = 300
TRUTH_MARKER = "TRUTH-5f1gma-only-on-the-host"

# In CI bubblewrap must be there: a missing one fails these tests instead of skipping them.
needs_bwrap = pytest.mark.skipif(
    find_bubblewrap() is None and os.environ.get("CI", "").lower() != "true",
    reason="bubblewrap is not installed",
)

# Short limits: every sandbox rule is hit within seconds.
FAST = Limits(time_limit_s=30, memory_limit_mb=1024, max_processes=32, max_output_mb=8, cpu=0)


@pytest.fixture
def phase(tmp_path) -> dict[str, Path]:
    """A phase on the host: input/ (what the sandbox sees), truth/ next to it (what it must not)."""
    input_dir, truth_dir = tmp_path / "phase" / "input", tmp_path / "phase" / "truth"
    input_dir.mkdir(parents=True)
    truth_dir.mkdir()
    for event_id in EVENTS:
        write_trackml_event(input_dir, event_id, N_HITS)
        (truth_dir / f"event{event_id:09d}-truth.csv").write_text(
            f"hit_id,particle_id\n1,{TRUTH_MARKER}\n"
        )
    media = tmp_path / "media"
    media.mkdir(exist_ok=True)
    (media / "other-team-submission.zip").write_text(TRUTH_MARKER)
    return {"input": input_dir, "truth": truth_dir, "root": tmp_path, "media": media}


def submission(body: str) -> str:
    """submission.py source: imports, then the dedented body (which defines class Model)."""
    return "import json, os, sys, time\nimport numpy as np\n" + textwrap.dedent(body)


def tree_digest(root: Path, skip: Path | None = None) -> dict[str, str]:
    """sha256 of every file under root (except under skip), to prove nothing changed."""
    digest = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not (skip and path.is_relative_to(skip)):
            digest[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digest


def sandbox_processes(marker: str) -> list[str]:
    """Processes whose mounts include a path containing marker (a sandbox of this test).

    Waits up to 2 s for processes of a killed sandbox to finish dying."""
    deadline = time.monotonic() + 2
    while True:
        alive = []
        for entry in os.scandir("/proc"):
            if entry.name.isdigit() and int(entry.name) != os.getpid():
                try:
                    if marker in Path(entry.path, "mountinfo").read_text():
                        alive.append(
                            f"{entry.name}: {Path(entry.path, 'cmdline').read_bytes()[:200]!r}"
                        )
                except OSError:
                    continue
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.05)


@pytest.fixture
def run_code(phase, tmp_path):
    """Run submission.py source (or a files dict) in the sandbox on the phase; check the host after."""

    def run(
        source: str | dict,
        limits: Limits = FAST,
        harness: str = "trackml",
        input_dir: Path | None = None,
        **kwargs,
    ):
        files = {"submission.py": source} if isinstance(source, str) else source
        code = make_zip(tmp_path / "code.zip", files)
        output = tmp_path / "output"
        before = tree_digest(phase["root"], skip=output)
        report = run_submission(
            code, input_dir or phase["input"], output, harness=harness, limits=limits, **kwargs
        )
        assert tree_digest(phase["root"], skip=output) == before, (
            "the run changed files on the host"
        )
        marker = str(phase["input"].relative_to(phase["root"].parent))
        assert sandbox_processes(marker) == [], "sandbox processes survived the run"
        return report

    return run

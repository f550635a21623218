"""What a built-in challenge kind is: the pieces the platform needs to host one.

A kind names its metrics (``fivesigma.scoring.registry`` keys), the built-in harness its code
phases run under, the generator of its demo data, its reference baselines and its starter kit.
Nothing here imports Django: the science pieces are referenced, not run, until asked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

# Demo data sizes every kind understands: full for `make run`, small for a quick look, tiny
# for the automated test of setup_demo (seconds of data).
DEMO_SIZES = ("full", "small", "tiny")


@dataclass(frozen=True)
class Baseline:
    """A reference solution submitted to a demo phase as an unranked benchmark row.

    ``make(data_dir, scratch_dir)`` writes the submission (a result file, or a code zip for a
    code phase) and returns its path; ``code`` baselines run in the sandbox (``tiny`` demos
    leave them out).
    """

    label: str  # shown as "Baseline: <label>"
    phase: str  # key of the demo bundle's phase
    make: Callable[[Path, Path], Path]
    code: bool = False


@dataclass(frozen=True)
class Kind:
    key: str  # also the demo bundle's folder under bundles/ and the starter kit's name
    title: str
    metrics: tuple[str, ...]
    harness: str | None  # built-in runner harness of its code phases
    # (data dir, demo size, progress) -> the bundle's data files; progress(text) says where
    # the generator is ("simulating ztautau"), for the demo's preparation page and terminal
    generate: Callable[[Path, str, Callable[[str], None]], None]
    baselines: tuple[Baseline, ...] = field(default=())

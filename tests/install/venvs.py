"""Clean virtual environments for the install tests.

Each is made with ``python -m venv`` from the interpreter behind the project's own
environment (so nothing of the project's environment leaks in) and filled by pip from the
package index; pip's cache makes a second run quick. Commands run with that environment
first on PATH, the project's environment and PYTHONPATH removed, as in a participant's shell.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BASE_PYTHON = getattr(sys, "_base_executable", sys.executable)  # not the project's venv
INSTALL_SECONDS = 900  # one pip install into an empty environment, at most


def clean_environment(venv: Path | None = None) -> dict[str, str]:
    """``os.environ`` without the project's environment (and with ``venv`` activated)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "DJANGO_SETTINGS_MODULE")
    }
    project_bin = str(Path(sys.prefix) / "bin")
    path = [p for p in env.get("PATH", "").split(os.pathsep) if p and p != project_bin]
    if venv is not None:
        env["VIRTUAL_ENV"] = str(venv)
        path.insert(0, str(venv / "bin"))
    env["PATH"] = os.pathsep.join(path)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def run(argv: list[str], cwd: Path, venv: Path | None = None, timeout: float = 600):
    """Run ``argv`` in ``cwd`` in the clean environment; the completed process."""
    return subprocess.run(
        argv,
        cwd=cwd,
        env=clean_environment(venv),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def make_venv(path: Path) -> Path:
    """A new, empty virtual environment at ``path``."""
    done = run([BASE_PYTHON, "-m", "venv", str(path)], cwd=path.parent)
    assert done.returncode == 0, done.stderr
    return path


def pip_install(venv: Path, *requirements: str, cwd: Path) -> None:
    done = run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", *requirements],
        cwd=cwd,
        venv=venv,
        timeout=INSTALL_SECONDS,
    )
    assert done.returncode == 0, (
        f"pip install {' '.join(requirements)}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )


def copy_checkout(target: Path) -> Path:
    """The checkout's files (tracked, and new ones git does not ignore) copied to ``target``,
    so that building the project leaves nothing behind in the checkout."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def site_scores(metric_key: str, solution_path, submission_path, **context) -> dict:
    """What the site's worker computes for a result file (challenges.engine.worker.score),
    computed here by the project's own scorer."""
    from fivesigma.scoring import registry

    metric = registry.get(metric_key)
    solution = metric.read_solution(solution_path)
    submission = metric.read_submission(submission_path)
    metric.check(solution, submission)
    return metric.evaluate(solution, submission, **context)

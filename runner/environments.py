"""Python environments for organisers' programs, one per set of requirements.

A scoring or ingestion program runs with the worker's own Python and packages (numpy, scipy,
pandas, scikit-learn, matplotlib, pillow, psutil, pyyaml). A program that needs more names it
in a ``requirements.txt``; ``ensure`` then builds, once, a virtual environment holding those
packages on top of the worker's, under ``root/<id>`` where the id is the SHA-256 of the
requirements (comments, blank lines and order aside), and the sandbox mounts it read-only.
Building happens outside the sandbox, from the package index, when the bundle is loaded.

    folder = ensure("lightgbm==4.5.0\n", Path("var/envs"))
    folder / "bin" / "python"   # the program's interpreter

The environment is made by the interpreter running this (``--system-site-packages``), and a
``.pth`` file adds the worker's own site-packages after its own, so the worker's packages
are importable even when the worker itself runs in a virtual environment, and a package the
requirements pin takes precedence. No Django here.
"""

from __future__ import annotations

import fcntl
import hashlib
import re
import shutil
import site
import subprocess
import sys
import tempfile
from pathlib import Path

READY = ".ready"  # written last: an environment without it is a build that did not finish
PIP_TIMEOUT_S = 900.0
WORKER_PACKAGES_PTH = "fivesigma-worker-packages.pth"


class EnvironmentBuildError(Exception):
    """The requirements could not be installed; the message names the package."""


def normalise(requirements_text: str) -> str:
    """The requirement lines without comments, blank lines, repeats or order: what the
    environment's id is computed from."""
    text = re.sub(r"\\\n", "", requirements_text)  # a line continued with a backslash
    lines = {re.sub(r"(^|\s)#.*$", "", line).strip() for line in text.splitlines()}
    return "\n".join(sorted(line for line in lines if line))


def environment_id(requirements_text: str) -> str:
    return hashlib.sha256(normalise(requirements_text).encode()).hexdigest()


def ensure(requirements_text: str, root: Path, timeout_s: float = PIP_TIMEOUT_S) -> Path:
    """The environment for ``requirements_text`` under ``root``, built if it is not there;
    raise EnvironmentBuildError naming the package pip could not install. Safe to call from
    several processes at once: one builds, the others wait for it."""
    requirements = normalise(requirements_text)
    folder = Path(root) / environment_id(requirements_text)
    if (folder / READY).is_file():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.parent / f"{folder.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (folder / READY).is_file():
            return folder
        shutil.rmtree(folder, ignore_errors=True)  # what a build that did not finish left
        try:
            _create(folder)
            _install(folder, requirements, timeout_s)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        (folder / "requirements.txt").write_text(requirements + "\n")
        (folder / READY).write_text(f"built by {sys.executable}\n")
    return folder


def python(folder: Path) -> Path:
    """The interpreter of the environment in ``folder``."""
    return folder / "bin" / "python"


def _create(folder: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", "--system-site-packages", str(folder)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    own = subprocess.run(
        [str(python(folder)), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.strip()
    worker = [p for p in site.getsitepackages() if Path(p).is_dir()]
    # "import" lines of a .pth file run: addsitedir also reads the worker's own .pth files
    lines = [f"import site; site.addsitedir({p!r})" for p in worker]
    (Path(own) / WORKER_PACKAGES_PTH).write_text("\n".join(lines) + "\n")


def _install(folder: Path, requirements: str, timeout_s: float) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as listing:
        listing.write(requirements + "\n")
    command = [
        sys.executable,
        "-m",
        "pip",
        "--python",
        str(python(folder)),
        "install",
        "--disable-pip-version-check",
        "--no-input",
        "--progress-bar",
        "off",
        "-r",
        listing.name,
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        raise EnvironmentBuildError(
            f"installing the requirements took longer than {timeout_s:.0f} s"
        ) from None
    finally:
        Path(listing.name).unlink(missing_ok=True)
    if done.returncode != 0:
        raise EnvironmentBuildError(_why(done.stdout + "\n" + done.stderr))


def _why(output: str) -> str:
    """What pip could not install, from its output."""
    missing = re.search(r"No matching distribution found for (\S+)", output)
    if missing:
        return (
            f"pip could not install '{missing.group(1)}': no such package, or no version of it "
            "for this Python, in the package index"
        )
    errors = [line.removeprefix("ERROR: ") for line in output.splitlines() if "ERROR" in line]
    last = errors[-1] if errors else (output.strip().splitlines() or ["no output"])[-1]
    return f"pip could not install the requirements: {last[:300]}"

"""Program environments: one per set of requirements, built once, with the worker's packages
importable and the requirements' own installed on top. No network: the requirements name a
package the worker has already, a wheel written here, or a package pip cannot find with
``--no-index``."""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from fivesigma.runner import environments

pytestmark = pytest.mark.slow  # each build runs pip: 2 to 5 s


def run(folder: Path, code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(environments.python(folder)), "-c", code], capture_output=True, text=True, timeout=120
    )


def test_the_id_ignores_comments_blank_lines_and_order():
    a = environments.environment_id("numpy\n# plots\nmatplotlib>=3  # figures\n\n")
    b = environments.environment_id("matplotlib>=3\nnumpy\n")
    assert a == b == hashlib.sha256(b"matplotlib>=3\nnumpy").hexdigest()
    assert environments.environment_id("numpy==2.0\n") != a


def test_an_installed_requirement_builds_once_and_sees_the_workers_packages(tmp_path):
    folder = environments.ensure("numpy\n", tmp_path)
    assert folder == tmp_path / environments.environment_id("numpy")
    done = run(folder, "import numpy, scipy, pandas, sklearn, fivesigma.scoring; print('ok')")
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
    ready = (folder / environments.READY).stat().st_mtime_ns
    assert environments.ensure("# again\nnumpy\n", tmp_path) == folder
    assert (folder / environments.READY).stat().st_mtime_ns == ready  # not built again


def wheel(tmp_path: Path, name: str = "fstinypkg", version: str = "1.0") -> Path:
    """A pure-Python wheel written by hand: one module and its metadata."""
    path = tmp_path / f"{name}-{version}-py3-none-any.whl"
    info = f"{name}-{version}.dist-info"
    files = {
        f"{name}.py": b"ANSWER = 42\n",
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = [
        f"{n},sha256={base64.urlsafe_b64encode(hashlib.sha256(c).digest()).rstrip(b'=').decode()},{len(c)}"
        for n, c in files.items()
    ]
    files[f"{info}/RECORD"] = ("\n".join([*record, f"{info}/RECORD,,"]) + "\n").encode()
    with zipfile.ZipFile(path, "w") as archive:
        for n, c in files.items():
            archive.writestr(n, c)
    return path


def test_a_requirement_from_a_local_wheel_is_installed_into_the_environment(tmp_path):
    folder = environments.ensure(f"{wheel(tmp_path)}\n", tmp_path / "envs")
    done = run(folder, "import fstinypkg, numpy; print(fstinypkg.ANSWER)")
    assert done.returncode == 0 and done.stdout.strip() == "42", done.stderr
    worker = subprocess.run(
        [sys.executable, "-c", "import fstinypkg"], capture_output=True, timeout=60
    )
    assert worker.returncode != 0  # installed in the environment only


def test_a_package_pip_cannot_find_is_named_and_leaves_nothing(tmp_path):
    with pytest.raises(environments.EnvironmentBuildError, match="'no-such-package-fs'"):
        environments.ensure("--no-index\nno-such-package-fs\n", tmp_path)
    assert not [p for p in tmp_path.iterdir() if p.is_dir()]

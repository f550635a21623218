"""Starter kits: the zip opens, holds the README and the code, and the README's commands run."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from fivesigma.baselines.starter_kit import build
from fivesigma.baselines.starter_kit.__main__ import main
from fivesigma.baselines.starter_kit.closure import dependency_closure
from tests.baselines.test_higgsml import FEATURES, synthetic_events


def readme_blocks(readme: str, language: str) -> list[str]:
    """The fenced code blocks of ``language`` in a Markdown text."""
    return re.findall(rf"```{language}\n(.*?)```", readme, flags=re.S)


def shell_commands(readme: str) -> list[str]:
    """Every command line of the README's bash blocks except package installation."""
    lines = [line.strip() for block in readme_blocks(readme, "bash") for line in block.splitlines()]
    return [line for line in lines if line and not line.startswith(("#", "pip "))]


def extract(kit: Path, into: Path) -> Path:
    with zipfile.ZipFile(kit) as archive:
        archive.extractall(into)
    (folder,) = into.iterdir()
    return folder


def run_in(folder: Path, argv: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(argv, cwd=folder, capture_output=True, text=True, timeout=240)


@pytest.fixture(scope="module")
def higgsml_kit(tmp_path_factory) -> Path:
    """The HiggsML kit, built and extracted, with small data in data/."""
    directory = tmp_path_factory.mktemp("kit")
    kit = build("higgsml", directory / "higgsml-kit.zip")
    folder = extract(kit, directory / "unpacked")
    (folder / "data").mkdir()
    events = synthetic_events(4000, seed=7)
    events.iloc[:3000].to_csv(folder / "data" / "training.csv", index=False)
    events.iloc[3000:][["EventId", *FEATURES]].to_csv(folder / "data" / "test.csv", index=False)
    return folder


def test_higgsml_kit_holds_readme_code_and_requirements(higgsml_kit):
    assert higgsml_kit.name == "higgsml-starter-kit"
    for name in (
        "README.md",
        "requirements.txt",
        "fivesigma/baselines/higgsml/__main__.py",
        "fivesigma/baselines/higgsml/methods.py",
        "fivesigma/scoring/kernels/ams.py",
        "fivesigma/scoring/__main__.py",
    ):
        assert (higgsml_kit / name).is_file(), name
    requirements = (higgsml_kit / "requirements.txt").read_text().split()
    assert {"numpy", "pandas", "scikit-learn", "xgboost"} <= set(requirements)
    assert "django" not in requirements
    # only what the commands import
    assert not (higgsml_kit / "fivesigma" / "baselines" / "starter_kit").exists()
    assert not (higgsml_kit / "fivesigma" / "challenges").exists()


def test_higgsml_kit_code_is_identical_to_the_project(higgsml_kit):
    root = Path(__file__).resolve().parents[2]
    for path in (higgsml_kit / "fivesigma").rglob("*.py"):
        relative = path.relative_to(higgsml_kit / "fivesigma")
        source = root / ("fivesigma" if relative.parts == ("__init__.py",) else "") / relative
        assert path.read_bytes() == source.read_bytes(), relative


def test_kit_modules_come_from_the_kit_not_the_installed_project(higgsml_kit):
    probe = run_in(
        higgsml_kit,
        [
            sys.executable,
            "-c",
            "import fivesigma.baselines.higgsml, fivesigma.scoring.kernels.ams; "
            "print(fivesigma.baselines.higgsml.__file__)",
        ],
    )
    assert probe.returncode == 0, probe.stderr
    assert Path(probe.stdout.strip()).is_relative_to(higgsml_kit)


@pytest.mark.slow
def test_higgsml_readme_commands_run(higgsml_kit):
    readme = (higgsml_kit / "README.md").read_text()
    commands = shell_commands(readme)
    assert any("python -m fivesigma.scoring score ams" in c for c in commands)
    assert any(" split " in c for c in commands)
    assert {"window", "bdt", "xgboost"} <= {
        c.split()[3] for c in commands if c.startswith("python -m fivesigma.baselines.higgsml")
    }
    for command in commands:
        argv = command.split()
        assert argv[0] == "python", command
        done = run_in(higgsml_kit, [sys.executable, *argv[1:]])
        assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
        if argv[2] == "fivesigma.scoring":
            assert re.search(r"public\D+\d+\.\d+", done.stdout, flags=re.I), done.stdout
            assert re.search(r"private\D+\d+\.\d+", done.stdout, flags=re.I), done.stdout
        elif argv[3] in ("window", "bdt", "xgboost"):
            assert "validation AMS" in done.stdout
    assert (higgsml_kit / "submission.csv").is_file()
    for block in readme_blocks(readme, "python"):
        done = run_in(higgsml_kit, [sys.executable, "-c", block])
        assert done.returncode == 0, done.stderr


def test_dependency_closure_follows_relative_and_package_imports(tmp_path):
    (tmp_path / "fivesigma").mkdir()
    (tmp_path / "fivesigma" / "__init__.py").write_text('"""docs only"""\n')
    (tmp_path / "scoring" / "inner").mkdir(parents=True)
    (tmp_path / "scoring" / "__init__.py").write_text("from .inner import helper\n")
    (tmp_path / "scoring" / "inner" / "__init__.py").write_text("from . import helper\n")
    (tmp_path / "scoring" / "inner" / "helper.py").write_text(
        "import yaml\nimport json\nfrom fivesigma.runner import limits\n\ndef f():\n    import sklearn\n"
    )
    (tmp_path / "runner").mkdir()
    (tmp_path / "runner" / "__init__.py").write_text("")
    (tmp_path / "runner" / "limits.py").write_text("import numpy\n")
    (tmp_path / "scoring" / "unused.py").write_text("import torch\n")
    files, requirements = dependency_closure(tmp_path, ["fivesigma.scoring"])
    assert {
        inside.as_posix(): source.relative_to(tmp_path).as_posix()
        for inside, source in files.items()
    } == {
        "fivesigma/__init__.py": "fivesigma/__init__.py",
        "fivesigma/runner/__init__.py": "runner/__init__.py",
        "fivesigma/runner/limits.py": "runner/limits.py",
        "fivesigma/scoring/__init__.py": "scoring/__init__.py",
        "fivesigma/scoring/inner/__init__.py": "scoring/inner/__init__.py",
        "fivesigma/scoring/inner/helper.py": "scoring/inner/helper.py",
    }
    assert requirements == ["numpy", "pyyaml", "scikit-learn"]


def test_dependency_closure_refuses_django(tmp_path):
    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "__init__.py").write_text("from django.conf import settings\n")
    with pytest.raises(ValueError, match="django"):
        dependency_closure(tmp_path, ["fivesigma.datasets"])
    (tmp_path / "datasets" / "__init__.py").write_text("from fivesigma.challenges import bundles\n")
    with pytest.raises(ValueError, match="imports the site"):
        dependency_closure(tmp_path, ["fivesigma.datasets"])


def test_kit_python_files_parse_and_zip_is_reproducible(tmp_path):
    first = build("higgsml", tmp_path / "a.zip")
    second = build("higgsml", tmp_path / "b.zip")
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        for name in archive.namelist():
            assert name.startswith("higgsml-starter-kit/")
            if name.endswith(".py"):
                ast.parse(archive.read(name))


def test_unknown_challenge_is_refused(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["lhcb", "--out", str(tmp_path / "k.zip")])
    assert "invalid choice" in capsys.readouterr().err
    with pytest.raises(ValueError, match="no starter kit for 'lhcb'"):
        build("lhcb", tmp_path / "k.zip")

"""Starter kits: the zip opens and holds the README, the code and the requirements.

The README followed word for word in a clean environment: tests/install/test_starter_kits.py.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from fivesigma.baselines.starter_kit import build, closure
from fivesigma.baselines.starter_kit.__main__ import main
from fivesigma.baselines.starter_kit.closure import dependency_closure
from tests.baselines.test_higgsml import FEATURES, synthetic_events


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
    requirements = (higgsml_kit / "requirements.txt").read_text().splitlines()
    names = {re.match(r"[\w.-]+", line).group() for line in requirements}
    assert {"numpy", "pandas", "scikit-learn", "xgboost-cpu", "matplotlib", "ipykernel"} <= names
    # the distribution that provides xgboost on macOS, where xgboost-cpu has no wheels
    assert 'xgboost-cpu>=2.1; sys_platform != "darwin"' in requirements
    assert 'xgboost>=2.1; sys_platform == "darwin"' in requirements
    assert "numpy>=1.26" in requirements  # this project's lowest supported version
    assert not names & {"django", "fivesigma", "runner", "scoring", "datasets", "baselines"}
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
    files, modules = dependency_closure(tmp_path, ["fivesigma.scoring"])
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
    assert modules == ["numpy", "sklearn", "yaml"]


def test_requirements_name_distributions_with_this_projects_version_bounds(monkeypatch):
    declared = [
        "numpy>=1.26",
        "scikit-learn>=1.5",
        "xgboost-cpu>=2.1",
        'django<6,>=5.2; extra == "server"',
    ]
    monkeypatch.setattr(closure.metadata, "requires", lambda name: declared)
    assert closure.requirement_lines(["numpy", "sklearn", "xgboost", "yaml", "threadpoolctl"]) == [
        "numpy>=1.26",
        "pyyaml",
        "scikit-learn>=1.5",
        "threadpoolctl",
        'xgboost-cpu>=2.1; sys_platform != "darwin"',
        'xgboost>=2.1; sys_platform == "darwin"',
    ]


def test_kit_modules_are_found_in_an_installed_package_folder_too(tmp_path):
    """Installed, the science folders sit inside the fivesigma package folder."""
    package = tmp_path / "site-packages" / "fivesigma"
    (package / "scoring").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "scoring" / "__init__.py").write_text("import numpy\n")
    files, modules = dependency_closure(package, ["fivesigma.scoring"])
    assert {inside.as_posix(): source for inside, source in files.items()} == {
        "fivesigma/__init__.py": package / "__init__.py",
        "fivesigma/scoring/__init__.py": package / "scoring" / "__init__.py",
    }
    assert modules == ["numpy"]


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

"""Each starter kit, followed word for word on a clean machine, scores as the site does.

For each kit: build it with its command line, unpack it into an empty folder, put small data
where its README says, then run every line of the README's bash blocks in order in one bash
session, as a participant types them: the README makes its own virtual environment, installs
``requirements.txt`` into it from the package index and runs the baselines and the local
scorer. Every score the README's commands print must be the site's scorer's on the same
files. Then the kit's notebook runs (nbclient) on a Jupyter kernel of that environment, and
its scores are checked the same way.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from fivesigma.datasets.higgsml import uncertainty
from fivesigma.datasets.trackml import generate
from fivesigma.scoring.metrics.interval_coverage import score_files
from tests.baselines.test_higgsml import FEATURES, synthetic_events
from tests.install.venvs import INSTALL_SECONDS, run, site_scores

pytestmark = [pytest.mark.install, pytest.mark.slow, pytest.mark.timeout(2400)]
KITS = ("higgsml", "higgsml-uncertainty", "trackml")
MARK = "@@ "  # printed before each README command, to split the session's output
SCORE_LINE = re.compile(r"^(public|private)\s+(\w+) = ([-\d.]+)", re.M)
# per kit: the metric, solution and submission of the notebook's local score
NOTEBOOK_SCORES = {
    "higgsml": ("ams", "valid/solution.csv", "valid/xgboost.csv"),
    "trackml": ("trackml", "valid/solution.csv", "valid/seeded.csv"),
}
UNCERTAINTY_MODULE = "fivesigma.baselines.higgsml_uncertainty"
NAMED_VALUE = re.compile(r"^(\w+) = ([-\d.e+]+)$", re.M)  # the notebook's "score = 0.84"
# per kit: the file its README's runs write to upload, and the one its notebook writes
UPLOADS = {
    "higgsml": "submission.csv",
    "higgsml-uncertainty": "profiled.csv",
    "trackml": "submission.csv",
}
NOTEBOOK_WRITES = {
    "higgsml": "submission.csv",
    "higgsml-uncertainty": "predictions.csv",
    "trackml": "submission.csv",
}


@dataclass
class Followed:
    kit: str
    folder: Path
    commands: list[tuple[str, str]]  # (README line, what it printed)

    @property
    def python(self) -> Path:
        return self.folder / ".venv" / "bin" / "python"


def readme_blocks(readme: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", readme, flags=re.S)


def readme_lines(readme: str) -> list[str]:
    """Every command line of the README's bash blocks, in order."""
    lines = [line.strip() for block in readme_blocks(readme, "bash") for line in block.splitlines()]
    lines = [line for line in lines if line and not line.startswith("#")]
    assert not [line for line in lines if line.endswith("\\")], "one command per line"
    return lines


def session(lines: list[str]) -> str:
    """One bash script running ``lines`` as typed, each announced on stdout first."""
    steps = [f"printf '%s\\n' {shlex.quote(MARK + line)}\n{line}" for line in lines]
    return "set -euo pipefail\n" + "\n".join(steps) + "\n"


def split_output(stdout: str) -> list[tuple[str, str]]:
    """(command, what it printed) for each command the session announced."""
    parts = re.split(rf"^{re.escape(MARK)}(.*)\n?", stdout, flags=re.M)
    return list(zip(parts[1::2], parts[2::2], strict=True))


def put_data(kit: str, folder: Path) -> None:
    """What a participant downloads from the challenge page, small, where the README says."""
    data = folder / "data"
    if kit == "higgsml-uncertainty":
        paths = uncertainty.generate(folder / "generated", size="tiny", seed=3)
        data.mkdir()
        for name, path in (
            ("train", "training"),
            ("sample_test", "test"),
            ("sample_truth", "truth"),
        ):
            paths[path].rename(data / f"{name}.csv")
        shutil.rmtree(folder / "generated")
        return
    if kit == "higgsml":
        data.mkdir()
        events = synthetic_events(4000, seed=11)
        events.iloc[:3000].to_csv(data / "training.csv", index=False)
        events.iloc[3000:][["EventId", *FEATURES]].to_csv(data / "test.csv", index=False)
        return
    generate(data, seed=5, n_train=2, n_test=1, pileup=2.0)
    shutil.rmtree(data / "test_truth")  # hidden on the site
    (data / "solution.csv").unlink()


@pytest.fixture(scope="module", params=KITS)
def followed(request, tmp_path_factory) -> Followed:
    kit = request.param
    root = tmp_path_factory.mktemp(f"{kit}-kit")
    built = subprocess.run(
        [sys.executable, "-m", "fivesigma.baselines.starter_kit", kit, "--out", str(root / "kit.zip")],
        capture_output=True,
        text=True,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    with zipfile.ZipFile(root / "kit.zip") as archive:
        archive.extractall(root / "unpacked")
    (folder,) = (root / "unpacked").iterdir()
    put_data(kit, folder)
    lines = readme_lines((folder / "README.md").read_text())
    done = run(["bash", "-c", session(lines)], cwd=folder, timeout=INSTALL_SECONDS + 900)
    assert done.returncode == 0, f"{kit} README:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    commands = split_output(done.stdout)
    assert [command for command, _ in commands] == lines
    return Followed(kit, folder, commands)


def test_the_readme_makes_an_environment_of_real_packages_only(followed):
    commands = [command for command, _ in followed.commands]
    assert commands[:3] == [
        "python3 -m venv .venv",
        "source .venv/bin/activate",
        "pip install -r requirements.txt",
    ]
    listed = run([str(followed.python), "-m", "pip", "list", "--format=json"], cwd=followed.folder)
    names = {package["name"].lower() for package in json.loads(listed.stdout)}
    assert {"numpy", "pandas", "numba", "matplotlib", "ipykernel"} <= names
    assert not names & {"fivesigma", "runner", "scoring", "datasets", "baselines", "django"}
    probe = run(
        [str(followed.python), "-c", "import fivesigma.scoring; print(fivesigma.scoring.__file__)"],
        cwd=followed.folder,
    )
    assert Path(probe.stdout.strip()).is_relative_to(followed.folder / "fivesigma"), probe.stderr


def test_every_local_score_of_the_readme_is_the_sites(followed):
    scored = 0
    for command, printed in followed.commands:
        argv = command.split()
        if argv[:4] != ["python", "-m", "fivesigma.scoring", "score"]:
            continue
        options = dict(zip(argv[5::2], argv[6::2], strict=True))
        context = {}
        if "--seconds-per-event" in options:
            context["seconds_per_event"] = float(options["--seconds-per-event"])
        site = site_scores(
            argv[4],
            followed.folder / options["--solution"],
            followed.folder / options["--submission"],
            **context,
        )
        local = {subset: float(value) for subset, _, value in SCORE_LINE.findall(printed)}
        assert set(local) == {"public", "private"}, printed
        for subset, value in local.items():
            assert value == pytest.approx(site[subset]["score"], abs=6e-6), (command, subset)
        scored += 1
    for command, printed in followed.commands:
        argv = command.split()
        if argv[:3] != ["python", "-m", UNCERTAINTY_MODULE]:
            continue
        options = dict(zip(argv[4::2], argv[5::2], strict=True))
        site = score_files(followed.folder / options["--out"], followed.folder / options["--truth"])
        local = json.loads(printed[printed.index("{") :])
        assert local == pytest.approx(site, rel=1e-12, abs=0), command
        scored += 1
    assert scored >= 2
    baseline_runs = [
        p for c, p in followed.commands if c.startswith("python -m fivesigma.baselines")
    ]
    assert baseline_runs and all(p.strip() for p in baseline_runs)  # each says what it did
    assert (followed.folder / UPLOADS[followed.kit]).is_file()


def test_the_readmes_python_runs_in_its_environment(followed):
    for block in readme_blocks((followed.folder / "README.md").read_text(), "python"):
        done = run([str(followed.python), "-c", block], cwd=followed.folder)
        assert done.returncode == 0, done.stderr


def test_the_notebook_runs_on_the_kits_environment_and_scores_as_the_site(
    followed, tmp_path, monkeypatch
):
    import nbformat
    from nbclient import NotebookClient

    kernels = tmp_path / "jupyter" / "kernels" / "starter-kit"
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [
                    str(followed.python),
                    "-m",
                    "ipykernel_launcher",
                    "-f",
                    "{connection_file}",
                ],
                "display_name": "starter kit",
                "language": "python",
                "env": {"PYTHONPATH": "", "VIRTUAL_ENV": str(followed.folder / ".venv")},
            }
        )
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    notebook = nbformat.read(followed.folder / "starter.ipynb", as_version=4)
    nbformat.validate(notebook)
    written = followed.folder / NOTEBOOK_WRITES[followed.kit]
    written.unlink(missing_ok=True)
    NotebookClient(
        notebook,
        kernel_name="starter-kit",
        timeout=900,
        resources={"metadata": {"path": str(followed.folder)}},
    ).execute()

    assert written.is_file()
    outputs = [output for cell in notebook.cells for output in cell.get("outputs", [])]
    assert any("image/png" in output.get("data", {}) for output in outputs)  # the plot
    printed = "".join(
        output.get("text", "") for output in outputs if output.output_type == "stream"
    )
    if followed.kit == "higgsml-uncertainty":
        folder = followed.folder
        site = score_files(folder / "predictions.csv", folder / "data" / "sample_truth.csv")
        local = {name: float(value) for name, value in NAMED_VALUE.findall(printed)}
        assert local == pytest.approx(site, abs=2e-6), printed  # printed to 6 decimals
        return
    metric, solution, submission = NOTEBOOK_SCORES[followed.kit]
    site = site_scores(metric, followed.folder / solution, followed.folder / submission)
    local = {subset: float(value) for subset, key, value in SCORE_LINE.findall(printed)}
    assert set(local) == {"public", "private"}, printed
    for subset, value in local.items():
        assert value == pytest.approx(site[subset]["score"], abs=6e-6), subset

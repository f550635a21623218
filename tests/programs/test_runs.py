"""runner.programs on its own: what a program sees (Codabench's paths, the substitutions, the
user, the environment), its log, its limits, and the output the worker refuses to trust."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from fivesigma.runner import environments, programs
from fivesigma.runner.programs import ProgramFailed, ProgramFolders, run_ingestion, run_scoring
from fivesigma.runner.sandbox import SANDBOX_UID
from tests.runner.conftest import FAST, needs_bwrap

pytestmark = needs_bwrap

LIMITS = replace(FAST, cpu=None)

PROBE = """\
import json, os, shutil, sys
def writable(path):
    try:
        open(os.path.join(path, "probe.tmp"), "w").write("x")
        return True
    except OSError as exc:
        return exc.__class__.__name__
seen = {
    "argv": sys.argv[1:], "cwd": os.getcwd(), "uid": os.getuid(),
    "app": sorted(os.listdir("/app")),
    "input": sorted(os.listdir("/app/input")) if os.path.isdir("/app/input") else None,
    "writable": {p: writable(p) for p in ("/app/program", "/app/output", "/app/shared", "/app/input/ref", "/app/input/res", "/app/input_data", "/app/ingested_program") if os.path.isdir(p)},
    "files": {p: sorted(os.listdir(p)) for p in ("/app/input/ref", "/app/input/res", "/app/input_data", "/app/ingested_program") if os.path.isdir(p)},
    "python": shutil.which("python"), "executable": sys.executable,
    "path": os.environ["PATH"].split(":")[0], "unbuffered": os.environ.get("PYTHONUNBUFFERED"),
}
print("PROBE" + json.dumps(seen))
if os.path.isdir("/app/input/ref"):
    json.dump({"ok": 1}, open("/app/output/scores.json", "w"))
"""


def folder(path: Path, files: dict[str, str]) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text)
    return path


def scoring_folders(tmp_path: Path, program: dict[str, str]) -> ProgramFolders:
    return ProgramFolders(
        program=folder(tmp_path / "program", program),
        output=tmp_path / "output",
        shared=tmp_path / "shared",
        reference=folder(tmp_path / "ref", {"truth.csv": "y\n1\n"}),
        predictions=folder(tmp_path / "res", {"guess.csv": "y\n2\n"}),
    )


def probed(log: str) -> dict:
    line = next(line for line in log.splitlines() if line.startswith("PROBE"))
    return json.loads(line.removeprefix("PROBE"))


ARGS = "$input $output $program $ingestion_program $hidden $shared $submission_program $tmp $predictions"


def test_a_scoring_program_sees_codabench_paths_as_nobody(tmp_path):
    run, public, private = run_scoring(
        f"python $program/probe.py {ARGS}",
        scoring_folders(tmp_path, {"probe.py": PROBE}),
        limits=LIMITS,
    )
    seen = probed(run.log)
    assert seen["argv"] == [
        "/app/input", "/app/output", "/app/program", "/app/program", "/app/input/ref",
        "/app/shared", "/app/ingested_program", "/app/output", "/app/input/res",
    ]  # fmt: skip
    assert seen["cwd"] == "/app/program" and seen["uid"] == SANDBOX_UID
    assert seen["app"] == ["input", "output", "program", "shared"]
    assert seen["input"] == ["ref", "res"]
    assert seen["files"] == {"/app/input/ref": ["truth.csv"], "/app/input/res": ["guess.csv"]}
    assert seen["writable"] == {
        "/app/program": "OSError", "/app/output": True, "/app/shared": True,
        "/app/input/ref": "OSError", "/app/input/res": "OSError",
    }  # fmt: skip
    assert seen["python"] == "/sandbox/venv/bin/python" and seen["path"] == "/sandbox/venv/bin"
    assert seen["unbuffered"] == "1"
    assert public == private == {"ok": 1.0}
    assert run.exit_code == 0 and not run.timed_out and run.seconds > 0
    assert (tmp_path / "output" / "probe.tmp").read_text() == "x"


def test_an_ingestion_program_sees_its_paths_and_never_the_reference(tmp_path):
    folders = ProgramFolders(
        program=folder(tmp_path / "program", {"probe.py": PROBE}),
        output=tmp_path / "output",
        shared=tmp_path / "shared",
        input_data=folder(tmp_path / "data", {"test/x.csv": "x\n1\n"}),
        ingested_program=folder(tmp_path / "code", {"submission.py": ""}),
    )
    run = run_ingestion(f"python $ingestion_program/probe.py {ARGS}", folders, limits=LIMITS)
    seen = probed(run.log)
    assert seen["argv"] == [
        "/app/input_data", "/app/output", "/app/program", "/app/program", "/app/input/ref",
        "/app/shared", "/app/ingested_program", "/app/output", "/app/output",
    ]  # fmt: skip
    assert seen["app"] == ["ingested_program", "input_data", "output", "program", "shared"]
    assert seen["input"] is None  # no /app/input at all: no reference data
    assert seen["files"] == {
        "/app/input_data": ["test"],
        "/app/ingested_program": ["submission.py"],
    }
    assert seen["writable"]["/app/ingested_program"] == "OSError"
    assert run.to_dict()["self_reported"] == {}


def test_the_log_keeps_the_last_64_kib(tmp_path):
    program = {"talk.py": "for i in range(20000):\n    print(f'line {i:05d} ' + 'x' * 20)\n"}
    with pytest.raises(ProgramFailed) as caught:
        run_scoring("python talk.py", scoring_folders(tmp_path, program), limits=LIMITS)
    log = caught.value.run.log
    assert len(log.encode()) <= 64 * 1024
    assert log.endswith("line 19999 " + "x" * 20 + "\n")
    assert (
        "line 00000" not in log and f"line {20000 - 64 * 1024 // 32 + 1:05d}" in log
    )  # 32 bytes a line


def test_writing_past_the_output_limit_fails(tmp_path):
    program = {
        "fill.py": "for i in range(3):\n    open(f'/app/shared/part{i}', 'wb').write(b'x' * 4 * 1024**2)\n"
    }
    with pytest.raises(ProgramFailed, match="wrote more than the output limit of 8 MB"):
        run_scoring("python fill.py", scoring_folders(tmp_path, program), limits=LIMITS)


def test_scores_given_as_a_link_to_a_worker_file_are_refused(tmp_path):
    program = {"link.py": "import os\nos.symlink('/etc/hostname', '/app/output/scores.json')\n"}
    with pytest.raises(ProgramFailed, match="scores.json is not a regular file"):
        run_scoring("python link.py", scoring_folders(tmp_path, program), limits=LIMITS)


def test_bad_self_reported_timings_are_noted_not_kept(tmp_path):
    folders = ProgramFolders(
        program=folder(
            tmp_path / "program",
            {"t.py": "open('/app/output/timings.json', 'w').write('{\"a\": -1}')\n"},
        ),
        output=tmp_path / "output",
        shared=tmp_path / "shared",
        input_data=folder(tmp_path / "data", {"x": ""}),
        ingested_program=folder(tmp_path / "code", {"y": ""}),
    )
    run = run_ingestion("python t.py", folders, limits=LIMITS)
    assert run.self_reported == {}
    assert "output/timings.json item 'a' is not a number of seconds >= 0" in run.log


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("scoring", "python /app/program/s.py /app/input/ref /app/input/res /app/ingested_program"),
        ("ingestion", "python /app/program/s.py /app/input/ref /app/output /app/ingested_program"),
    ],
)
def test_substitutions(role, expected):
    command = "python $ingestion_program/s.py $hidden $predictions $submission_program"
    assert programs.substitute(command, role) == expected


@pytest.mark.slow
def test_a_program_environment_adds_packages_to_the_workers(tmp_path):
    from tests.runner.test_environments import wheel

    env = environments.ensure(f"{wheel(tmp_path)}\n", tmp_path / "envs")
    program = {
        "score.py": "import json, numpy, fstinypkg, shutil\n"
        "print(shutil.which('python'))\n"
        "json.dump({'answer': fstinypkg.ANSWER + float(numpy.zeros(1)[0])}, open('/app/output/scores.json', 'w'))\n"
    }
    run, public, _ = run_scoring(
        "python score.py", scoring_folders(tmp_path, program), limits=LIMITS, environment=env
    )
    assert public == {"answer": 42.0}
    assert run.log.startswith("/sandbox/env/bin/python")
    with pytest.raises(ProgramFailed, match="imports the module 'fstinypkg'"):
        run_scoring("python score.py", scoring_folders(tmp_path / "again", program), limits=LIMITS)

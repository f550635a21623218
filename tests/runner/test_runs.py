"""Normal runs and participant mistakes: submission.csv, timings, and the reasons given."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import sysconfig
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fivesigma.runner import Limits, RunReport, SandboxUnavailable, run_submission, sandbox
from fivesigma.runner.__main__ import main as runner_main
from fivesigma.runner.run import load_harness, run_confined
from fivesigma.runner.sandbox import Unconfined
from fivesigma.runner.selfcheck import self_check
from tests.builders.submissions import make_zip

from .conftest import EVENTS, FAST, N_HITS, needs_bwrap, submission

REPO = Path(__file__).resolve().parents[2]

GOOD = submission(
    """
from helpers import tracks_of

class Model:
    def __init__(self, model_dir):
        self.scale = float(open(os.path.join(model_dir, "weights.txt")).read())
        print("model ready", self.scale)

    def predict_one_event(self, event_id, hits, cells):
        time.sleep(0.05)
        return tracks_of(hits, self.scale)
"""
)
HELPERS = "import numpy as np\ndef tracks_of(hits, scale):\n    return (hits.hit_id.to_numpy() // scale).astype(np.int64)\n"
GOOD_FILES = {"submission.py": GOOD, "helpers.py": HELPERS, "weights.txt": "7"}


def model(predict: str, init: str = "pass") -> str:
    return submission(
        f"""
class Model:
    def __init__(self, model_dir):
        {init}
    def predict_one_event(self, event_id, hits, cells):
        {predict}
"""
    )


@needs_bwrap
def test_a_normal_submission_succeeds(run_code, phase, tmp_path):
    report = run_code(GOOD_FILES)
    assert report.status == "ok" and report.reason == "" and report.confined
    written = pd.read_csv(tmp_path / "output" / "submission.csv")
    assert list(written.columns) == ["event_id", "hit_id", "track_id"]
    assert len(written) == len(EVENTS) * N_HITS
    for event_id in EVENTS:
        rows = written[written.event_id == event_id]
        hits = pd.read_csv(phase["input"] / f"event{event_id:09d}-hits.csv")
        assert (rows.hit_id.to_numpy() == hits.hit_id.to_numpy()).all()
        assert (rows.track_id.to_numpy() == hits.hit_id.to_numpy() // 7).all()
    assert report.n_events == len(EVENTS)
    assert sorted(report.per_event_seconds) == [
        f"event{e:09d}" for e in EVENTS
    ]  # warm-up not among them
    assert all(0.05 <= s < 0.2 for s in report.per_event_seconds.values())
    assert sorted(report.per_event_cpu_seconds) == sorted(report.per_event_seconds)
    for task, cpu in report.per_event_cpu_seconds.items():  # sleeping costs wall time, not CPU
        assert 0 < cpu < 0.5 * report.per_event_seconds[task]
    assert 0.05 <= report.stage_seconds["warmup"] < 0.2
    assert 0 < report.stage_seconds["start"] < report.stage_seconds["setup"]
    assert report.mean_seconds == pytest.approx(np.mean(list(report.per_event_seconds.values())))
    assert report.median_seconds == pytest.approx(
        np.median(list(report.per_event_seconds.values()))
    )
    assert "model ready 7.0" in report.log_tail
    assert 10 < report.peak_memory_mb < 1024
    assert json.loads(json.dumps(report.to_dict()))["status"] == "ok"


@needs_bwrap
def test_peak_memory_is_the_sandboxes_not_the_workers(run_code):
    """A worker holding 1.5 GiB must not pass its size on to the report of a small submission."""
    ballast = np.ones(3 * 2**30 // 16)  # 1.5 GiB of float64, every page touched
    report = run_code(GOOD_FILES)
    assert ballast[-1] == 1.0
    assert report.status == "ok", report.reason
    assert 10 < report.peak_memory_mb < 1024


@needs_bwrap
def test_a_zipped_folder_is_accepted(run_code):
    report = run_code({f"my_model/{name}": text for name, text in GOOD_FILES.items()})
    assert report.status == "ok", report.reason


@needs_bwrap
@pytest.mark.parametrize(
    ("predict", "expected"),
    [
        (
            "return np.zeros(5, dtype=np.int64)",
            "predict_one_event returned 5 track ids for 300 hits",
        ),
        ("return np.zeros(len(hits))", "must return integer track ids, got dtype float64"),
        ('return ["a"] * len(hits)', "must return integer track ids, got dtype <U1"),
        ("return None", "got shape ()"),
        ("return np.zeros((len(hits), 2), dtype=int)", "got shape (300, 2)"),
        ("return -np.ones(len(hits), dtype=int)", "track ids must be >= 0, found -1"),
    ],
    ids=["length", "float", "str", "none", "2d", "negative"],
)
def test_output_with_wrong_length_or_type(run_code, predict, expected):
    report = run_code(model(predict))
    assert report.status == "failed"
    assert "the output for event000001000 is invalid" in report.reason and expected in report.reason


@needs_bwrap
@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {"submission.py": "import fivesigma_no_such_package\n"},
            "submission.py failed to import: ModuleNotFoundError",
        ),
        ({"submission.py": "def broken(:\n"}, "submission.py failed to import: SyntaxError"),
        ({"submission.py": "class Modle: pass\n"}, "submission.py defines no class Model"),
        (
            {"submission.py": model("pass", init='raise ValueError("no weights")')},
            "Model(model_dir) failed: ValueError: no weights",
        ),
        ({"submission.py": model("sys.exit(0)")}, "SystemExit"),
        (
            {"submission.py": model("os._exit(3)")},
            "exited with status 3 on event000001000 (warm-up)",
        ),
        (
            {"submission.py": model("os.kill(os.getpid(), 11)")},
            "was terminated by SIGSEGV on event000001000",
        ),
    ],
    ids=["missing-module", "syntax", "no-model", "init-raises", "sys-exit", "os-exit", "segfault"],
)
def test_a_module_failing_to_import_or_crashing(run_code, files, expected):
    report = run_code(files)
    assert report.status == "failed"
    assert expected in report.reason
    if "import" in expected:
        assert "Traceback" in report.log_tail


@needs_bwrap
def test_higgsml_fit_predict_and_kaggle_submission(run_code, tmp_path):
    rng = np.random.default_rng(3)
    columns = [f"DER_feature_{i}" for i in range(13)] + [f"PRI_feature_{i}" for i in range(17)]
    input_dir = tmp_path / "higgs"
    input_dir.mkdir()
    train = pd.DataFrame(rng.normal(size=(200, 30)), columns=columns)
    train.insert(0, "EventId", np.arange(100000, 100200))
    train["Weight"] = rng.uniform(0.001, 2, 200)
    train["Label"] = np.where(train["DER_feature_0"] > 0.5, "s", "b")
    test = pd.DataFrame(rng.normal(size=(120, 30)), columns=columns)
    test.insert(0, "EventId", np.arange(350000, 350120))
    train.to_csv(input_dir / "training.csv", index=False)
    test.to_csv(input_dir / "test.csv", index=False)
    source = submission(
        """
class Model:
    signal_fraction = 0.25
    def __init__(self, model_dir):
        pass
    def fit(self, X, y, weights):
        assert list(X.columns)[0] == "DER_feature_0" and "Label" not in X and "EventId" not in X
        assert set(np.unique(y)) <= {0, 1} and len(weights) == len(y) == len(X)
        self.sign = 1.0 if X.DER_feature_0[y == 1].mean() > X.DER_feature_0[y == 0].mean() else -1.0
    def predict(self, X):
        return self.sign * X.DER_feature_0.to_numpy()
"""
    )
    report = run_code(source, harness="higgsml", input_dir=input_dir)
    assert report.status == "ok", report.reason + report.log_tail
    assert (
        set(report.stage_seconds) >= {"setup", "fit", "predict"} and report.per_event_seconds == {}
    )
    written = pd.read_csv(tmp_path / "output" / "submission.csv")
    assert list(written.columns) == ["EventId", "RankOrder", "Class"]
    assert (written.EventId.to_numpy() == test.EventId.to_numpy()).all()
    assert sorted(written.RankOrder) == list(range(1, 121))
    # Independent check: the 30 events (25 %) with the largest feature are the ones called signal.
    top = set(test.EventId[np.argsort(-test.DER_feature_0.to_numpy())[:30]])
    assert set(written.EventId[written.Class == "s"]) == top
    most_signal_like = test.EventId[test.DER_feature_0.idxmax()]
    assert written.RankOrder[written.EventId == most_signal_like].item() == 120
    assert report.n_events == 120


def test_a_harness_given_as_a_file_path_is_refused_and_never_imported(tmp_path):
    """Regression: a bundle's harness path was imported by the worker, as root, outside the
    sandbox. Only built-in harnesses are accepted, by name, and the file is never executed."""
    marker = tmp_path / "ran"
    harness_file = tmp_path / "evil_harness.py"
    harness_file.write_text(f"open({str(marker)!r}, 'w').write('owned')\n")
    with pytest.raises(ValueError, match="the built-in harnesses are trackml, higgsml"):
        load_harness(str(harness_file))
    with pytest.raises(ValueError, match="the built-in harnesses are"):
        run_submission(
            make_zip(tmp_path / "code.zip", GOOD_FILES),
            tmp_path,
            tmp_path / "output",
            harness=str(harness_file),
            allow_unconfined=True,
        )
    assert not marker.exists()


@needs_bwrap
def test_a_sandbox_that_cannot_start_is_the_platforms_problem(phase, tmp_path):
    class BrokenMount(sandbox.Bubblewrap):
        def launch(self, *args):
            launch = super().launch(*args)
            launch.argv[1:1] = ["--ro-bind", str(tmp_path / "no-such-dir"), "/sandbox/missing"]
            return launch

    code = make_zip(tmp_path / "code.zip", GOOD_FILES)
    with pytest.raises(
        SandboxUnavailable, match="the sandbox did not start:\nbwrap: Can't find source path"
    ):
        run_confined(
            BrokenMount(sandbox.find_bubblewrap()),
            code,
            phase["input"],
            tmp_path / "out",
            limits=FAST,
        )


def test_missing_bubblewrap_refuses_with_how_to_install(phase, tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox, "find_bubblewrap", lambda: None)
    code = make_zip(tmp_path / "code.zip", GOOD_FILES)
    with pytest.raises(SandboxUnavailable, match="apt-get install bubblewrap"):
        run_submission(code, phase["input"], tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_unconfined_escape_hatch_runs_and_warns(phase, tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(sandbox, "find_bubblewrap", lambda: None)
    code = make_zip(tmp_path / "code.zip", GOOD_FILES)
    with caplog.at_level(logging.WARNING, logger="fivesigma.runner.sandbox"):
        report = run_submission(
            code, phase["input"], tmp_path / "out", limits=FAST, allow_unconfined=True
        )
    assert "UNCONFINED" in caplog.text
    assert report.status == "ok" and not report.confined, report.reason
    assert len(pd.read_csv(tmp_path / "out" / "submission.csv")) == len(EVENTS) * N_HITS


def test_a_rejected_zip_is_a_failed_run_not_an_error(phase, tmp_path):
    code = make_zip(tmp_path / "code.zip", {"../escape.py": "x = 1", "submission.py": GOOD})
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "submission.csv").write_text("event_id,hit_id,track_id\n")  # an older run's
    report = run_submission(code, phase["input"], tmp_path / "out", allow_unconfined=True)
    assert not (tmp_path / "out" / "submission.csv").exists()
    assert isinstance(report, RunReport) and report.status == "failed"
    assert "points outside the archive" in report.reason
    assert not (tmp_path / "escape.py").exists()


def test_bad_input_directory_names_the_problem(tmp_path):
    code = make_zip(tmp_path / "code.zip", GOOD_FILES)
    with pytest.raises(ValueError, match="no eventNNNNNNNNN-hits.csv files"):
        run_submission(code, tmp_path, tmp_path / "out", allow_unconfined=True)
    with pytest.raises(ValueError, match="unknown harness 'lhcb'"):
        run_submission(code, tmp_path, tmp_path / "out", harness="lhcb", allow_unconfined=True)


@needs_bwrap
def test_command_line_prints_the_json_report(phase, tmp_path):
    code = make_zip(tmp_path / "code.zip", GOOD_FILES)
    args = [
        sys.executable,
        "-m",
        "fivesigma.runner",
        "run",
        "--code",
        str(code),
        "--input",
        str(phase["input"]),
    ]
    args += ["--output", str(tmp_path / "out"), "--time-limit", "30", "--memory-limit", "1024"]
    done = subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["status"] == "ok" and len(report["per_event_seconds"]) == len(EVENTS)
    assert (tmp_path / "out" / "submission.csv").exists()


@needs_bwrap
def test_command_line_exit_status_of_a_failed_submission(phase, tmp_path, capsys):
    broken = make_zip(tmp_path / "broken.zip", {"submission.py": "raise ImportError('nope')"})
    args = [
        "run",
        "--code",
        str(broken),
        "--input",
        str(phase["input"]),
        "--output",
        str(tmp_path / "out"),
    ]
    assert runner_main(args + ["--memory-limit", "1024"]) == 1
    assert (
        json.loads(capsys.readouterr().out)["reason"]
        == "submission.py failed to import: ImportError: nope"
    )
    assert runner_main(args + ["--harness", "atlas"]) == 2
    assert "unknown harness 'atlas'" in capsys.readouterr().err


def test_limits_reject_nonsense():
    with pytest.raises(ValueError, match="Limits.memory_limit_mb"):
        Limits(memory_limit_mb=0)
    with pytest.raises(ValueError, match="Limits.cpu"):
        Limits(cpu=-1)
    assert Limits(time_limit_s=12.5).cpu_seconds == 13 and Limits(cpu_time_s=2).cpu_seconds == 2


@needs_bwrap
def test_self_check_passes_here_and_would_catch_an_open_sandbox(capsys, monkeypatch):
    assert runner_main(["check"]) == 0
    assert "sandbox ok" in capsys.readouterr().out
    open_sandbox = self_check(Unconfined(), FAST)  # the probe itself must be able to fail
    assert (
        open_sandbox.status == "failed"
        and "Model(model_dir) failed: AssertionError" in open_sandbox.reason
    )
    monkeypatch.setattr(sandbox, "find_bubblewrap", lambda: None)
    assert runner_main(["check"]) == 2
    assert "apt-get install bubblewrap" in capsys.readouterr().err


def test_the_sites_packages_are_hidden_when_installed_in_the_environment(tmp_path, monkeypatch):
    """A non-editable install puts fivesigma/ (the site, settings and all) in site-packages:
    the sandbox covers it."""
    lib = Path(sys.prefix).resolve() / "lib"
    purelib = Path(sysconfig.get_paths()["purelib"]).resolve()
    monkeypatch.setattr(
        sandbox.Path, "is_dir", lambda self: self.name in ("fivesigma", "challenges")
    )
    args = sandbox._hide_site_packages(lib, "/sandbox/venv/lib")
    inside = f"/sandbox/venv/lib/{purelib.relative_to(lib)}"
    assert args == [
        "--tmpfs", f"{inside}/fivesigma", "--remount-ro", f"{inside}/fivesigma",
    ]  # fmt: skip

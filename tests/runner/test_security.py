"""The sandbox rules of issue 8: each attack ends as a failed submission with the right reason,
the worker (this test process) alive, no sandbox process left and no host file changed
(``run_code`` checks the last two after every run)."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest

from fivesigma.runner.sandbox import SANDBOX_UID

from .conftest import FAST, N_HITS, TRUTH_MARKER, needs_bwrap, submission

pytestmark = needs_bwrap


def probe(body: str) -> str:
    """A submission whose predict_one_event gathers facts in ``seen`` and fails with them as JSON."""
    indented = "\n".join("        " + line for line in body.strip().splitlines())
    return submission(
        f"""
class Model:
    def __init__(self, model_dir):
        pass
    def predict_one_event(self, event_id, hits, cells):
        seen = {{}}
{indented}
        raise RuntimeError("PROBE" + json.dumps(seen) + "END")
"""
    )


def probed(report) -> dict:
    assert report.status == "failed"
    match = re.search(r"PROBE(.*)END", report.reason)
    assert match, report.reason
    return json.loads(match.group(1))


def test_hidden_truth_next_to_the_input_is_unreachable(run_code, phase):
    truth = phase["truth"] / "event000001000-truth.csv"
    report = run_code(
        probe(
            f"""
for path in [{str(truth)!r}, "/sandbox/input/../truth/event000001000-truth.csv", "../truth/event000001000-truth.csv"]:
    try:
        seen[path] = open(path).read()
    except OSError as exc:
        seen[path] = type(exc).__name__
hits_found = []
for top, dirs, files in os.walk("/"):
    if top in ("/proc", "/sys", "/dev", "/usr", "/sandbox/python", "/sandbox/venv"):
        dirs[:] = []
    hits_found += [os.path.join(top, f) for f in files if "truth" in f]
seen["walk"] = hits_found
"""
        )
    )
    seen = probed(report)
    assert seen.pop("walk") == []
    assert set(seen.values()) == {"FileNotFoundError"}
    assert TRUTH_MARKER not in json.dumps(report.to_dict())


def test_filesystem_shows_only_the_system_and_the_sandbox(run_code, phase):
    report = run_code(
        probe(
            f"""
seen["root"] = sorted(os.listdir("/"))
seen["sandbox"] = sorted(os.listdir("/sandbox"))
seen["etc"] = sorted(os.listdir("/etc"))
seen["exists"] = {{p: os.path.exists(p) for p in ["/work", "/root", "/home", {str(phase["media"])!r}, {str(phase["root"])!r}]}}
seen["tmp"] = os.listdir("/tmp")
seen["uid"] = [os.getuid(), os.geteuid()]
seen["caps"] = [l.split()[1] for l in open("/proc/self/status") if l.startswith("CapEff")]
seen["pids"] = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
seen["new_user_namespace"] = [libc.unshare(0x10000000), ctypes.get_errno()]  # CLONE_NEWUSER
"""
        )
    )
    seen = probed(report)
    assert not any(seen["exists"].values()), seen["exists"]
    assert "work" not in seen["root"] and "root" not in seen["root"] and "home" not in seen["root"]
    assert seen["sandbox"] == ["lib", "python", "submission", "venv"]  # no input directory
    assert "shadow" not in seen["etc"] and "passwd" in seen["etc"]
    assert seen["tmp"] == []
    assert seen["caps"] == ["0000000000000000"]
    assert len(seen["pids"]) <= 3  # bwrap's init, the harness (and nothing of the host)
    assert seen["new_user_namespace"][0] == -1 and seen["new_user_namespace"][1] != 0
    if seen["uid"][0] != 0:
        assert seen["uid"] == [SANDBOX_UID, SANDBOX_UID] or seen["uid"][0] == seen["uid"][1]


@pytest.mark.parametrize(
    "attempt",
    [
        'import socket; socket.create_connection(("93.184.216.34", 80), timeout=5)',
        'import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("8.8.8.8", 53))',
        'import socket; socket.getaddrinfo("pypi.org", 443)',
    ],
    ids=["tcp", "udp", "dns"],
)
def test_no_network(run_code, attempt):
    report = run_code(
        submission(
            f"""
class Model:
    def __init__(self, model_dir):
        pass
    def predict_one_event(self, event_id, hits, cells):
        {attempt}
        return np.zeros(len(hits), dtype=np.int64)
"""
        )
    )
    assert report.status == "failed"
    assert "there is no network in the sandbox" in report.reason


@pytest.mark.parametrize("allocation", ["bytearray(8 * 1024**3)", "np.ones(2 * 1024**3)"])
def test_memory_far_past_the_limit(run_code, allocation):
    report = run_code(
        submission(
            f"""
class Model:
    def __init__(self, model_dir):
        pass
    def predict_one_event(self, event_id, hits, cells):
        junk = {allocation}
        return np.zeros(len(hits), dtype=np.int64)
"""
        )
    )
    assert report.status == "failed"
    assert "MemoryError" in report.reason and "the memory limit is 1024 MB" in report.reason
    assert report.peak_memory_mb < 1024


@pytest.mark.parametrize(
    "writer",
    [
        'open("big.bin", "wb").write(b"x" * (64 * 1024**2))',
        '[open(f"part{i}.bin", "wb").write(b"x" * 1024**2) for i in range(64)]',
    ],
    ids=["one-big-file", "many-files"],
)
def test_writing_past_the_output_limit(run_code, writer):
    report = run_code(
        submission(
            f"""
class Model:
    def __init__(self, model_dir):
        pass
    def predict_one_event(self, event_id, hits, cells):
        {writer}
        return np.zeros(len(hits), dtype=np.int64)
"""
        )
    )
    assert report.status == "failed"
    assert "files written may total at most 8 MB" in report.reason


@pytest.mark.slow
@pytest.mark.parametrize("where", ["setup", "event", "child"])
def test_sleeping_forever_hits_the_wall_time_limit(run_code, where):
    sleep = "time.sleep(10**6)"
    child = "if os.fork() == 0:\n            os.setsid()\n            time.sleep(10**6)\n        return np.zeros(len(hits), dtype=np.int64)"
    body = {"setup": (sleep, "return None"), "event": ("pass", sleep), "child": ("pass", child)}[
        where
    ]
    report = run_code(
        submission(
            f"""
class Model:
    def __init__(self, model_dir):
        {body[0]}
    def predict_one_event(self, event_id, hits, cells):
        {body[1]}
"""
        ),
        limits=replace(FAST, time_limit_s=4),
    )
    if (
        where == "child"
    ):  # an orphan left behind does not hold the run; it is killed with the sandbox
        assert report.status == "ok"
        return
    assert report.status == "failed"
    assert "exceeded the wall-time limit of 4 s" in report.reason
    assert ("building Model" in report.reason) == (where == "setup")


@pytest.mark.slow
@pytest.mark.parametrize("ignore_sigxcpu", [False, True])
def test_busy_loop_past_the_cpu_limit(run_code, ignore_sigxcpu):
    """RLIMIT_CPU sends SIGXCPU at 2 s of the process's CPU time; the runner's own check of
    the tree's CPU time stops a submission that ignores the signal at the same limit."""
    report = run_code(
        submission(
            f"""
import signal
class Model:
    def __init__(self, model_dir):
        if {ignore_sigxcpu}:
            signal.signal(signal.SIGXCPU, signal.SIG_IGN)
    def predict_one_event(self, event_id, hits, cells):
        while True:
            pass
"""
        ),
        limits=replace(FAST, cpu_time_s=2, time_limit_s=30),
    )
    assert report.status == "failed"
    assert "exceeded the CPU-time limit of 2 s on event000001000" in report.reason


def test_environment_secrets_are_not_passed(run_code, monkeypatch):
    secrets = {
        "SECRET_KEY": "django-insecure-secret-value-42",
        "DATABASE_URL": "postgres://fivesigma:pw-secret@db/fivesigma",
        "CELERY_BROKER_URL": "redis://:broker-secret@redis:6379/0",
        "AWS_SECRET_ACCESS_KEY": "aws-secret-value",
    }
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    report = run_code(
        probe(
            """
seen["environ"] = dict(os.environ)
seen["proc"] = []
for pid in ("self", "1"):
    try:
        seen["proc"].append(open(f"/proc/{pid}/environ", "rb").read().decode(errors="replace"))
    except OSError as exc:
        seen["proc"].append(type(exc).__name__)
"""
        )
    )
    seen = probed(report)
    everything = json.dumps(report.to_dict())
    for name, value in secrets.items():
        assert name not in seen["environ"]
        assert value not in everything
    assert set(seen["environ"]) <= {
        "PATH", "HOME", "TMPDIR", "LANG", "TZ", "PYTHONPATH", "PYTHONDONTWRITEBYTECODE", "PYTHONNOUSERSITE",
        "PYTHONUNBUFFERED", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS",
        "NUMBA_NUM_THREADS", "NUMBA_CACHE_DIR", "MPLCONFIGDIR", "LD_LIBRARY_PATH", "PWD", "LC_CTYPE",
    }  # fmt: skip


@pytest.mark.parametrize(
    "attempt",
    [
        'open("/sandbox/submission/submission.py", "w").write("")',
        'os.remove("/sandbox/submission/submission.py")',
        'open("/usr/lib/os-release-copy", "w").write("")',
    ],
    ids=["overwrite-submission", "delete-submission", "write-system"],
)
def test_submission_and_system_are_read_only(run_code, attempt):
    report = run_code(
        submission(
            f"""
class Model:
    def __init__(self, model_dir):
        pass
    def predict_one_event(self, event_id, hits, cells):
        {attempt}
        return np.zeros(len(hits), dtype=np.int64)
"""
        )
    )
    assert report.status == "failed"
    assert (
        "Read-only file system" in report.reason
        and "only /tmp, the current directory, is writable" in report.reason
    ) or ("Permission denied" in report.reason and "write only to /tmp" in report.reason)


def test_cpu_pinning_and_timings_cannot_be_faked(run_code):
    """The sandboxed process runs on the CPU of Limits.cpu; patching its clocks changes nothing."""
    report = run_code(
        submission(
            """
import time as clock
class Model:
    def __init__(self, model_dir):
        clock.perf_counter = clock.monotonic = clock.time = lambda: 0.0
    def predict_one_event(self, event_id, hits, cells):
        assert os.sched_getaffinity(0) == {0}, os.sched_getaffinity(0)
        clock.sleep(0.2)
        return np.zeros(len(hits), dtype=np.int64)
"""
        )
    )
    assert report.status == "ok", report.reason
    assert all(0.2 <= s < 0.4 for s in report.per_event_seconds.values()), report.per_event_seconds


def test_the_test_events_reach_the_sandbox_only_one_at_a_time_through_the_pipe(run_code, phase):
    """Regression: a set-up that read the input folder precomputed every event in the untimed
    Model.__init__ (0.0004 s/event reported instead of 0.5). No event is visible to the set-up,
    and a call sees only its own event, as DataFrames."""
    host_input = str(phase["input"])
    report = run_code(
        submission(
            f"""
def event_files():
    found = []
    for top, dirs, files in os.walk("/"):
        if top in ("/proc", "/sys", "/dev", "/usr", "/sandbox/python", "/sandbox/venv"):
            dirs[:] = []
        found += [os.path.join(top, f) for f in files if f.startswith("event0")]
    return found

class Model:
    def __init__(self, model_dir):
        self.seen = {{"setup": event_files(), "input_dir": os.path.exists("/sandbox/input"),
                      "host_input": os.path.exists({host_input!r})}}
    def predict_one_event(self, event_id, hits, cells):
        self.seen["call"] = event_files()
        self.seen["hits"] = [event_id, len(hits), int(hits.hit_id.iloc[-1])]
        raise RuntimeError("PROBE" + json.dumps(self.seen) + "END")
"""
        )
    )
    seen = probed(report)
    assert seen["setup"] == [] and seen["call"] == []
    assert not seen["input_dir"] and not seen["host_input"]
    # the warm-up event arrived, through the pipe only
    assert seen["hits"] == [1000, N_HITS, N_HITS]

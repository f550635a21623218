"""Limits that hold for the submission's whole process tree, with a cgroup and from /proc.

Regression of issue "Resource limits that hold for the whole submission": four processes of
1.8 GB each ran under a 4,096 MB limit (7.6 GB together) and the report said 1,911 MB.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from fivesigma.runner import SandboxUnavailable, Worker, run_submission, tree
from fivesigma.runner.cgroups import PREFIX, _inside, find_hierarchy
from fivesigma.runner.procfs import tree_usage
from tests.builders.submissions import make_zip

from .conftest import FAST, needs_bwrap, submission

pytestmark = needs_bwrap
HIERARCHY = find_hierarchy()
ACCOUNTING = [
    pytest.param(
        "cgroup",
        marks=pytest.mark.skipif(HIERARCHY is None, reason="no cgroup can be made here"),
    ),
    "procfs",
]
MB = 1024 * 1024


@pytest.fixture(params=ACCOUNTING)
def accounting(request) -> str:
    return request.param


def forking(n_children: int, child_body: str, init: str = "pass") -> str:
    """A submission whose call forks n children running child_body, waits for them, and
    returns a valid result."""
    return submission(
        f"""
class Model:
    def __init__(self, model_dir):
        {init}
    def predict_one_event(self, event_id, hits, cells):
        children = []
        for _ in range({n_children}):
            pid = os.fork()
            if pid == 0:
                {child_body}
                os._exit(0)
            children.append(pid)
        for pid in children:
            os.waitpid(pid, 0)
        return np.zeros(len(hits), dtype=np.int64)
"""
    )


def leftover_groups() -> list[str]:
    """Run groups of this process left behind in the cgroup hierarchies."""
    if HIERARCHY is None:
        return []
    return [
        str(path)
        for base in HIERARCHY.bases.values()
        for path in base.glob(f"{PREFIX}*")
        if path.name.startswith(f"{PREFIX}{os.getpid()}-")
    ]


@pytest.mark.slow
def test_processes_together_over_the_memory_limit_are_killed(run_code, accounting):
    """Four processes of 400 MB each (every one far below the 1024 MB limit, 1.6 GB together)."""
    hold = "junk = np.ones(400 * 1024 * 1024 // 8); time.sleep(20)"
    report = run_code(
        forking(4, hold),
        limits=replace(FAST, time_limit_s=60),
        worker=Worker(accounting=accounting),
    )
    assert report.status == "failed", report.reason
    assert "on event000001000 (warm-up)" in report.reason
    assert "used more than the memory limit of 1024 MB" in report.reason
    assert "holds for all the submission's processes together" in report.reason
    peak = float(re.search(r"\(peak (\d+) MB\)", report.reason).group(1))
    assert abs(peak - report.peak_memory_mb) <= 1
    assert report.peak_memory_mb > 2 * 400  # more than any one process ever held
    assert leftover_groups() == []


@pytest.mark.slow
def test_peak_memory_is_that_of_the_whole_tree(run_code, accounting):
    """Three children holding 150 MB each at the same time: the peak counts them together."""
    hold = "junk = np.ones(150 * 1024 * 1024 // 8); time.sleep(1.0)"
    report = run_code(forking(3, hold), worker=Worker(accounting=accounting))
    assert report.status == "ok", report.reason
    assert report.accounting.startswith("cgroup" if accounting == "cgroup" else "procfs")
    assert 3 * 150 < report.peak_memory_mb < FAST.memory_limit_mb


@pytest.mark.slow
def test_processes_together_over_the_cpu_limit_are_killed(run_code, accounting):
    """Two children burning 1.5 s of CPU each: each within the 3 s limit (RLIMIT_CPU never
    fires), the tree (with the harness's own start-up) over it."""
    burn = "end = time.process_time() + 1.5\n                while time.process_time() < end: pass"
    report = run_code(
        forking(2, burn),
        limits=replace(FAST, cpu_time_s=3, time_limit_s=60),
        worker=Worker(accounting=accounting),
    )
    assert report.status == "failed", report.reason
    assert "exceeded the CPU-time limit of 3 s on event000001000" in report.reason
    assert "(the CPU time of all the submission's processes together)" in report.reason


def test_fork_bomb_is_stopped_at_the_process_limit(run_code, accounting):
    report = run_code(
        submission(
            """
class Model:
    def __init__(self, model_dir):
        pass
    def predict_one_event(self, event_id, hits, cells):
        while True:
            os.fork()
"""
        ),
        worker=Worker(accounting=accounting),
    )
    assert report.status == "failed"
    assert (
        "BlockingIOError" in report.reason
        and f"at most {FAST.max_processes} processes" in report.reason
    )


@pytest.mark.skipif(
    HIERARCHY is None or not HIERARCHY.cpuset, reason="no cpuset controller to use here"
)
def test_a_submission_cannot_leave_its_cpu_in_a_cpuset(run_code):
    """Widening the affinity again changes nothing: the cgroup's cpuset holds one CPU."""
    report = run_code(
        submission(
            """
class Model:
    def __init__(self, model_dir):
        os.sched_setaffinity(0, range(os.cpu_count()))
        self.cpus = sorted(os.sched_getaffinity(0))
    def predict_one_event(self, event_id, hits, cells):
        raise RuntimeError("CPUS" + json.dumps(self.cpus) + "END")
"""
        ),
        limits=replace(FAST, cpu=max(os.sched_getaffinity(0))),
        worker=Worker(accounting="cgroup"),
    )
    assert f"CPUS[{max(os.sched_getaffinity(0))}]END" in report.reason, report.reason


def test_a_cgroup_demanded_where_none_can_be_made_is_the_platforms_problem(
    phase, tmp_path, monkeypatch
):
    monkeypatch.setattr(tree, "find_hierarchy", lambda: None)
    code = make_zip(tmp_path / "code.zip", {"submission.py": "class Model: pass\n"})
    with pytest.raises(SandboxUnavailable, match="no writable cgroup hierarchy"):
        run_submission(code, phase["input"], tmp_path / "out", worker=Worker(accounting="cgroup"))
    with pytest.raises(ValueError, match="Worker.accounting must be one of auto, cgroup, procfs"):
        Worker(accounting="systemd")


TREE_PROCESS = """
import os, resource, sys, time
import numpy as np
def burn(seconds):
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass
pid = os.fork()
if pid == 0:
    burn(0.3)
    os._exit(0)
os.waitpid(pid, 0)  # its CPU time now counts among this process's reaped children
burn(0.2)
held = np.ones(200 * 1024 * 1024 // 8)
own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
print(own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime, flush=True)
sys.stdin.read()
"""


def test_tree_usage_from_proc_counts_reaped_children_and_resident_memory():
    """The /proc fallback against the kernel's own rusage of the process and its children."""
    process = subprocess.Popen(
        [sys.executable, "-c", TREE_PROCESS],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        expected = float(process.stdout.readline())
        usage = tree_usage(process.pid)
    finally:
        process.stdin.close()
        process.wait()
    assert 0.5 <= expected and usage.cpu_seconds == pytest.approx(expected, abs=0.03)
    assert usage.memory_bytes > 200 * MB and usage.peak_process_bytes > 200 * MB
    assert usage.tasks >= 1


def test_a_group_path_inside_a_namespaced_mount():
    """A container mounts its own cgroup as the hierarchy's root: paths are made relative."""
    assert _inside("/sys/fs/cgroup", "/", "/system.slice/w.service") == Path(
        "/sys/fs/cgroup/system.slice/w.service"
    )
    assert _inside("/sys/fs/cgroup", "/kubepods/pod1", "/kubepods/pod1/worker") == Path(
        "/sys/fs/cgroup/worker"
    )
    assert _inside("/sys/fs/cgroup", "/kubepods/pod1", "/kubepods/pod1") == Path("/sys/fs/cgroup")

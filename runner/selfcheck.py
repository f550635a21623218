"""``python -m fivesigma.runner check``: run a probe submission through the sandbox of this machine.

The probe asserts the sandbox rules from the inside (no network, no host paths, no input
directory, a read-only submission, a writable /tmp, an unprivileged user, the CPU pinning)
and returns a valid result, so a worker that passes runs code submissions as designed.
"""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

from fivesigma.runner.limits import Limits
from fivesigma.runner.report import RunReport
from fivesigma.runner.run import DEFAULT_WORKER, run_confined
from fivesigma.runner.sandbox import Bubblewrap, Unconfined
from fivesigma.runner.worker_machine import Worker

PROBE = """
import os, socket
import numpy as np

class Model:
    def __init__(self, model_dir):
        assert os.getuid() != 0, "runs as root"
        for path in ("/work", "/root", "/home", "/var", "/srv"):
            assert not os.path.exists(path), f"{path} is visible"
        try:
            socket.create_connection(("1.1.1.1", 53), timeout=2)
            raise AssertionError("the network is reachable")
        except OSError:
            pass
        assert not os.path.exists("/sandbox/input"), "the input directory is visible"
        try:
            open(os.path.join(model_dir, "probe"), "w")
            raise AssertionError("the submission directory is writable")
        except OSError:
            pass
        open("/tmp/scratch", "w").write("ok")
        assert len(os.sched_getaffinity(0)) == 1, "not pinned to one CPU"

    def predict_one_event(self, event_id, hits, cells):
        return np.zeros(len(hits), dtype=np.int64)
"""


def self_check(
    sandbox: Bubblewrap | Unconfined, limits: Limits, worker: Worker = DEFAULT_WORKER
) -> RunReport:
    with tempfile.TemporaryDirectory(prefix="fivesigma-check-") as tmp_name:
        tmp = Path(tmp_name)
        phase = tmp / "input"
        phase.mkdir()
        (phase / "event000000001-hits.csv").write_text(
            "hit_id,x,y,z,volume_id,layer_id,module_id\n1,32.1,0.5,10.0,8,2,1\n"
        )
        (phase / "event000000001-cells.csv").write_text("hit_id,ch0,ch1,value\n1,10,20,0.3\n")
        with zipfile.ZipFile(tmp / "probe.zip", "w") as archive:
            archive.writestr("submission.py", PROBE)
        return run_confined(
            sandbox, tmp / "probe.zip", phase, tmp / "output", limits=limits, worker=worker
        )

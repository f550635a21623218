"""Sandboxed execution of code submissions and the timing of their per-event calls.

    from fivesigma.runner import run_submission, Limits, RunReport, SandboxUnavailable, Worker
    report = run_submission(code_zip, input_dir, output_dir, harness="trackml", limits=Limits(),
                            worker=Worker(calibration_dir=cache_dir))

``exclusive_cpu()`` keeps other heavy work of the machine (scoring) off the CPUs of timed runs.

No Django here: the site's Celery ``sandbox`` task calls run_submission, and so does
``python -m fivesigma.runner run`` on a participant's machine.
"""

from fivesigma.runner.cpuslots import exclusive_cpu
from fivesigma.runner.limits import Limits
from fivesigma.runner.report import RunReport
from fivesigma.runner.run import run_submission
from fivesigma.runner.sandbox import SandboxUnavailable
from fivesigma.runner.worker_machine import Worker

__all__ = [
    "Limits",
    "RunReport",
    "SandboxUnavailable",
    "Worker",
    "exclusive_cpu",
    "run_submission",
]

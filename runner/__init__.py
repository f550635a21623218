"""Sandboxed execution of code submissions and the timing of their per-event calls.

    from fivesigma.runner import run_submission, Limits, RunReport, SandboxUnavailable
    report = run_submission(code_zip, input_dir, output_dir, harness="trackml", limits=Limits())

No Django here: the site's Celery ``sandbox`` task calls run_submission, and so does
``python -m fivesigma.runner run`` on a participant's machine.
"""

from fivesigma.runner.limits import Limits
from fivesigma.runner.report import RunReport
from fivesigma.runner.run import run_submission
from fivesigma.runner.sandbox import SandboxUnavailable

__all__ = ["Limits", "RunReport", "SandboxUnavailable", "run_submission"]

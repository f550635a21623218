"""Prints how many fuzz cases ran (docs/reliability.md quotes the figure)."""

from __future__ import annotations

import sys


def pytest_terminal_summary(terminalreporter):
    module = sys.modules.get("tests.hardening.test_upload_fuzz")
    tally = getattr(module, "TALLY", None)
    if tally:
        terminalreporter.write_line(
            "upload fuzz cases: "
            + ", ".join(f"{kind} {n}" for kind, n in sorted(tally.items()))
            + f" (total {sum(tally.values())})"
        )

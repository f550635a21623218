"""What running an organiser's scoring program costs above the program's own run time.

A Codabench bundle whose scoring program records, inside the sandbox, the time its command
started (``date`` in the shell, before Python starts) and the time it finished its work;
the difference is the program's own run time. Each submission goes through the worker's
step in-process (``worker.process``: the status changes, the program and reference data
unpacked, the sandbox, the scores read and saved, the standing refreshed); its wall time
minus the program's own is the platform's overhead (issue 15: under 0.5 s). Run in a
child process on a throwaway SQLite site; the machine's 2 cores are shared with other work,
so wall times are noisy: medians of several runs, and the worker process's own on-CPU time.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from benchmarks.harness import measure_in_child, throwaway_site

AREA = "programs"
RUNS = 9
SCORE_PY = """\
import json, os, sys, time
started = float(open(os.path.join(sys.argv[2], "started")).read())
total = sum(i * i for i in range(200_000))  # a little work, ~20 ms
json.dump({"own_seconds": time.time() - started, "total": float(total)},
          open(os.path.join(sys.argv[2], "scores.json"), "w"))
"""
COMPETITION = """\
version: 2
title: Timed Program
terms: terms.md
phases:
  - name: Main
    start: 2020-01-01
    end: 2099-01-01
    max_submissions_per_day: 1000
    tasks: [0]
tasks:
  - index: 0
    scoring_program: scoring_program
    reference_data: reference_data
leaderboards:
  - title: Results
    key: main
    columns:
      - {title: Own seconds, key: own_seconds, index: 0, sorting: asc}
"""


def run(table) -> None:
    from fivesigma.runner.sandbox import find_bubblewrap

    if find_bubblewrap() is None:
        table.add(AREA, "program-scored submission overhead", "skipped: no bubblewrap")
        return
    with throwaway_site(AREA) as env:
        results = measure_in_child("benchmarks.bench_programs", env)
    overhead = statistics.median(results["overheads"])
    table.add(
        AREA,
        f"overhead of a program-scored submission above the program's own run time "
        f"(worker step wall minus the program's own, median of {len(results['overheads'])})",
        f"{overhead:.3f} s (step {statistics.median(results['steps']):.3f} s, program's own "
        f"{statistics.median(results['owns']):.3f} s; worker on-CPU "
        f"{statistics.median(results['worker_cpu']):.3f} s)",
        "< 0.5 s",
        overhead < 0.5,
    )


def write_bundle(root: Path) -> Path:
    files = {
        "competition.yaml": COMPETITION,
        "terms.md": "Terms.\n",
        "scoring_program/metadata.yaml": (
            "command: date +%s.%N > $output/started && python $program/score.py $input $output\n"
        ),
        "scoring_program/score.py": SCORE_PY,
        "reference_data/truth.csv": "id,y\n" + "".join(f"{i},{i % 7}\n" for i in range(1000)),
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text) if name.endswith(".yaml") else text)
    return root


def measure(out: Path) -> None:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command

    from fivesigma.challenges.engine import bundles, intake, worker
    from fivesigma.challenges.models import Score, Submission

    call_command("migrate", verbosity=0)
    with tempfile.TemporaryDirectory() as tmp:
        phase = bundles.load(write_bundle(Path(tmp) / "bundle")).phases.get()
    user = get_user_model().objects.create_user("bench", password="a-long-bench-password")
    results: dict[str, list[float]] = {"overheads": [], "steps": [], "owns": [], "worker_cpu": []}
    for i in range(RUNS + 1):
        upload = SimpleUploadedFile("predictions.csv", b"id,y\n1,1\n", content_type="text/csv")
        submission = intake.submit(phase, user, upload, enforce_rules=False)
        before = resource.getrusage(resource.RUSAGE_SELF)
        start = time.perf_counter()
        worker.process(submission.pk)
        step = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_SELF)
        submission.refresh_from_db()
        if submission.status != Submission.FINISHED:
            raise RuntimeError(f"the timed program failed: {submission.reason}")
        own = Score.objects.get(submission=submission, subset="public", current=True).value
        if i == 0:
            continue  # warm-up: the page cache and the worker's imports
        results["steps"].append(step)
        results["owns"].append(own)
        results["overheads"].append(step - own)
        results["worker_cpu"].append(
            after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        )
    out.write_text(json.dumps(results))


if __name__ == "__main__" and sys.argv[1:2] == ["measure"]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fivesigma.settings")
    measure(Path(sys.argv[2]))

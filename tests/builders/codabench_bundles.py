"""Small Codabench bundles (competition.yaml, version 2) written for the tests, in the forms
Codabench's documentation and example bundles use: programs as folders or zips with a
metadata.yaml (or a legacy ``metadata`` file), reference and input data, pages in Markdown
and HTML, terms, solutions, a starting kit and public data, a leaderboard with columns."""

from __future__ import annotations

import textwrap
import zipfile
from pathlib import Path

SCORE_PY = """\
import json, os, sys
reference, prediction = sys.argv[1] + "/ref", sys.argv[1] + "/res"
truth = open(os.path.join(reference, "truth.txt")).read().split()
guess = open(os.path.join(prediction, "guess.txt")).read().split()
accuracy = sum(t == g for t, g in zip(truth, guess)) / len(truth)
json.dump({"accuracy": accuracy, "duration": 1.0}, open(sys.argv[2] + "/scores.json", "w"))
"""

LEGACY_SCORE_PY = """\
import sys
open(sys.argv[2] + "/scores.txt", "w").write("correct: 1.0\\n")
"""

INGESTION_PY = """\
import sys
sys.path.insert(0, sys.argv[4])
"""


def write(root: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)


def zip_folder(folder: Path, archive: Path) -> Path:
    """Zip the folder's files at the top of the zip (as Codabench's examples are zipped)."""
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(folder).as_posix())
    return archive


def zip_task_parts(root: Path) -> None:
    """Zip a code task's four folders under ``root/src`` as the manifest names them."""
    for name, folder in (
        ("scoring_program.zip", "scoring"),
        ("ingestion_program.zip", "ingestion"),
        ("input_data.zip", "input"),
        ("reference_data.zip", "reference"),
    ):
        zip_folder(root / "src" / folder, root / name)


def zip_bundle(root: Path, archive: Path) -> Path:
    return zip_folder(root, archive)


RESULT_YAML = """\
version: 2
title: Tiny Pi Challenge
description: Guess the digits of pi.
image: logo.png
docker_image: codalab/codalab-legacy:py39
registration_auto_approve: True
terms: pages/terms.md
pages:
  - title: Overview
    file: pages/overview.md
  - title: Evaluation
    file: pages/evaluation.html
  - title: Prizes
    file: pages/prizes.md
phases:
  - index: 0
    name: Development
    description: Tune your guesses
    start: 2024-01-01
    end: 2099-02-01 12:30:00
    max_submissions_per_day: 7
    max_submissions: 100
    execution_time_limit: 120
    starting_kit: starting_kit
    public_data: public_data
    hide_output: True
    tasks:
      - 0
tasks:
  - index: 0
    name: Pi task
    description: the digits
    scoring_program: scoring_program
    reference_data: reference_data
solutions:
  - index: 0
    path: solutions/sample.zip
    tasks:
      - 0
leaderboards:
  - title: Results
    key: main
    submission_rule: Force_Last
    columns:
      - title: Duration
        key: duration
        index: 1
        sorting: asc
        precision: 1
      - title: Accuracy
        key: accuracy
        index: 0
        sorting: desc
        precision: 4
      - title: Best of both
        key: best
        index: 2
        computation: max
        computation_indexes: [0, 1]
"""


def write_result_bundle(root: Path, zipped_programs: bool = False) -> Path:
    """A result-file challenge scored by a program reading reference_data/truth.txt."""
    write(
        root,
        {
            "competition.yaml": RESULT_YAML,
            "logo.png": b"\x89PNG\r\n",
            "pages/overview.md": "# Welcome\n\nGuess **pi**.\n",
            "pages/evaluation.html": '<h1>Scoring</h1><p onclick="steal()">Accuracy.</p><script>alert(1)</script>',
            "pages/prizes.md": "A mug.\n",
            "pages/terms.md": "Be nice.\n",
            "scoring_program/metadata.yaml": "command: python3 /app/program/score.py /app/input /app/output\n",
            "scoring_program/score.py": SCORE_PY,
            "reference_data/truth.txt": "3 1 4 1 5\n",
            "reference_data/extra/notes.txt": "hidden\n",
            "starting_kit/README.md": "Start here.\n",
            "starting_kit/sample/guess.txt": "3 1 4 1 6\n",
            "public_data/train.txt": "3 1 4\n",
        },
    )
    sample = root / "solution-src"
    write(sample, {"guess.txt": "3 1 4 1 5\n"})
    (root / "solutions").mkdir()
    zip_folder(sample, root / "solutions" / "sample.zip")
    if zipped_programs:
        zip_folder(root / "scoring_program", root / "scoring_program.zip")
        _replace(root, "scoring_program: scoring_program", "scoring_program: scoring_program.zip")
    return root


CODE_YAML = """\
version: 2
title: Tiny Code Challenge
terms: terms.md
pages:
  - title: overview
    file: overview.md
  - title: data
    file: data.md
phases:
  - name: Feedback
    start: 2024-05-01 12:00
    end: 2099-05-01T00:00:00+02:00
    max_submissions_per_day: 3
    execution_time_limit_ms: 90000
    tasks: [0]
  - name: Final
    start: "2099-05-02"
    tasks: [1]
tasks:
  - index: 0
    name: feedback
    scoring_program: scoring_program.zip
    ingestion_program: ingestion_program.zip
    input_data: input_data.zip
    reference_data: reference_data.zip
  - index: 1
    name: final
    scoring_program: scoring_program.zip
    ingestion_program: ingestion_program.zip
    input_data: final_input
    reference_data: reference_data.zip
leaderboard:
  - title: Results
    key: main
    columns:
      - title: Score
        key: score
        index: 0
        sorting: desc
"""


def write_code_bundle(root: Path, requirements: str = "") -> Path:
    """A code challenge: an ingestion program runs the submission on input_data, a scoring
    program (legacy `metadata` command with $program/$input/$output) scores it."""
    write(
        root,
        {
            "competition.yaml": CODE_YAML,
            "terms.md": "Terms.\n",
            "overview.md": "Overview.\n",
            "data.md": "Data.\n",
            "src/scoring/metadata": "command: python $program/score.py $input $output\n",
            "src/scoring/score.py": LEGACY_SCORE_PY,
            "src/ingestion/metadata.yaml": (
                "command: python $ingestion_program/ingestion.py $input $output "
                "$ingestion_program $submission_program\n"
            ),
            "src/ingestion/ingestion.py": INGESTION_PY,
            "src/input/test/x.csv": "a,b\n1,2\n",
            "src/input/test/y.csv": "a,b\n3,4\n",
            "src/reference/public/truth.csv": "a\n1\n",
            "src/reference/private/truth.csv": "a\n2\n",
            "final_input/z.csv": "a,b\n5,6\n",
        },
    )
    if requirements:
        write(root, {"src/scoring/requirements.txt": requirements})
    zip_task_parts(root)
    return root


def write_legacy_bundle(root: Path) -> Path:
    """A result challenge whose scoring program writes scores.txt, run by a legacy `metadata`."""
    write(
        root,
        {
            "competition.yaml": textwrap.dedent("""\
                version: 2
                title: Legacy scores
                terms: terms.html
                phases:
                  - name: Only phase
                    start: 2024-01-01 00:00:00
                    tasks: [0]
                tasks:
                  - index: 0
                    scoring_program: program
                leaderboards:
                  - title: Results
                    key: Results
                    columns:
                      - {title: Correct, key: correct, index: 0, sorting: desc}
                """),
            "terms.html": "<p>Terms</p>",
            "program/metadata": "command: python $program/score.py $input $output\n",
            "program/score.py": LEGACY_SCORE_PY,
        },
    )
    return root


def _replace(root: Path, old: str, new: str) -> None:
    manifest = root / "competition.yaml"
    manifest.write_text(manifest.read_text().replace(old, new))

"""Small Codabench bundles (competition.yaml, version 2) whose programs really run: a result
challenge scored per subset, a code challenge with ingestion and scoring programs, a legacy
scores.txt one, and HiggsML re-expressed with a scoring program. Every program takes its
folders from its command line ($input, $output, ...), so that the tests can also run it by
hand, outside the sandbox, on the same files."""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.builders.codabench_bundles import write, zip_task_parts

# (a) result files: predictions.csv (id,y); reference split into public/ and private/.
REGRESSION_SCORE = """\
import csv, json, math, os, sys
ref, res, out = os.path.join(sys.argv[1], "ref"), os.path.join(sys.argv[1], "res"), sys.argv[2]
truth = {r["id"]: float(r["y"]) for r in csv.DictReader(open(os.path.join(ref, "truth.csv")))}
guess = {r["id"]: float(r["y"]) for r in csv.DictReader(open(os.path.join(res, "predictions.csv")))}
errors = [guess[k] - v for k, v in truth.items()]
rmse = math.sqrt(sum(e * e for e in errors) / len(errors))
hits = sum(abs(e) < 0.5 for e in errors) / len(errors)
json.dump({"rmse": rmse, "hit_rate": hits}, open(os.path.join(out, "scores.json"), "w"))
open(os.path.join(out, "detailed_results.html"), "w").write(f"<h1>RMSE {rmse:.3f}</h1>")
os.makedirs(os.path.join(out, "plots"), exist_ok=True)
open(os.path.join(out, "plots", "errors.json"), "w").write(json.dumps(errors))
print("scored", len(errors), "items")
"""

TRUTH_PUBLIC = {"1": 1.0, "2": 2.5, "3": -1.0, "4": 0.0}
TRUTH_PRIVATE = {"5": 3.0, "6": 4.5, "7": 10.0, "8": -2.0, "9": 0.25}

RESULT_YAML = """\
version: 2
title: Program Regression
description: Predict y for every id.
docker_image: codalab/codalab-legacy:py39
terms: terms.md
pages:
  - title: Overview
    file: overview.md
phases:
  - index: 0
    name: Development
    start: 2024-01-01
    end: 2099-01-01
    max_submissions_per_day: 50
    execution_time_limit: {time_limit}
    tasks: [0]
tasks:
  - index: 0
    name: regression
    scoring_program: scoring_program
    reference_data: reference_data
leaderboards:
  - title: Results
    key: main
    columns:
      - {{title: RMSE, key: rmse, index: 0, sorting: asc, precision: 3}}
      - {{title: Hit rate, key: hit_rate, index: 1, sorting: desc, precision: 2}}
"""


def csv_text(values: dict[str, float], header: str = "id,y") -> str:
    return header + "\n" + "".join(f"{k},{v}\n" for k, v in values.items())


def write_regression_bundle(
    root: Path, score_py: str = REGRESSION_SCORE, time_limit: int = 60, extra: dict | None = None
) -> Path:
    """(a) A result challenge whose scoring program writes scores.json with two columns,
    run once per subset (reference_data/public, reference_data/private)."""
    write(
        root,
        {
            "competition.yaml": RESULT_YAML.format(time_limit=time_limit),
            "terms.md": "Be fair.\n",
            "overview.md": "# Regression\n",
            "scoring_program/metadata.yaml": "command: python $program/score.py $input $output\n",
            "scoring_program/score.py": score_py,
            "reference_data/public/truth.csv": csv_text(TRUTH_PUBLIC),
            "reference_data/private/truth.csv": csv_text(TRUTH_PRIVATE),
            **(extra or {}),
        },
    )
    return root


# (b) code: the ingestion program imports the participant's submission.py, calls predict on
# every input file and reports its own per-file seconds; the scoring program returns both
# subsets at once (reference truth.csv with a usage column).
INGEST = """\
import csv, json, os, sys, time
data, out, code = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, code)
import submission
timings, rows = {}, []
for name in sorted(os.listdir(os.path.join(data, "test"))):
    items = list(csv.DictReader(open(os.path.join(data, "test", name))))
    start = time.perf_counter()
    predictions = submission.predict([float(r["x"]) for r in items])
    timings[name] = time.perf_counter() - start
    rows += [(r["id"], p) for r, p in zip(items, predictions)]
with open(os.path.join(out, "predictions.csv"), "w") as f:
    f.write("id,y\\n" + "".join(f"{i},{p}\\n" for i, p in rows))
json.dump(timings, open(os.path.join(out, "timings.json"), "w"))
print("ingested", len(rows), "rows")
"""

CODE_SCORE = """\
import csv, json, os, sys
ref, res, out = os.path.join(sys.argv[1], "ref"), os.path.join(sys.argv[1], "res"), sys.argv[2]
truth = list(csv.DictReader(open(os.path.join(ref, "truth.csv"))))
guess = {r["id"]: float(r["y"]) for r in csv.DictReader(open(os.path.join(res, "predictions.csv")))}
scores = {}
for usage in ("public", "private"):
    part = [r for r in truth if r["usage"] == usage]
    mae = sum(abs(guess[r["id"]] - float(r["y"])) for r in part) / len(part)
    scores[usage] = {"mae": mae, "items": len(part)}
json.dump(scores, open(os.path.join(out, "scores.json"), "w"))
"""

CODE_INPUT = {"a.csv": {"1": 0.5, "2": 1.5, "3": -1.0}, "b.csv": {"4": 2.0, "5": 3.0}}
CODE_TRUTH = {"1": (1.1, "public"), "2": (3.0, "private"), "3": (-2.2, "public"),
              "4": (4.1, "private"), "5": (5.9, "private")}  # fmt: skip

CODE_YAML = """\
version: 2
title: Program Code
description: Your predict() runs on our data.
terms: terms.md
phases:
  - index: 0
    name: Run
    start: 2024-01-01
    end: 2099-01-01
    max_submissions_per_day: 50
    execution_time_limit: 60
    tasks: [0]
tasks:
  - index: 0
    name: code
    ingestion_program: ingestion_program.zip
    scoring_program: scoring_program.zip
    input_data: input_data.zip
    reference_data: reference_data.zip
leaderboards:
  - title: Results
    key: main
    columns:
      - {title: MAE, key: mae, index: 0, sorting: asc, precision: 3}
      - {title: Items, key: items, index: 1, sorting: desc, precision: 0}
"""


def write_code_bundle(root: Path, ingest_py: str = INGEST) -> Path:
    """(b) A code challenge with an ingestion and a scoring program, all parts zipped."""
    inputs = {
        f"input/test/{name}": "id,x\n" + "".join(f"{k},{v}\n" for k, v in rows.items())
        for name, rows in CODE_INPUT.items()
    }
    truth = "id,y,usage\n" + "".join(f"{k},{y},{u}\n" for k, (y, u) in CODE_TRUTH.items())
    write(
        root / "src",
        {
            "ingestion/metadata.yaml": (
                "command: python $ingestion_program/ingest.py $input $output $submission_program\n"
            ),
            "ingestion/ingest.py": ingest_py,
            "scoring/metadata.yaml": "command: python $program/score.py $input $output\n",
            "scoring/score.py": CODE_SCORE,
            "reference/truth.csv": truth,
            **inputs,
        },
    )
    write(root, {"competition.yaml": CODE_YAML, "terms.md": "Terms.\n"})
    zip_task_parts(root)
    return root


def code_submission(factor: float) -> str:
    return f"def predict(xs):\n    return [{factor} * x for x in xs]\n"


# (c) legacy: a `metadata` file with the command, scores.txt with key: value lines.
LEGACY_SCORE = """\
import os, sys
truth = open(os.path.join(sys.argv[1], "ref", "answers.txt")).read().split()
given = open(os.path.join(sys.argv[1], "res", "answers.txt")).read().split()
correct = sum(t == g for t, g in zip(truth, given))
with open(os.path.join(sys.argv[2], "scores.txt"), "w") as f:
    f.write(f"correct: {correct / len(truth)}\\nwrong: {len(truth) - correct}\\n")
"""


def write_legacy_bundle(root: Path) -> Path:
    """(c) A result challenge scored by a program run from a legacy `metadata` file."""
    write(
        root,
        {
            "competition.yaml": textwrap.dedent("""\
                version: 2
                title: Program Legacy
                terms: terms.html
                phases:
                  - name: Only phase
                    start: 2024-01-01 00:00:00
                    max_submissions_per_day: 50
                    tasks: [0]
                tasks:
                  - index: 0
                    scoring_program: program
                    reference_data: reference
                leaderboards:
                  - title: Results
                    key: Results
                    columns:
                      - {title: Correct, key: correct, index: 0, sorting: desc}
                      - {title: Wrong, key: wrong, index: 1, sorting: asc}
                """),
            "terms.html": "<p>Terms</p>",
            "program/metadata": "command: python $program/score.py $input $output\n",
            "program/score.py": LEGACY_SCORE,
            "reference/answers.txt": "a b c d e\n",
        },
    )
    return root


# HiggsML with a scoring program: the AMS from plain NumPy, both subsets in one run.
AMS_SCORE = """\
import json, os, sys
import numpy as np
ref, res, out = os.path.join(sys.argv[1], "ref"), os.path.join(sys.argv[1], "res"), sys.argv[2]

def table(path):
    lines = open(path).read().split()
    header = lines[0].split(",")
    return {name: np.array([row.split(",")[i] for row in lines[1:]]) for i, name in enumerate(header)}

solution, submission = table(os.path.join(ref, "solution.csv")), table(os.path.join(res, "submission.csv"))
given = dict(zip(submission["EventId"].astype(np.int64), submission["Class"]))
ids = solution["EventId"].astype(np.int64)
chosen = np.array([given[i] == "s" for i in ids])
label, weight, subset = solution["Label"], solution["Weight"].astype(np.float64), solution["KaggleSet"]
scores = {}
for name, code in (("public", "b"), ("private", "v")):
    s = b = 0.0
    for cls in ("s", "b"):
        in_class = (subset == code) & (label == cls)
        scale = weight[label == cls].sum() / weight[in_class].sum()
        value = weight[in_class & chosen].sum() * scale
        s, b = (value, b) if cls == "s" else (s, value)
    scores[name] = {"ams": float(np.sqrt(2 * ((s + b + 10) * np.log(1 + s / (b + 10)) - s)))}
json.dump(scores, open(os.path.join(out, "scores.json"), "w"))
"""


def write_higgs_program_bundle(root: Path, solution_csv: Path) -> Path:
    """The tiny HiggsML challenge of tests.builders.higgsml_files, scored by AMS_SCORE."""
    write(
        root,
        {
            "competition.yaml": textwrap.dedent("""\
                version: 2
                title: Higgs By Program
                terms: terms.md
                phases:
                  - name: Main
                    start: 2020-01-01
                    end: 2099-01-01
                    max_submissions_per_day: 50
                    tasks: [0]
                tasks:
                  - index: 0
                    scoring_program: scoring_program
                    reference_data: reference_data
                leaderboards:
                  - title: Results
                    key: main
                    columns:
                      - {title: AMS, key: ams, index: 0, sorting: desc, precision: 4}
                """),
            "terms.md": "Terms.\n",
            "scoring_program/metadata.yaml": "command: python $program/score.py $input $output\n",
            "scoring_program/score.py": AMS_SCORE,
            "reference_data/solution.csv": solution_csv.read_bytes(),
        },
    )
    return root

"""Ingestion program of the HiggsML uncertainty challenge.

Runs a participant's model: ``model.py`` at the top of the submission defines ``Model``, made
with no arguments; ``Model().fit(train)`` is called once with the training table (the 30
features, ``Weight``, ``Label``, ``Process``), then ``predict(events)`` once per
pseudo-experiment with its events (the 30 features), returning a mapping with ``mu_hat``,
``delta_mu_hat``, ``p16`` and ``p84``. Writes ``predictions.csv`` (one row per
pseudo-experiment) and ``timings.json`` (seconds: ``fit``, then one entry per
pseudo-experiment) to the output folder.

Usage: python ingest.py INPUT_DIR OUTPUT_DIR SUBMISSION_DIR
"""

from __future__ import annotations

import importlib.util
import json
import math
import sys
import time
from pathlib import Path

import pandas as pd

ANSWERS = ("mu_hat", "delta_mu_hat", "p16", "p84")


class SubmissionError(Exception):
    """The submission does not follow the interface; the message says where."""


def load_model_class(submission: Path):
    """The ``Model`` class of ``submission/model.py``, its folder importable."""
    source = submission / "model.py"
    if not source.is_file():
        found = sorted(p.name for p in submission.iterdir())[:10]
        raise SubmissionError(f"the submission has no model.py at its top (found: {found})")
    sys.path.insert(0, str(submission))
    spec = importlib.util.spec_from_file_location("model", source)
    module = importlib.util.module_from_spec(spec)
    sys.modules["model"] = module
    spec.loader.exec_module(module)
    if not isinstance(getattr(module, "Model", None), type):
        raise SubmissionError("model.py defines no class Model")
    return module.Model


def answer(prediction, number: int) -> dict[str, float]:
    """The four numbers of one pseudo-experiment, checked."""
    where = f"Model.predict for pseudo_experiment {number}"
    if not hasattr(prediction, "get"):
        raise SubmissionError(f"{where} returned {type(prediction).__name__}, not a mapping")
    row = {}
    for key in ANSWERS:
        value = prediction.get(key)
        try:
            row[key] = float(value)
        except (TypeError, ValueError):
            raise SubmissionError(f"{where}: {key} is {value!r}, not a number") from None
        if not math.isfinite(row[key]):
            raise SubmissionError(f"{where}: {key} is {value!r}, not a finite number")
    if row["p16"] > row["p84"]:
        raise SubmissionError(f"{where}: p16 ({row['p16']}) is above p84 ({row['p84']})")
    return row


def main(input_dir: Path, output_dir: Path, submission: Path) -> None:
    model_class = load_model_class(submission)
    train = pd.read_csv(input_dir / "train.csv")
    test = pd.read_csv(input_dir / "test.csv")
    timings = {}
    start = time.perf_counter()
    model = model_class()
    model.fit(train)
    timings["fit"] = time.perf_counter() - start
    print(f"fitted on {len(train):,} training events in {timings['fit']:.1f} s", flush=True)
    rows = []
    for number, events in test.groupby("pseudo_experiment", sort=True):
        start = time.perf_counter()
        prediction = model.predict(events.drop(columns="pseudo_experiment").reset_index(drop=True))
        timings[f"pseudo_experiment_{number}"] = time.perf_counter() - start
        rows.append({"pseudo_experiment": int(number), **answer(prediction, int(number))})
    pd.DataFrame(rows).to_csv(output_dir / "predictions.csv", index=False)
    (output_dir / "timings.json").write_text(json.dumps(timings))
    print(f"measured {len(rows)} pseudo-experiments", flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__.rsplit("Usage: ", 1)[1])
    try:
        main(*(Path(arg) for arg in sys.argv[1:]))
    except SubmissionError as error:
        sys.exit(f"SubmissionError: {error}")

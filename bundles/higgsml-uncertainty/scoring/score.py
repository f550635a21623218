"""Scoring program of the HiggsML uncertainty challenge.

Reads the ingestion's ``predictions.csv`` (``INPUT/res``) and the hidden ``truth.csv`` of the
subset being scored (``INPUT/ref``: the platform runs this program once for the public and
once for the private pseudo-experiments), scores the intervals of that subset's
pseudo-experiments with ``interval_coverage`` (the FAIR Universe HiggsML Uncertainty
Challenge's score, copied beside this file from ``fivesigma.scoring.metrics`` when the bundle
is built) and writes ``scores.json`` (score, coverage, mean_width, mae, rmse, n) and the
diagnostics ``charts.json`` (Plotly figures) to OUTPUT.

Usage: python score.py INPUT_DIR OUTPUT_DIR
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
from charts import figures
from interval_coverage import aligned_columns, check_predictions, interval_scores


def main(input_dir: Path, output_dir: Path) -> None:
    truth = pd.read_csv(input_dir / "ref" / "truth.csv")
    predictions = pd.read_csv(input_dir / "res" / "predictions.csv")
    scored = predictions[predictions["pseudo_experiment"].isin(truth["pseudo_experiment"])]
    aligned = check_predictions(scored, truth, where="predictions.csv")
    scores = interval_scores(*aligned_columns(truth, aligned))
    (output_dir / "scores.json").write_text(json.dumps(scores))
    (output_dir / "charts.json").write_text(json.dumps(figures(truth, aligned)))
    print(json.dumps(scores))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__.rsplit("Usage: ", 1)[1])
    main(Path(sys.argv[1]), Path(sys.argv[2]))

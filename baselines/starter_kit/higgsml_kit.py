"""The HiggsML starter kit: the three baselines, the data reader and the AMS scorer."""

from __future__ import annotations

from pathlib import Path

from fivesigma.baselines.starter_kit.closure import kit_code
from fivesigma.baselines.starter_kit.notebook import NOTEBOOK_REQUIREMENTS, SET_UP, kit_notebook

ENTRY_MODULES = ["fivesigma.baselines.higgsml.__main__", "fivesigma.scoring.__main__"]

README = (
    """\
# HiggsML starter kit

Find the H -> tau tau signal among Z -> tau tau, top pair and W + jets background events,
and be scored with the approximate median significance (AMS) exactly as the leaderboard
scores you. This kit holds three reference solutions you can run in minutes and improve:

| baseline | what it does | command |
|---|---|---|
| `window` | signal if abs(DER_mass_MMC - 125 GeV) < 22 GeV, the simple-window benchmark | `python -m fivesigma.baselines.higgsml window ...` |
| `bdt` | boosted decision trees with TMVA-like settings (400 trees of depth 3) | `python -m fivesigma.baselines.higgsml bdt ...` |
| `xgboost` | XGBoost, -999.0 as missing, classes balanced, cut tuned on the AMS | `python -m fivesigma.baselines.higgsml xgboost ...` |

On the original challenge these scored about 1.5 (window), 3.2 (TMVA boosted trees) and
3.6 to 3.7 (XGBoost) on the leaderboard.

"""
    + SET_UP
    + """\

Download `training.csv` and `test.csv` from the challenge page into a folder `data/`
next to this README. `training.csv` holds EventId, the 30 features (GeV, radians;
-999.0 where a quantity is undefined), Weight and Label (s or b); `test.csv` holds
EventId and the features only.

## Make a validation split and score it like the server

Hold out a fifth of the training events as a local test set, with a solution file in the
server's format (weights renormalised per class, a public and a private half):

```bash
python -m fivesigma.baselines.higgsml split --train data/training.csv --out-dir valid --fraction 0.2 --seed 0
```

Run a baseline on the split and score its submission with the server's own scorer; the
public and private AMS it prints are computed by the same code the leaderboard uses:

```bash
python -m fivesigma.baselines.higgsml window --train valid/training.csv --test valid/test.csv --out valid/window.csv
python -m fivesigma.scoring score ams --solution valid/solution.csv --submission valid/window.csv
python -m fivesigma.baselines.higgsml xgboost --train valid/training.csv --test valid/test.csv --out valid/xgboost.csv
python -m fivesigma.scoring score ams --solution valid/solution.csv --submission valid/xgboost.csv
```

## Run the baselines on the challenge data

Each command trains on the training file minus a validation fold of 20%, prints the
validation AMS (validation weights renormalised to the class totals of the whole training
file, as the leaderboard does), chooses the cut on that fold, and writes a submission
`EventId,RankOrder,Class` for every test event. `--cv K` cross-validates over K folds and
prints the mean AMS and its spread (the submission then comes from the first fold's
model); `--seed` changes the folds and the training seed; `--threads T` trains with T CPU
threads (default 1, which leaves your other cores free).

```bash
python -m fivesigma.baselines.higgsml window --train data/training.csv --test data/test.csv --out window.csv
python -m fivesigma.baselines.higgsml bdt --train data/training.csv --test data/test.csv --out bdt.csv
python -m fivesigma.baselines.higgsml xgboost --train data/training.csv --test data/test.csv --out submission.csv --cv 3
```

Upload `submission.csv` on the challenge page. The same runs from Python:

```python
from fivesigma.baselines.higgsml import run
result = run("xgboost", "data/training.csv", "data/test.csv", "submission.csv", seed=0)
print(result["validation_ams"], result["threshold"], result["seconds"])
```

## The notebook

`starter.ipynb` goes through it all in one place: it loads the data, plots the reconstructed
mass of signal and background, trains XGBoost on a validation split, scores it as the server
does, and writes `submission.csv`. Open it in JupyterLab, Jupyter Notebook or VS Code with
this environment's Python as the kernel (no Jupyter yet? `pip install notebook`, then
`jupyter notebook starter.ipynb`).

## Where to improve

- `fivesigma/baselines/higgsml/methods.py`: the three methods; each maps the features to one
  discriminant value per event (larger = more signal-like). Add a class with `fit` and
  `decision` and register it in `METHODS` to get the command line, validation and
  submission writing for free.
- `fivesigma/baselines/higgsml/cross_validation.py`: weight renormalisation and the AMS-optimal cut.
- The AMS is noisy: a difference of 0.05 between two validation runs is often luck. Use
  `--cv 5` before trusting an improvement, and choose the cut on data the model did not
  train on.

`fivesigma/scoring/` and `fivesigma/datasets/` are copies of the server's scorer and file reader, so the
numbers you get here are the numbers the server computes.
"""
)


def contents(root: Path) -> dict[str, bytes]:
    """Every file of the kit, by path inside the kit, read from the project at ``root``."""
    return {
        "README.md": README.encode(),
        "starter.ipynb": kit_notebook("higgsml"),
        **kit_code(root, ENTRY_MODULES, NOTEBOOK_REQUIREMENTS),
    }

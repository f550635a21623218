"""The HiggsML uncertainty starter kit: the two reference models as ready code submissions,
their source, the generator's systematics and the challenge's score."""

from __future__ import annotations

import tempfile
from pathlib import Path

from fivesigma.baselines.starter_kit.closure import kit_code
from fivesigma.baselines.starter_kit.notebook import NOTEBOOK_REQUIREMENTS, SET_UP, kit_notebook

ENTRY_MODULES = [
    "fivesigma.baselines.higgsml_uncertainty.__main__",
    "fivesigma.datasets.higgsml.systematics",
]
METHODS = ("stats", "profiled")

README = (
    """\
# HiggsML with uncertainties: starter kit

Measure the signal strength mu of H -> tau tau in each pseudo-experiment with a 68%
interval that stays honest under systematic uncertainties. You submit code: a zip with
`model.py` at its top defining `Model` (made with no arguments, `fit(train)` once,
`predict(events)` per pseudo-experiment returning `mu_hat`, `delta_mu_hat`, `p16`, `p84`).
This kit holds two reference models, ready to submit:

| submission | what it does |
|---|---|
| `submissions/stats-model.zip` | a classifier score histogram fitted for mu alone: narrow intervals that cover too rarely once the systematics are on |
| `submissions/profiled-model.zip` | the same histogram with the six nuisance parameters profiled (templates at shifted tau and jet energy scales and soft missing ET, constrained by their priors): wider intervals that cover about 68% |

"""
    + SET_UP
    + """\

Download `train.csv`, `sample_test.csv` and `sample_truth.csv` from the challenge page into
a folder `data/` next to this README. `train.csv` holds the 30 features (GeV, radians;
-999.0 where a quantity is undefined), `Weight` (each process's weights sum to its expected
events in one pseudo-experiment at mu = 1), `Label` (s or b) and `Process`;
`sample_test.csv` holds a few pseudo-experiments (`pseudo_experiment` and the 30
features) and `sample_truth.csv` their true mu and nuisance values.

## Run the reference models and score them like the server

Each command trains once on the training file, measures mu in every sample
pseudo-experiment, writes the predictions and prints the score computed by the scoring
program's own code (score, coverage, mean interval width, MAE and RMSE of mu_hat); with
ten pseudo-experiments the coverage is only a rough guide.

```bash
python -m fivesigma.baselines.higgsml_uncertainty stats --train data/train.csv --test data/sample_test.csv --truth data/sample_truth.csv --out stats.csv
python -m fivesigma.baselines.higgsml_uncertainty profiled --train data/train.csv --test data/sample_test.csv --truth data/sample_truth.csv --out profiled.csv
```

The profiled model takes a few minutes: it measures the template half of the training set
again at five shifted nuisance values.

## Submit

Upload `submissions/profiled-model.zip` (or the stats one) on the challenge page. To submit
your own model, write `model.py` next to this README and zip it with the code it imports,
for instance this kit's `fivesigma/` folder when it builds on the reference models:

```python
from fivesigma.baselines.higgsml_uncertainty import Model as ReferenceModel


class Model(ReferenceModel):
    def __init__(self):
        super().__init__(profiled=True, bins=16)
```

then `zip -r my-model.zip model.py fivesigma`. The sandbox has numpy, scipy, pandas,
scikit-learn, xgboost and numba; it runs your code on one CPU, without network, with at
most 6 GB of memory and one hour in all.

## Study the systematics

`fivesigma/datasets/higgsml/systematics.py` is the generator's own code: shift the training
set to see how a nuisance moves your classifier's score.

```python
import pandas as pd
from fivesigma.datasets.higgsml.systematics import NUISANCES, apply_systematics

train = pd.read_csv("data/train.csv")
shifted = apply_systematics(train.head(2000), tes=1.02, diboson_scale=1.3)
print({name: (n.nominal, n.sigma) for name, n in NUISANCES.items()})
print(len(shifted), "events kept of 2000 after a 2% higher tau energy scale")
```

## The notebook

`starter.ipynb` trains the profiled model, measures one pseudo-experiment, plots its
profile-likelihood scan and scores the sample like the server. Open it in JupyterLab,
Jupyter Notebook or VS Code with this environment's Python as the kernel (no Jupyter yet?
`pip install notebook`, then `jupyter notebook starter.ipynb`).

## Where to improve

- `fivesigma/baselines/higgsml_uncertainty/model.py`: the classifier, the binning and the
  templates; `likelihood.py`: the binned likelihood and its profile interval.
- The templates come from half the training set, and their own statistical uncertainty is
  not in the fit: a better treatment (more template events, Barlow-Beeston terms, a
  classifier that depends less on the tau energy scale) narrows the interval or improves
  the coverage.
"""
)


def ready_submissions() -> dict[str, bytes]:
    """The reference models' code submission zips, by path inside the kit."""
    from fivesigma.baselines.higgsml_uncertainty.code_submission import build_submission_zip

    with tempfile.TemporaryDirectory() as tmp:
        return {
            f"submissions/{method}-model.zip": build_submission_zip(
                method, Path(tmp) / f"{method}.zip"
            ).read_bytes()
            for method in METHODS
        }


def contents(root: Path) -> dict[str, bytes]:
    """Every file of the kit, by path inside the kit, read from the project at ``root``."""
    return {
        "README.md": README.encode(),
        "starter.ipynb": kit_notebook("higgsml_uncertainty"),
        **ready_submissions(),
        **kit_code(root, ENTRY_MODULES, NOTEBOOK_REQUIREMENTS),
    }

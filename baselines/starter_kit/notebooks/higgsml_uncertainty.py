# %% [markdown]
# # HiggsML with uncertainties: starter notebook
#
# Measure the signal strength μ of H → ττ with a 68% interval: train the profiled reference
# model once, measure one pseudo-experiment, look at its profile-likelihood scan, and score
# the sample pseudo-experiments exactly as the server scores. First put `train.csv`,
# `sample_test.csv` and `sample_truth.csv` from the challenge page into a folder `data/`
# next to this notebook (README.md has the details).

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from fivesigma.baselines.higgsml_uncertainty import Model, predict_all
from fivesigma.baselines.higgsml_uncertainty.likelihood import profile_scan
from fivesigma.scoring.metrics.interval_coverage import score_predictions

DATA = Path("data")
train = pd.read_csv(DATA / "train.csv")
sample = pd.read_csv(DATA / "sample_test.csv")
truth = pd.read_csv(DATA / "sample_truth.csv")
expected = train.groupby("Process")["Weight"].sum()
print(f"{len(train):,} training events; expected events per pseudo-experiment at mu = 1:")
print(expected.round(1).to_string())

# %% [markdown]
# ## Train once
#
# The profiled model trains a gradient-boosted classifier on half of the training set, fills
# score histograms of the signal and of each background with the other half, and measures
# that half again at shifted tau and jet energy scales and soft missing ET: the templates of
# the nuisance parameters. This takes a few minutes on the full training set.

# %%
model = Model(profiled=True).fit(train)

# %% [markdown]
# ## One pseudo-experiment
#
# The events of a pseudo-experiment are counted in the score bins; the fit finds μ̂ and the
# nuisances, and the interval is where −2 ln L rises by 1 above its minimum, the nuisances
# fitted again at each μ.

# %%
first = truth.iloc[0]
events = sample[sample["pseudo_experiment"] == first["pseudo_experiment"]]
measured = model.predict(events.drop(columns="pseudo_experiment"))
print(f"true mu {first['mu']:.3f}; measured {measured['mu_hat']:.3f} "
      f"in [{measured['p16']:.3f}, {measured['p84']:.3f}]")  # fmt: skip

mus = np.linspace(measured["p16"] - 0.5, measured["p84"] + 0.5, 41)
scan = profile_scan(model.likelihood, model.observed(events.drop(columns="pseudo_experiment")), mus)
plt.plot(mus, scan, label="profile likelihood")
plt.axhline(1.0, color="grey", linestyle=":", label="68% interval")
plt.axvline(first["mu"], color="red", label="true mu")
plt.xlabel("mu")
plt.ylabel("-2 ln L(mu) / L(mu_hat)")
plt.ylim(0, 6)
plt.legend()
plt.show()

# %% [markdown]
# ## Every sample pseudo-experiment, scored like the server
#
# The score rewards narrow intervals as long as about 68% of them hold the true μ; with ten
# pseudo-experiments the coverage is only a rough guide.

# %%
predictions = predict_all(model, sample)
predictions.to_csv("predictions.csv", index=False)
scores = score_predictions(predictions, truth, where="predictions.csv")
for name, value in scores.items():
    print(f"{name} = {value:.6f}")

# %% [markdown]
# # HiggsML starter notebook
#
# Find the H → ττ signal among the background events: load the data, look at it, run a
# baseline, score it on a validation split exactly as the leaderboard scores, and write a
# submission to upload. First put `training.csv` and `test.csv` from the challenge page into
# a folder `data/` next to this notebook (README.md has the details).

# %%
from pathlib import Path

import matplotlib.pyplot as plt

from fivesigma.baselines.higgsml import run
from fivesigma.baselines.higgsml.event_loading import load_events
from fivesigma.baselines.higgsml.split import write_validation_split
from fivesigma.scoring import registry

DATA, VALID = Path("data"), Path("valid")

# %% [markdown]
# ## The data
#
# Each event has 30 features (energies and masses in GeV, angles in radians; -999.0 where a
# quantity is undefined for the event), a weight and a label (s for signal, b for
# background). The mass reconstructed by the MMC method peaks near 125 GeV for the signal.

# %%
train = load_events(DATA / "training.csv", with_truth=True)
labels, weights = train.truth()
print(f"{len(train.event_ids):,} training events, {labels.mean():.1%} of them signal")
mass = train.features["DER_mass_MMC"].to_numpy()
for label, name in ((0, "background"), (1, "signal")):
    rows = (labels == label) & (mass > -999.0)
    plt.hist(
        mass[rows],
        bins=50,
        range=(0.0, 250.0),
        weights=weights[rows],
        density=True,
        histtype="step",
        label=name,
    )
plt.xlabel("DER_mass_MMC (GeV)")
plt.ylabel("weighted events, normalised")
plt.legend()
plt.show()

# %% [markdown]
# ## A baseline, scored like the server scores
#
# Hold out a fifth of the training events as a local test set with a solution file in the
# server's layout, train XGBoost on the rest, and score its submission with the server's own
# scorer: the public and private AMS below are computed by the code the leaderboard runs.

# %%
write_validation_split(DATA / "training.csv", VALID, fraction=0.2, seed=0)
result = run("xgboost", VALID / "training.csv", VALID / "test.csv", VALID / "xgboost.csv", seed=0)
print(f"validation AMS {result['validation_ams']:.3f} with the cut at {result['threshold']:.4f}")

ams = registry.get("ams")
solution = ams.read_solution(VALID / "solution.csv")
submission = ams.read_submission(VALID / "xgboost.csv")
ams.check(solution, submission)
scores = ams.evaluate(solution, submission)
for subset in ("public", "private"):
    part = scores[subset]
    print(
        f"{subset:8s} ams = {part['score']:.5f}   95% interval [{part['ci_low']:.5f}, {part['ci_high']:.5f}]"
    )

# %% [markdown]
# ## The submission
#
# Train on the whole training file and label every test event; upload `submission.csv` on
# the challenge page. `fivesigma/baselines/higgsml/methods.py` is where to start improving.

# %%
final = run("xgboost", DATA / "training.csv", DATA / "test.csv", "submission.csv", seed=0)
print(
    f"wrote submission.csv: {final['n_test']:,} test events, {final['test_selected_fraction']:.1%} called signal"
)

# %% [markdown]
# # TrackML starter notebook
#
# Group the hits of each collision event into particle tracks: load an event, look at it, run
# the seeded tracker, score it on the training events exactly as the leaderboard scores, and
# write a submission to upload. First unpack `train.zip` and `test.zip` from the challenge
# page into a folder `data/` next to this notebook (README.md has the details).

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import trackml_local

from fivesigma.baselines.trackml import run
from fivesigma.datasets.trackml import list_events, read_event
from fivesigma.scoring import registry

DATA, VALID = Path("data"), Path("valid")

# %% [markdown]
# ## An event
#
# Each event has its hits (positions in mm), the cells that fired, and for training events the
# truth: which particle left each hit, and the particles (momenta in GeV). Seen along the
# beam, the tracks of the 2 T solenoid field are arcs of circles through the origin.

# %%
first = list_events(DATA / "train")[0]
hits, truth = read_event(first, parts=("hits", "truth"))
print(f"{Path(first).name}: {len(hits):,} hits from {truth['particle_id'].nunique():,} particles")
particles = truth["particle_id"].to_numpy()
shown = np.isin(particles, np.unique(particles[particles != 0])[:40])
plt.figure(figsize=(6, 6))
plt.scatter(hits["x"], hits["y"], s=0.2, c="lightgray")
plt.scatter(hits["x"][shown], hits["y"][shown], s=2, c=particles[shown] % 20, cmap="tab20")
plt.xlabel("x (mm)")
plt.ylabel("y (mm)")
plt.title("all hits, and the hits of 40 particles")
plt.show()

# %% [markdown]
# ## A baseline, scored like the server scores
#
# The training events carry their truth, so they serve as a local test set: write it as a
# solution file in the server's layout, run the seeded tracker on them and score it with the
# server's own scorer (the code the leaderboard runs).

# %%
VALID.mkdir(exist_ok=True)
trackml_local.solution_frame(DATA / "train").to_csv(VALID / "solution.csv", index=False)
summary = run("seeded", DATA / "train", VALID / "seeded.csv")
print(f"{len(summary['events'])} events, {summary['mean_seconds']:.3f} s per event")

accuracy = registry.get("trackml")
solution = accuracy.read_solution(VALID / "solution.csv")
submission = accuracy.read_submission(VALID / "seeded.csv")
accuracy.check(solution, submission)
scores = accuracy.evaluate(solution, submission)
for subset in ("public", "private"):
    part = scores[subset]
    print(
        f"{subset:8s} trackml = {part['score']:.5f}   95% interval [{part['ci_low']:.5f}, {part['ci_high']:.5f}]"
    )

# %% [markdown]
# ## The submission
#
# Reconstruct every test event and upload `submission.csv` in the accuracy phase.
# `fivesigma/baselines/trackml/` is where to start improving.

# %%
final = run("seeded", DATA / "test", "submission.csv")
print(f"wrote submission.csv: {len(final['events'])} test events")

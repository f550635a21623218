"""TrackML reference baselines: DBSCAN on unrolled helices and a seeded track follower.

    from fivesigma.baselines.trackml import reconstruct_event, run, build_submission_zip
    track_id = reconstruct_event(hits, method="seeded", cells=cells)  # one id per hit
    summary = run("seeded", "data/train", "submission.csv", n_events=10)

``python -m fivesigma.baselines.trackml dbscan|seeded --input DIR --out submission.csv`` does the same
from the command line. Lengths in mm, momenta in GeV, times in seconds.
"""

from .packaging import build_submission_zip
from .reconstruction import METHODS, reconstruct_event, run

__all__ = ["METHODS", "build_submission_zip", "reconstruct_event", "run"]

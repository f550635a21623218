"""TrackML throughput score (Codalab 2018-19): accuracy traded against reconstruction speed.

    score = sqrt(ln(1 + 600 / t) * (A - 0.5)^2)  if A >= 0.5, else 0

A is the mean event accuracy (:mod:`scoring.kernels.weighted_accuracy`), t the mean wall-clock seconds per
event spent in the participant's reconstruction call.
"""

from __future__ import annotations

import math

import numpy as np

MAX_SECONDS_PER_EVENT = 600.0
ACCURACY_ROUNDING = (
    1e-9  # accuracies this far above 1 are floating-point rounding of a perfect event
)


def check_seconds_per_event(seconds_per_event) -> float:
    """``seconds_per_event`` as a float, or ValueError unless 0 < t <= 600 s."""
    try:
        seconds = float(seconds_per_event)
    except (TypeError, ValueError):
        raise ValueError(f"seconds per event must be a number, got {seconds_per_event!r}") from None
    if not (0.0 < seconds <= MAX_SECONDS_PER_EVENT):
        raise ValueError(
            f"seconds per event must lie in (0, {MAX_SECONDS_PER_EVENT:g}] s, got {seconds!r}: the submission is invalid"
        )
    return seconds


def throughput_score(accuracy, seconds_per_event: float):
    """Throughput score for mean ``accuracy`` in [0, 1] and mean ``seconds_per_event`` (s).

    ``accuracy`` may be an array (e.g. bootstrap replicas); a scalar gives a float.
    Raises ValueError for a time outside (0, 600] s or an accuracy outside [0, 1].
    """
    seconds = check_seconds_per_event(seconds_per_event)
    values = np.asarray(accuracy, dtype=np.float64)
    if not np.all((values >= 0.0) & (values <= 1.0 + ACCURACY_ROUNDING)):
        raise ValueError(f"accuracy must lie in [0, 1], got {accuracy!r}")
    values = np.minimum(values, 1.0)  # a perfect event can sum its weights to 1 + a few ulps
    score = np.where(
        values >= 0.5, np.sqrt(math.log(1.0 + 600.0 / seconds) * (values - 0.5) ** 2), 0.0
    )
    return float(score) if score.ndim == 0 else score

"""A perfect event whose weights sum to 1 plus rounding still scores as accuracy 1."""

import math

import numpy as np
import pytest

from fivesigma.scoring.throughput import throughput_score


def test_accuracy_a_few_ulps_above_one_counts_as_one():
    accuracy = 1.0 + 3e-15  # what a perfect event gave on a real run (weights summing to 1 + ulps)
    assert accuracy > 1.0
    assert throughput_score(accuracy, 2.0) == pytest.approx(
        math.sqrt(math.log(1 + 600 / 2.0) * 0.25), abs=0
    )


def test_accuracy_clearly_above_one_is_refused():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        throughput_score(np.array([0.7, 1.01]), 2.0)

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fivesigma.scoring.throughput import throughput_score
from tests.scoring import twins

# REFERENCE.md section 3: the published Codalab table (accuracies rounded to 1e-3)
PUBLISHED = [
    ("sgorbuno", 0.944, 0.56, 1.1727),
    ("fastrack", 0.944, 1.11, 1.1145),
    ("cloudkitchen", 0.928, 7.28, 0.9007),
    ("cubus", 0.895, 13.51, 0.7719),
    ("Taka", 0.875, 53.37, 0.5930),
    ("Vicennial", 0.815, 25.41, 0.5634),
    ("Sharad", 0.674, 38.04, 0.2918),
]


@pytest.mark.parametrize(("user", "accuracy", "seconds", "published"), PUBLISHED)
def test_reproduces_the_published_table(user, accuracy, seconds, published):
    assert throughput_score(accuracy, seconds) == pytest.approx(published, abs=1e-3)


def test_below_half_accuracy_scores_zero():
    assert throughput_score(0.49, 1.0) == 0.0
    assert throughput_score(0.5, 1.0) == 0.0


@pytest.mark.parametrize("seconds", [0.0, -1.0, 600.01, float("nan"), float("inf"), "fast", None])
def test_invalid_times_raise_a_clear_error(seconds):
    with pytest.raises(ValueError, match="seconds per event"):
        throughput_score(0.9, seconds)


def test_accuracy_outside_unit_interval_is_rejected():
    with pytest.raises(ValueError, match="accuracy"):
        throughput_score(1.2, 1.0)


@given(st.floats(0.0, 1.0), st.floats(1e-3, 600.0))
def test_matches_the_definition(accuracy, seconds):
    assert throughput_score(accuracy, seconds) == pytest.approx(
        twins.throughput(accuracy, seconds), rel=1e-12, abs=1e-15
    )


def test_arrays_of_accuracies():
    scores = throughput_score([0.4, 0.944], 0.56)
    assert scores[0] == 0.0 and scores[1] == pytest.approx(1.1727, abs=1e-3)

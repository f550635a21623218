import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fivesigma.scoring.kernels.ams import ams, ams_curve, class_normalised_weights, score_submission
from fivesigma.scoring.validation import SubmissionError
from tests.scoring import twins


def test_ams_hand_worked():
    # s = 10, b = 0: 2 * (20 ln 2 - 10) = 40 ln 2 - 20
    assert ams(10.0, 0.0) == pytest.approx(math.sqrt(40 * math.log(2) - 20), rel=1e-15)
    # s = 0 selects nothing useful
    assert ams(0.0, 123.0) == 0.0
    # s = 5, b = 90, b_reg = 10: 2 * (105 ln(1.05) - 5)
    assert ams(5.0, 90.0) == pytest.approx(math.sqrt(2 * (105 * math.log(1.05) - 5)), rel=1e-15)


def test_ams_approaches_s_over_sqrt_b_for_small_signal():
    # the official expression cancels catastrophically for s << b (kept for bit-compatibility)
    assert ams(1.0, 1e6) == pytest.approx(1.0 / math.sqrt(1e6 + 10), rel=1e-4)


def test_ams_arrays_match_scalars():
    s = np.array([0.0, 1.0, 50.0, 691.99])
    b = np.array([0.0, 1e4, 300.0, 0.0])
    assert np.allclose(
        ams(s, b), [ams(x, y) for x, y in zip(s, b, strict=True)], rtol=1e-14, atol=0
    )


@given(
    st.floats(0, 1e3, allow_nan=False),
    st.floats(0, 1e6, allow_nan=False),
)
def test_ams_equals_the_formula(s, b):
    assert ams(s, b) == pytest.approx(twins.ams(s, b), rel=1e-12, abs=1e-12)


def test_class_normalised_weights_hand_worked():
    weights = np.array([1.0, 3.0, 2.0, 10.0, 30.0, 5.0])
    signal = np.array([True, True, True, False, False, False])
    subset = np.array([True, False, True, True, True, False])
    scaled = class_normalised_weights(weights, signal, subset)
    # signal total 6 over the subset's 1 + 2 = 3 -> x2; background total 45 over 40 -> x1.125
    assert scaled.tolist() == [2.0, 0.0, 4.0, 11.25, 33.75, 0.0]


rows = st.lists(
    st.tuples(
        st.sampled_from("sb"),
        st.floats(0.001, 10.0),
        st.sampled_from(["Public", "Private"]),
        st.sampled_from("sb"),
    ),
    min_size=4,
    max_size=60,
)


def _frames(table):
    n = len(table)
    solution = pd.DataFrame(
        {
            "EventId": np.arange(100, 100 + n),
            "Label": [r[0] for r in table],
            "Weight": [r[1] for r in table],
            "Usage": [r[2] for r in table],
        }
    )
    submission = pd.DataFrame(
        {
            "EventId": solution.EventId,
            "RankOrder": np.arange(1, n + 1),
            "Class": [r[3] for r in table],
        }
    )
    return solution, submission.iloc[::-1].reset_index(drop=True)


@settings(max_examples=200, deadline=None)
@given(rows)
def test_score_submission_matches_the_definition(table):
    labels = {(r[0], r[2]) for r in table}
    if not all((label, use) in labels for label in "sb" for use in ("Public", "Private")):
        return  # every class must be present in both subsets for the renormalisation to exist
    solution, submission = _frames(table)
    scores = score_submission(solution, submission)
    assert scores["public"] == pytest.approx(
        twins.subset_ams(table, "Public"), rel=1e-10, abs=1e-12
    )
    assert scores["private"] == pytest.approx(
        twins.subset_ams(table, "Private"), rel=1e-10, abs=1e-12
    )


def test_score_submission_with_explicit_totals_and_kaggleset():
    table = [
        ("s", 1.0, "b", "s"),
        ("b", 4.0, "b", "s"),
        ("s", 3.0, "v", "s"),
        ("b", 2.0, "v", "b"),
        ("b", 9.0, "t", "b"),
    ]
    solution = pd.DataFrame(
        {
            "EventId": [1, 2, 3, 4, 5],
            "Label": [r[0] for r in table],
            "Weight": [r[1] for r in table],
            "KaggleSet": [r[2] for r in table],
        }
    )
    submission = pd.DataFrame(
        {"EventId": [1, 2, 3, 4], "RankOrder": [4, 3, 2, 1], "Class": ["s", "s", "s", "b"]}
    )
    scores = score_submission(solution, submission, totals=(10.0, 100.0))
    # public: the one signal (1.0) scales to 10, the one background (4.0) to 100
    assert scores["public"] == pytest.approx(twins.ams(10.0, 100.0), rel=1e-14)
    # private: signal 3.0 -> 10, background not selected
    assert scores["private"] == pytest.approx(twins.ams(10.0, 0.0), rel=1e-14)


def test_score_submission_reports_missing_and_unknown_ids():
    solution = pd.DataFrame(
        {
            "EventId": [1, 2, 3],
            "Label": ["s", "b", "b"],
            "Weight": [1.0, 1.0, 1.0],
            "Usage": ["Public"] * 3,
        }
    )
    submission = pd.DataFrame(
        {"EventId": [1, 2, 7], "RankOrder": [1, 2, 3], "Class": ["s", "b", "b"]}
    )
    with pytest.raises(SubmissionError) as error:
        score_submission(solution, submission)
    text = str(error.value)
    assert "missing" in text and "3" in text
    assert "not in the test set" in text and "7" in text


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.booleans(), st.floats(0.01, 5.0), st.integers(0, 8)), min_size=1, max_size=40
    )
)
def test_ams_curve_matches_cut_by_cut(events):
    signal = np.array([e[0] for e in events])
    weights = np.array([e[1] for e in events])
    scores = np.array([e[2] for e in events], dtype=float)
    curve = ams_curve(signal, weights, scores)
    thresholds = sorted(set(scores.tolist()), reverse=True)
    assert curve.threshold.tolist() == thresholds
    for k, threshold in enumerate(thresholds):
        chosen = [e for e in events if e[2] >= threshold]
        s = sum(e[1] for e in chosen if e[0])
        b = sum(e[1] for e in chosen if not e[0])
        assert curve.n_selected[k] == len(chosen)
        assert curve.ams[k] == pytest.approx(twins.ams(s, b), rel=1e-9, abs=1e-12)


def test_ams_curve_accepts_string_labels():
    curve = ams_curve(["s", "b", "s"], [1.0, 1.0, 1.0], [3, 2, 1])
    assert curve.s.tolist() == [1.0, 1.0, 2.0]
    assert curve.b.tolist() == [0.0, 1.0, 1.0]

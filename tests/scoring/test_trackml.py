from collections import Counter

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fivesigma.scoring.kernels.dense_labels import dense_labels
from fivesigma.scoring.kernels.weighted_accuracy import (
    prepare_truth,
    score_event,
    score_event_pandas,
    score_events,
    truth_event,
)
from fivesigma.scoring.validation import SubmissionError
from tests.scoring import twins

# hits 1..6: particle A owns 1-3 (weight 0.2 each), B owns 4-5 (0.2 each), 6 is noise (0)
TRUTH = pd.DataFrame(
    {
        "hit_id": [1, 2, 3, 4, 5, 6],
        "particle_id": [2**60 + 1, 2**60 + 1, 2**60 + 1, 7, 7, 0],
        "weight": [0.2, 0.2, 0.2, 0.2, 0.2, 0.0],
    }
)


def _submission(tracks):
    return pd.DataFrame({"hit_id": [1, 2, 3, 4, 5, 6], "track_id": tracks})


@pytest.mark.parametrize(
    ("tracks", "expected"),
    [
        ([5, 5, 5, 9, 9, 11], 1.0),  # perfect
        ([0, 0, 0, 0, 0, 0], 0.0),  # one track holding everything: A has 3/6, not more than half
        ([1, 1, 2, 2, 2, 2], 0.4),  # {1,2} good for A (2 of 3 hits); {3,4,5,6}: B has 2/4 only
        ([3, 3, 3, 3, 8, 8], 0.6),  # {1..4} good for A (3/4); {5,6} ties at 1/2, not good
        ([1, 2, 3, 4, 4, 5], 0.4),  # A split in singletons (1 of 3 hits each); B found
        ([2**62, 2**62, 2**62, -3, -3, 17], 1.0),  # large, negative and scattered track ids
    ],
)
def test_hand_worked_events(tracks, expected):
    in_hit_order = _submission(tracks)
    shuffled = in_hit_order.iloc[[5, 3, 1, 0, 2, 4]]
    for submission in (in_hit_order, shuffled):
        assert score_event(TRUTH, submission) == pytest.approx(expected, abs=1e-15)
        assert score_event_pandas(TRUTH, submission) == pytest.approx(expected, abs=1e-15)


PARTICLE_POOL = np.array([0, 1, 2, 3, 2**40 + 5, 2**62 + 17, 4503668346847232, 9], dtype=np.int64)
TRACK_POOL = np.array([0, 1, 2, 3, 7, 1000, 10**12, 2**62 + 3, 2**50], dtype=np.int64)


@st.composite
def events(draw):
    """Small random events: noise, 64-bit particle ids, scattered track ids, any hit ids."""
    n = draw(st.integers(1, 60))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    particles = rng.choice(PARTICLE_POOL[: draw(st.integers(1, PARTICLE_POOL.size))], n)
    tracks = rng.choice(TRACK_POOL[: draw(st.integers(1, TRACK_POOL.size))], n)
    weights = rng.random(n) * (rng.random(n) < draw(st.sampled_from([0.3, 1.0])))
    weights[0] += 0.1  # the score needs a positive total weight
    hits = np.arange(1, n + 1) if draw(st.booleans()) else rng.choice(10**9, n, replace=False) + 1
    order = rng.permutation(n) if draw(st.booleans()) else np.arange(n)  # shuffled or hit order
    truth = pd.DataFrame({"hit_id": hits, "particle_id": particles, "weight": weights})
    submission = pd.DataFrame({"hit_id": hits[order], "track_id": tracks[order]})
    return truth, submission


def _twin_score(truth, submission):
    return twins.trackml_event_score(
        list(truth.itertuples(index=False, name=None)),
        list(submission.itertuples(index=False, name=None)),
    )


@settings(max_examples=200, deadline=None)
@given(events())
def test_score_event_matches_the_definition(event):
    truth, submission = event
    assert score_event(truth, submission) == pytest.approx(
        _twin_score(truth, submission), rel=1e-12, abs=1e-12
    )


@settings(max_examples=30, deadline=None)
@given(events())
def test_pandas_transcription_matches_the_definition(event):
    truth, submission = event
    assert score_event_pandas(truth, submission) == pytest.approx(
        _twin_score(truth, submission), rel=1e-12, abs=1e-12
    )


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.integers(-5, 40), st.integers(-(2**63), 2**63 - 1)), max_size=300))
def test_dense_labels_label_equal_values_equally_in_first_appearance_order(values):
    values = np.array(values, dtype=np.int64)
    dense, counts = dense_labels(values)
    first_seen = {}
    for v in values.tolist():
        first_seen.setdefault(v, len(first_seen))
    assert dense.tolist() == [first_seen[v] for v in values.tolist()]
    multiplicity = Counter(values.tolist())
    assert counts.tolist() == [multiplicity[v] for v in first_seen]


def test_many_distinct_values_grow_the_hash_table():
    # 5000 distinct ids among 7000 values: the 8192-slot table is half full before the end
    values = np.random.default_rng(3).integers(-(2**62), 2**62, 5000)
    values = np.concatenate([values, values[:2000][::-1]])
    dense, counts = dense_labels(values)
    assert counts.tolist() == [2] * 2000 + [1] * 3000
    assert (dense[:5000] == np.arange(5000)).all()
    assert (dense[5000:] == np.arange(2000)[::-1]).all()


SCATTER = np.int64(-7046029254386353131)  # odd: multiplying by it permutes the int64 values


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 50), min_size=1, max_size=400), st.integers(-(2**40), 2**40))
def test_direct_and_hash_paths_give_the_same_labels(values, offset):
    compact = np.array(values, dtype=np.int64) + offset  # span <= 50: direct table
    with np.errstate(over="ignore"):
        scattered = compact * SCATTER  # the same equalities, spread over the 64-bit range
    span = int(scattered.max()) - int(scattered.min())
    assert span > compact.size + 1024 or np.unique(compact).size == 1  # hash path
    direct, direct_counts = dense_labels(compact)
    hashed, hashed_counts = dense_labels(scattered)
    assert direct.tolist() == hashed.tolist()
    assert direct_counts.tolist() == hashed_counts.tolist()


@st.composite
def dense_events(draw):
    """Random events with particle and track ids numbered 0, 1, 2... in order of first appearance."""
    n = draw(st.integers(1, 300))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    particles = rng.integers(0, draw(st.integers(1, 40)), n)
    tracks = np.where(rng.random(n) < 0.8, particles, rng.integers(0, 60, n))
    weights = rng.random(n) * (particles > 0)
    weights[0] += 0.1
    return pd.factorize(particles)[0], pd.factorize(tracks)[0], weights


@settings(max_examples=100, deadline=None)
@given(dense_events())
def test_compact_and_scattered_ids_score_bit_for_bit_the_same(event):
    particles, tracks, weights = event
    hits = np.arange(1, particles.size + 1)
    with np.errstate(over="ignore"):
        wide_particles, wide_tracks = particles * SCATTER, tracks * SCATTER + 10**12
    scores = {
        score_event(
            pd.DataFrame({"hit_id": hits, "particle_id": p, "weight": weights}),
            pd.DataFrame({"hit_id": hits, "track_id": t}),
        )
        for p in (particles, wide_particles)
        for t in (tracks, wide_tracks)
    }
    assert len(scores) == 1
    truth = pd.DataFrame({"hit_id": hits, "particle_id": particles, "weight": weights})
    submission = pd.DataFrame({"hit_id": hits, "track_id": tracks})
    assert scores.pop() == pytest.approx(_twin_score(truth, submission), rel=1e-12, abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(events())
def test_prepared_truth_scores_as_the_truth_frame(event):
    truth, submission = event
    assert score_event(prepare_truth(truth), submission) == score_event(truth, submission)


def test_prepared_truth_is_a_snapshot():
    truth = TRUTH.copy()
    prepared = prepare_truth(truth)
    truth["particle_id"] = 0
    truth["weight"] = 1.0
    truth["hit_id"] += 100
    submission = _submission([1, 1, 2, 2, 2, 2])
    assert score_event(prepared, submission) == pytest.approx(0.4, abs=1e-15)
    with pytest.raises(SubmissionError, match="missing, e.g. hit_id 6"):
        score_event(prepared, submission.iloc[:5])


@pytest.mark.parametrize(
    ("hits", "message"),
    [
        ([1, 2, 3, 4, 5], "missing, e.g. hit_id 6"),
        ([1, 2, 3, 4, 5, 6, 6], "6 appear more than once"),
        ([1, 2, 3, 4, 5, 6, 99], "not hits of this event, e.g. 99"),
    ],
)
def test_hit_mismatch_is_reported(hits, message):
    submission = pd.DataFrame({"hit_id": hits, "track_id": 0})
    with pytest.raises(SubmissionError, match=message):
        score_event(TRUTH, submission)


def test_score_events_gives_per_event_scores_and_their_mean():
    truth = pd.concat([TRUTH.assign(event_id=1000), TRUTH.assign(event_id=1001)])
    submission = pd.concat(
        [
            _submission([5, 5, 5, 9, 9, 11]).assign(event_id=1001),
            _submission([1, 1, 2, 2, 2, 2]).assign(event_id=1000),
        ]
    )
    result = score_events(truth, submission)
    assert result.per_event.to_dict() == {1000: pytest.approx(0.4), 1001: pytest.approx(1.0)}
    assert result.mean == pytest.approx(0.7)


def test_score_events_reports_missing_and_unknown_events():
    truth = pd.concat([TRUTH.assign(event_id=1), TRUTH.assign(event_id=2)])
    submission = _submission([0] * 6).assign(event_id=3)
    with pytest.raises(SubmissionError) as error:
        score_events(truth, submission)
    assert "missing from the submission, e.g. event_id 1, 2" in str(error.value)
    assert "not test events, e.g. 3" in str(error.value)


def test_truth_columns_of_different_lengths_are_refused():
    with pytest.raises(ValueError, match="3 hit_id, 2 particle_id, 3 weight"):
        truth_event(np.arange(3), np.zeros(2, dtype=np.int64), np.ones(3))


@pytest.mark.parametrize(
    ("weights", "total"),
    [([0.0] * 6, "0.0"), ([0.2] * 5 + [np.inf], "inf"), ([0.2] * 5 + [np.nan], "nan")],
)
def test_truth_weights_without_a_positive_finite_sum_are_refused(weights, total):
    truth = TRUTH.assign(weight=weights)
    for scored_truth in (truth, prepare_truth(truth)):
        with pytest.raises(
            ValueError, match=f"the truth weights sum to {total}; the score is undefined"
        ):
            score_event(scored_truth, _submission([5, 5, 5, 9, 9, 11]))

"""Scratch arrays: reused between calls and per thread, never leaking into results that outlive a call."""

import sys
import threading

import numpy as np
import pandas as pd
import pytest

from fivesigma.scoring.kernels.scratch import KEPT_BYTES, Scratch
from fivesigma.scoring.kernels.weighted_accuracy import match_event, score_event, truth_event
from tests.scoring import twins


def _event(seed: int, n_hits: int):
    """A random event with 64-bit particle ids, noise and an imperfect submission."""
    rng = np.random.default_rng(seed)
    particle = np.where(rng.random(n_hits) < 0.15, 0, rng.integers(1, n_hits // 8, n_hits) << 33)
    truth = pd.DataFrame(
        {"hit_id": np.arange(1, n_hits + 1), "particle_id": particle, "weight": rng.random(n_hits)}
    )
    track = np.where(rng.random(n_hits) < 0.9, particle >> 33, rng.integers(0, n_hits, n_hits))
    submission = pd.DataFrame({"hit_id": truth["hit_id"], "track_id": track})
    return truth, submission


def _twin(truth, submission):
    return twins.trackml_event_score(
        list(truth[["hit_id", "particle_id", "weight"]].itertuples(index=False)),
        list(submission[["hit_id", "track_id"]].itertuples(index=False)),
    )


def test_array_is_reused_and_grows_by_powers_of_two():
    scratch = Scratch()
    first = scratch.array("a", 1500, np.int32)
    assert first.shape == (1500,) and first.flags.writeable and first.flags.c_contiguous
    first[:] = 7
    again = scratch.array("a", 1000, np.int32)
    assert np.shares_memory(first, again) and (again == 7).all()
    grown = scratch.array("a", 5000, np.int32)
    assert not np.shares_memory(first, grown)
    assert scratch.arrays["a"].shape == (8192,)
    rows = scratch.array("rows", (3, 4), np.float64)
    assert rows.shape == (3, 4) and scratch.arrays["rows"].shape == (1024, 4)
    assert not np.shares_memory(scratch.array("a", 10, np.int64), grown)  # dtype differs


def test_arrays_larger_than_the_limit_are_not_kept():
    scratch = Scratch()
    big = scratch.array("big", KEPT_BYTES // 8 + 1, np.int64)
    assert big.size == KEPT_BYTES // 8 + 1
    assert "big" not in scratch.arrays


def test_alternating_events_score_as_the_twin():
    events = [_event(seed, n) for seed, n in ((1, 3000), (2, 700), (3, 5000))]
    expected = [_twin(t, s) for t, s in events]
    for _ in range(2):
        for (truth, submission), score in zip(events, expected, strict=True):
            assert score_event(truth, submission) == pytest.approx(score, rel=1e-12, abs=1e-15)


def test_match_results_stay_valid_after_later_scoring():
    truth, submission = _event(4, 2000)
    prepared = truth_event(
        truth["hit_id"].to_numpy(), truth["particle_id"].to_numpy(), truth["weight"].to_numpy()
    )
    match = match_event(prepared, submission["hit_id"], submission["track_id"])
    kept = (match.particle.copy(), match.found.copy(), match.track.copy())
    for seed in (5, 6):
        score_event(*_event(seed, 4000))
    assert (match.particle == kept[0]).all()
    assert (match.found == kept[1]).all()
    assert (match.track == kept[2]).all()


def test_threads_scoring_at_once_get_their_own_scratch():
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # threads take turns between kernels, not once per 5 ms
    try:
        _score_in_threads()
    finally:
        sys.setswitchinterval(interval)


def _score_in_threads():
    events = [_event(seed, 4000 + 500 * seed) for seed in range(4)]
    expected = [_twin(t, s) for t, s in events]
    results = {k: [] for k in range(len(events))}
    start = threading.Barrier(len(events))

    def score_repeatedly(k):
        start.wait()
        for _ in range(20):
            results[k].append(score_event(*events[k]))

    threads = [threading.Thread(target=score_repeatedly, args=(k,)) for k in range(len(events))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for k, score in enumerate(expected):
        assert results[k] == pytest.approx([score] * 20, rel=1e-12, abs=1e-15)

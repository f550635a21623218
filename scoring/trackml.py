"""TrackML weighted accuracy: how much of the event's truth weight the submitted tracks recover.

Per event, every hit is assigned to exactly one track. A track is *good* when strictly more
than half of its hits belong to one truth particle (its majority particle; noise,
particle_id 0, counts as one particle) and it holds strictly more than half of that
particle's hits. The event score is the truth weight of the majority particle's hits in
good tracks over the event's total truth weight.

A good track's majority particle owns a strict majority of the track's hits, so a
Boyer-Moore majority vote per track finds the only candidate in one pass over the hits and
a second pass counts it; no sort and no (track, particle) table are needed. Track and
particle ids first get dense labels (:mod:`scoring.dense_labels`).
"""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np
import pandas as pd

from scoring.dense_labels import DIRECT_SLACK, dense_labels
from scoring.frozen import frozen
from scoring.validation import SubmissionError, examples


@numba.njit(cache=True)
def _tracks_of_truth_rows(truth_hit, submitted_hit, track_id):
    """Submitted track of each truth row, for truth hit ids that run first, first+1, ...

    The flag is False when the truth hit ids are not consecutive, or a submitted hit is
    unknown or repeated, or the counts differ (the caller then takes the general path).
    """
    n = truth_hit.size
    track = np.empty(n, dtype=np.int64)
    if submitted_hit.size != n or n == 0:
        return track, False
    first = truth_hit[0]
    for i in range(n):
        if truth_hit[i] != first + i:
            return track, False
    seen = np.zeros(n, dtype=np.bool_)
    for j in range(n):
        row = submitted_hit[j] - first
        if row < 0 or row >= n or seen[row]:
            return track, False
        seen[row] = True
        track[row] = track_id[j]
    return track, True


@numba.njit(cache=True)
def _good_track_weight(track, first_track, n_tracks, particle, n_particles, weight):
    """Weight of the majority particles' hits in good tracks, total weight, found particles.

    ``track - first_track`` (in 0..n_tracks-1) and ``particle`` (in 0..n_particles-1)
    index the track and the particle of each hit. A Boyer-Moore vote per track finds the
    only particle that can own a strict majority of it; a second pass counts that
    particle's hits and weight in the track.
    """
    particle_hits = np.zeros(n_particles, dtype=np.int32)
    for i in range(particle.size):
        particle_hits[particle[i]] += 1
    state = np.zeros((n_tracks, 4), dtype=np.int32)  # per track: size, candidate, votes, held
    for i in range(track.size):
        t = track[i] - first_track
        p = particle[i]
        state[t, 0] += 1
        if state[t, 2] == 0:
            state[t, 1] = p
            state[t, 2] = 1
        elif state[t, 1] == p:
            state[t, 2] += 1
        else:
            state[t, 2] -= 1
    held_weight = np.zeros(n_tracks)
    total = 0.0
    for i in range(track.size):
        t = track[i] - first_track
        total += weight[i]
        if particle[i] == state[t, 1]:
            state[t, 3] += 1
            held_weight[t] += weight[i]
    found = np.zeros(n_particles, dtype=np.bool_)
    good_weight = 0.0
    for t in range(n_tracks):
        if 2 * state[t, 3] > state[t, 0] and 2 * state[t, 3] > particle_hits[state[t, 1]]:
            good_weight += held_weight[t]
            found[state[t, 1]] = True
    return good_weight, total, found


class EventMatch(NamedTuple):
    """How the submitted tracks of one event match its truth particles (arrays in truth hit order)."""

    score: float
    particle: np.ndarray  # dense particle index of each truth hit
    n_particles: int
    track: np.ndarray  # submitted track id of each truth hit
    found: np.ndarray  # per dense particle: majority particle of a good track


def match_event(
    hit_id, particle_id, weight, submitted_hit_id, track_id, event: object = None
) -> EventMatch:
    """Match one event's submission (hit_id, track_id) to its truth (hit_id, particle_id, weight).

    Raises :class:`~scoring.validation.SubmissionError` when the submission does not hold
    every truth hit exactly once (naming the event when given).
    """
    hit_id = _ids(hit_id)
    submitted_hit_id = _ids(submitted_hit_id)
    track_id = _ids(track_id)
    if np.array_equal(hit_id, submitted_hit_id):  # rows in the truth's order: nothing to move
        track = track_id
    else:
        track, complete = _tracks_of_truth_rows(hit_id, submitted_hit_id, track_id)
        if not complete:
            track[truth_rows(hit_id, submitted_hit_id, event)] = track_id
        track = frozen(track, np.int64)
    first_track, n_tracks = _compact_range(track)
    track_index = track
    if not n_tracks:  # scattered track ids: dense labels instead of id - first id
        labels, n_tracks = dense_labels(track)
        track_index = frozen(labels, np.int64)
    particle, n_particles = dense_labels(_ids(particle_id))
    good_weight, total, found = _good_track_weight(
        track_index,
        first_track,
        n_tracks,
        frozen(particle, np.int32),
        n_particles,
        frozen(weight, np.float64),
    )
    if not total > 0:
        raise ValueError(
            f"the truth weights of event {event} sum to {total}; the score is undefined"
        )
    return EventMatch(good_weight / total, particle, n_particles, track, found)


def _compact_range(track: np.ndarray) -> tuple[int, int]:
    """(first id, number of ids) when the track ids span at most about one per hit, else (0, 0)."""
    if not track.size:
        return 0, 0
    low, high = int(track.min()), int(track.max())
    return (low, high - low + 1) if high - low < track.size + DIRECT_SLACK else (0, 0)


def _ids(values) -> np.ndarray:
    """Ids as read-only contiguous int64 (uint64 ids above 2**63 keep their bits)."""
    values = np.asarray(values)
    return frozen(values.view(np.int64) if values.dtype == np.uint64 else values, np.int64)


def truth_rows(truth_hits: np.ndarray, submitted_hits: np.ndarray, event) -> np.ndarray:
    """Row in the truth of each submitted hit; every truth hit must be submitted exactly once."""
    n = truth_hits.size
    first = truth_hits[0] if n else 0
    if (
        n
        and truth_hits[-1] - first == n - 1
        and np.array_equal(truth_hits, np.arange(first, first + n))
    ):
        rows = submitted_hits - first
        known = (rows >= 0) & (rows < n)
    else:
        rows = pd.Index(truth_hits).get_indexer(submitted_hits)
        known = rows >= 0
    counts = np.bincount(rows[known], minlength=n) if n else np.zeros(0, dtype=np.int64)
    if known.all() and submitted_hits.size == n and (counts == 1).all():
        return rows
    where = f"event {event}: " if event is not None else ""
    problems = []
    if not known.all():
        problems.append(
            f"{where}{(~known).sum()} hit_id(s) are not hits of this event, e.g. {examples(submitted_hits[~known])}"
        )
    if (counts > 1).any():
        problems.append(
            f"{where}hit_id(s) {examples(truth_hits[counts > 1])} appear more than once; each hit belongs to exactly one track"
        )
    if (counts == 0).any():
        problems.append(
            f"{where}{(counts == 0).sum()} hit(s) of the event are missing, e.g. hit_id {examples(truth_hits[counts == 0])}"
        )
    raise SubmissionError(problems)


def score_event(truth: pd.DataFrame, submission: pd.DataFrame) -> float:
    """Weighted accuracy of one event, in [0, 1].

    ``truth``: hit_id, particle_id, weight; ``submission``: hit_id, track_id (any integer
    track ids, every truth hit exactly once).
    """
    return match_event(
        truth["hit_id"].to_numpy(),
        truth["particle_id"].to_numpy(),
        truth["weight"].to_numpy(),
        submission["hit_id"].to_numpy(),
        submission["track_id"].to_numpy(),
    ).score


def score_event_pandas(truth: pd.DataFrame, submission: pd.DataFrame) -> float:
    """The same score as :func:`score_event`, written as a direct pandas transcription.

    Merge hits with tracks, count hits per (track, particle) pair, keep pairs holding more
    than half of the track and more than half of the particle. Slow; the twin in tests and
    the baseline of the benchmark.
    """
    merged = truth[["hit_id", "particle_id", "weight"]].merge(
        submission[["hit_id", "track_id"]], on="hit_id", how="inner", validate="one_to_one"
    )
    if len(merged) != len(truth) or len(submission) != len(truth):
        raise SubmissionError(["the submission must hold every hit of the event exactly once"])
    pairs = (
        merged.groupby(["track_id", "particle_id"], sort=False)
        .agg(hits=("hit_id", "size"), weight=("weight", "sum"))
        .reset_index()
    )
    track_size = merged.groupby("track_id").size()
    particle_size = truth.groupby("particle_id").size()
    good = (2 * pairs["hits"] > pairs["track_id"].map(track_size)) & (
        2 * pairs["hits"] > pairs["particle_id"].map(particle_size)
    )
    return float(pairs.loc[good, "weight"].sum() / truth["weight"].sum())


class EventScores(NamedTuple):
    """Per-event accuracies (indexed by event_id, ascending) and their mean."""

    per_event: pd.Series
    mean: float


def event_slices(event_id: np.ndarray) -> tuple[np.ndarray, dict[int, slice]]:
    """Row order grouping the rows by event, and each event's slice of that order."""
    event_id = np.asarray(event_id, dtype=np.int64)
    order = (
        np.arange(event_id.size)
        if np.all(event_id[1:] >= event_id[:-1])
        else np.argsort(event_id, kind="stable")
    )
    ordered = event_id[order]
    starts = (
        np.flatnonzero(np.append(True, ordered[1:] != ordered[:-1]))
        if ordered.size
        else np.zeros(0, dtype=np.int64)
    )
    stops = np.append(starts[1:], ordered.size)
    return order, {
        int(ordered[a]): slice(int(a), int(b)) for a, b in zip(starts, stops, strict=True)
    }


def matched_events(truth: pd.DataFrame, submission: pd.DataFrame, events=None):
    """Yield (event_id, truth rows, EventMatch) for each event of ``events`` (default: all in truth).

    Raises :class:`~scoring.validation.SubmissionError` for missing or unknown events and
    for hits that do not match.
    """
    truth_order, truth_events = event_slices(truth["event_id"].to_numpy())
    sub_order, sub_events = event_slices(submission["event_id"].to_numpy())
    wanted = sorted(truth_events) if events is None else list(events)
    missing = [e for e in wanted if e not in sub_events]
    unknown = [e for e in sub_events if e not in truth_events]
    if missing or unknown:
        problems = (
            [
                f"{len(missing)} test event(s) are missing from the submission, e.g. event_id {examples(missing)}"
            ]
            if missing
            else []
        )
        if unknown:
            problems.append(
                f"{len(unknown)} event_id(s) in the submission are not test events, e.g. {examples(unknown)}"
            )
        raise SubmissionError(problems)
    columns = {name: truth[name].to_numpy() for name in ("hit_id", "particle_id", "weight")}
    sub_hits = submission["hit_id"].to_numpy()
    sub_tracks = submission["track_id"].to_numpy()
    for event in wanted:
        rows = truth_order[truth_events[event]]
        sub_rows = sub_order[sub_events[event]]
        match = match_event(
            columns["hit_id"][rows],
            columns["particle_id"][rows],
            columns["weight"][rows],
            sub_hits[sub_rows],
            sub_tracks[sub_rows],
            event,
        )
        yield event, rows, match


def score_events(truth: pd.DataFrame, submission: pd.DataFrame) -> EventScores:
    """Accuracy of every event of ``truth`` (event_id, hit_id, particle_id, weight) and the mean.

    ``submission``: event_id, hit_id, track_id.
    """
    scores = {event: match.score for event, _, match in matched_events(truth, submission)}
    per_event = pd.Series(scores, name="score", dtype=np.float64)
    per_event.index.name = "event_id"
    return EventScores(per_event, float(per_event.mean()))

"""TrackML weighted accuracy: how much of the event's truth weight the submitted tracks recover.

Per event, every hit is assigned to exactly one track. A track is *good* when strictly more
than half of its hits belong to one truth particle (its majority particle; noise,
particle_id 0, counts as one particle) and it holds strictly more than half of that
particle's hits. The event score is the truth weight of the majority particle's hits in
good tracks over the event's total truth weight.

A good track's majority particle owns a strict majority of the track, so a Boyer-Moore
majority vote per track finds the only candidate in one pass over the hits and a second
pass counts it; no sort and no (track, particle) table are needed. Track and particle ids
first get dense labels (:mod:`scoring.dense_labels`).

The truth side (particle labels, hits per particle) depends on the truth only:
:func:`prepare_truth` computes it once for scoring many submissions against one event, and
:func:`score_event` accepts the result in place of the truth frame. The total weight is
summed in the tally pass, which reads every weight anyway.
"""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np
import pandas as pd

from fivesigma.scoring.kernels.dense_labels import DIRECT_SLACK, ONE, dense_labels, value_range
from fivesigma.scoring.kernels.frozen import frozen
from fivesigma.scoring.kernels.scratch import scratch
from fivesigma.scoring.validation import SubmissionError, examples

TRUTH_COLUMNS = ("hit_id", "particle_id", "tx", "ty", "tz", "tpx", "tpy", "tpz", "weight")
SOLUTION_COLUMNS = ("event_id", *TRUTH_COLUMNS)  # the hidden truth of all test events in one file


@numba.njit(cache=True, nogil=True)
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


LOW_32 = np.int64(0xFFFFFFFF)  # mask of the low half of a packed int64 (votes, hits)
TWO = np.uint64(2)


@numba.njit(cache=True, nogil=True)
def _good_track_weight(
    track,
    first_track,
    n_tracks,
    particle,
    particle_hits,
    weight,
    ballot,
    tally,
    tally_weight,
    found,
):
    """Weight of the majority particles' hits in good tracks and the total weight of the
    hits; ``found[p]`` tells whether particle p is the majority particle of a good track.

    ``track - first_track`` (in 0..n_tracks-1) and ``particle`` (dense, int32) index the
    track and the particle of each hit; ``particle_hits`` counts each particle's hits in
    the truth. A Boyer-Moore vote per track finds the only particle that can own a strict
    majority of it: a track's ballot (int64) holds its candidate in the high 32 bits and
    the candidate's net votes in the low 32; a ballot at zero votes takes the hit's
    particle, otherwise the hit adds or takes away one vote (written without branches). A
    second pass tallies the track's hits, its candidate's hits and their weight, and sums
    the weight of all hits. Indexes are unsigned, so that numba skips its negative-index
    handling.

    Working arrays: ``ballot`` (int64, at least n_tracks) and ``tally`` (int64, at least
    2 n_tracks), where track t's entry 2t counts its hits in the low 32 bits and its
    candidate's hits in the high 32, and entry 2t+1, read and written through
    ``tally_weight`` (a float64 view of the same memory), sums their weight: one track's
    tally is 16 bytes in one cache line. (A one-dimensional array spares the multiply by
    the row stride that a two-dimensional one costs on every hit.) The last pass, over the
    tracks, has no branch: whether a track is good is as good as random, and a mispredicted
    branch per track cost more than the pass's arithmetic.
    """
    ballot = ballot[:n_tracks]
    ballot[:] = 0
    for i in range(track.size):
        t = np.uint64(track[i] - first_track)
        p = np.int64(particle[i])
        current = ballot[t]
        step = np.int64(1) if (current >> 32) == p else np.int64(-1)
        ballot[t] = (p << 32) | 1 if (current & LOW_32) == 0 else current + step
    tally = tally[: 2 * n_tracks]
    tally[:] = 0
    total_weight = 0.0
    for i in range(track.size):
        t = np.uint64(track[i] - first_track)
        held = (ballot[t] >> 32) == particle[i]
        tally[TWO * t] += 1 + (np.int64(held) << 32)
        tally_weight[TWO * t + ONE] += weight[i] * held
        total_weight += weight[i]
    found[:] = False
    good_weight = 0.0
    for t in range(n_tracks):
        candidate = np.uint64(ballot[t] >> 32)
        hits = tally[2 * t]
        held = hits >> 32
        good = (2 * held > (hits & LOW_32)) & (2 * held > particle_hits[candidate])
        good_weight += tally_weight[2 * t + 1] * good
        found[candidate] |= good
    return good_weight, total_weight


class TruthEvent(NamedTuple):
    """The truth side of one event, ready to score submissions against (arrays in truth row order)."""

    hit_id: np.ndarray  # int64
    particle: np.ndarray  # dense particle label of each hit (int32)
    particle_hits: np.ndarray  # hits of each dense particle (int32)
    weight: np.ndarray  # float64

    @property
    def n_particles(self) -> int:
        return self.particle_hits.size


def truth_event(
    hit_id, particle_id, weight, copy: bool = False, scratch_as: str | None = None
) -> TruthEvent:
    """The truth side of one event from its hit_id, particle_id and weight columns.

    With ``copy``, the hit ids and weights are copied, so that later changes to the arrays
    passed in do not reach the result. With ``scratch_as``, the particle labels and counts
    are views of this thread's scratch arrays (see :func:`~scoring.dense_labels.dense_labels`).
    """
    hit_id, particle_id, weight = _ids(hit_id), _ids(particle_id), frozen(weight, np.float64)
    if not hit_id.size == particle_id.size == weight.size:
        raise ValueError(
            f"the truth columns differ in length: {hit_id.size} hit_id, "
            f"{particle_id.size} particle_id, {weight.size} weight"
        )
    particle, particle_hits = dense_labels(particle_id, scratch_as)
    if copy:
        hit_id, weight = frozen(hit_id.copy(), np.int64), frozen(weight.copy(), np.float64)
    return TruthEvent(hit_id, frozen(particle, np.int32), frozen(particle_hits, np.int32), weight)


def prepare_truth(truth: pd.DataFrame) -> TruthEvent:
    """The truth side of one event (hit_id, particle_id, weight), for :func:`score_event`.

    Particle labels and hits per particle are computed once; the result holds its own copy
    of the columns, so it stays valid when ``truth`` changes later.
    """
    return truth_event(
        truth["hit_id"].to_numpy(),
        truth["particle_id"].to_numpy(),
        truth["weight"].to_numpy(),
        copy=True,
    )


class EventMatch(NamedTuple):
    """How the submitted tracks of one event match its truth particles (arrays in truth hit order)."""

    score: float
    particle: np.ndarray  # dense particle index of each truth hit
    n_particles: int
    track: np.ndarray  # submitted track id of each truth hit
    found: np.ndarray  # per dense particle: majority particle of a good track


def match_event(truth: TruthEvent, submitted_hit_id, track_id, event: object = None) -> EventMatch:
    """Match one event's submission (hit_id, track_id) to its truth.

    Raises :class:`~scoring.validation.SubmissionError` when the submission does not hold
    every truth hit exactly once (naming the event when given), and ValueError when the
    truth weights do not sum to a positive number.
    """
    found = np.empty(truth.n_particles, dtype=np.bool_)
    score, track = _match(truth, submitted_hit_id, track_id, event, found)
    return EventMatch(score, truth.particle, truth.n_particles, track, found)


def _match(truth: TruthEvent, submitted_hit_id, track_id, event, found) -> tuple[float, np.ndarray]:
    """The event's score and the submitted track id of each truth hit; sets ``found``."""
    hit_id = truth.hit_id
    submitted_hit_id = _ids(submitted_hit_id)
    track_id = _ids(track_id)
    in_truth_order, low, high = _order_and_track_range(hit_id, submitted_hit_id, track_id)
    if in_truth_order:  # nothing to move
        track = track_id
    else:
        track, complete = _tracks_of_truth_rows(hit_id, submitted_hit_id, track_id)
        if not complete:
            track[truth_rows(hit_id, submitted_hit_id, event)] = track_id
        track = frozen(track, np.int64)
    first_track, n_tracks = low, high - low + 1
    track_index = track
    if high - low >= track.size + DIRECT_SLACK:  # scattered ids: dense labels, not id - first id
        labels, track_hits = dense_labels(track, "tracks")
        first_track, n_tracks = 0, track_hits.size
        track_index = frozen(labels, np.int64)
    tally = scratch.array("tracks.tally", 2 * n_tracks, np.int64)
    good_weight, total = _good_track_weight(
        track_index,
        first_track,
        n_tracks,
        truth.particle,
        truth.particle_hits,
        truth.weight,
        scratch.array("tracks.ballot", n_tracks, np.int64),
        tally,
        tally.view(np.float64),
        found,
    )
    if not 0 < total < np.inf:
        of_event = f" of event {event}" if event is not None else ""
        raise ValueError(f"the truth weights{of_event} sum to {total}; the score is undefined")
    return good_weight / total, track


@numba.njit(cache=True, nogil=True)
def _order_and_track_range(truth_hit, submitted_hit, track_id):
    """Whether the submitted hits are the truth's hits in the truth's row order, and the
    smallest and largest track id (0, -1 without tracks); loops written to vectorise."""
    n = track_id.size
    in_order = truth_hit.size == submitted_hit.size == n
    if in_order:
        differing_bits = np.int64(0)
        for i in range(n):
            differing_bits |= truth_hit[i] ^ submitted_hit[i]
        in_order = differing_bits == 0
    low, high = value_range(track_id)
    return in_order, int(low), int(high)


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


def score_event(truth: pd.DataFrame | TruthEvent, submission: pd.DataFrame) -> float:
    """Weighted accuracy of one event, in [0, 1].

    ``truth``: hit_id, particle_id, weight, or its :func:`prepare_truth` result;
    ``submission``: hit_id, track_id (any integer track ids, every truth hit exactly once).
    """
    if not isinstance(truth, TruthEvent):
        truth = truth_event(
            truth["hit_id"].to_numpy(),
            truth["particle_id"].to_numpy(),
            truth["weight"].to_numpy(),
            scratch_as="particles",
        )
    found = scratch.array("particles.found", truth.n_particles, np.bool_)
    score, _ = _match(
        truth, submission["hit_id"].to_numpy(), submission["track_id"].to_numpy(), None, found
    )
    return score


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


def event_problems(missing: list[int], unknown: list[int]) -> list[str]:
    """What is wrong with a submission's events: the test events it lacks (``missing``) and
    the events it names that are not test events (``unknown``); [] when both are empty."""
    problems = []
    if missing:
        problems.append(
            f"{len(missing)} test event(s) are missing from the submission, e.g. event_id {examples(missing)}"
        )
    if unknown:
        problems.append(
            f"{len(unknown)} event_id(s) in the submission are not test events, e.g. {examples(unknown)}"
        )
    return problems


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
        raise SubmissionError(event_problems(missing, unknown))
    columns = {name: truth[name].to_numpy() for name in ("hit_id", "particle_id", "weight")}
    sub_hits = submission["hit_id"].to_numpy()
    sub_tracks = submission["track_id"].to_numpy()
    for event in wanted:
        rows = truth_order[truth_events[event]]
        sub_rows = sub_order[sub_events[event]]
        truth_of_event = truth_event(
            columns["hit_id"][rows], columns["particle_id"][rows], columns["weight"][rows]
        )
        match = match_event(truth_of_event, sub_hits[sub_rows], sub_tracks[sub_rows], event)
        yield event, rows, match


def score_events(truth: pd.DataFrame, submission: pd.DataFrame) -> EventScores:
    """Accuracy of every event of ``truth`` (event_id, hit_id, particle_id, weight) and the mean.

    ``submission``: event_id, hit_id, track_id.
    """
    scores = {event: match.score for event, _, match in matched_events(truth, submission)}
    per_event = pd.Series(scores, name="score", dtype=np.float64)
    per_event.index.name = "event_id"
    return EventScores(per_event, float(per_event.mean()))

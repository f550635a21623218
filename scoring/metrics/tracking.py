"""The TrackML leaderboard metrics: mean event accuracy, and the throughput score built on it."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from fivesigma.scoring.efficiency import (
    EfficiencyHistogram,
    display_sample,
    efficiency_histograms,
    fill_histograms,
    particle_kinematics,
)
from fivesigma.scoring.kernels.bootstrap import mean_replicas
from fivesigma.scoring.kernels.weighted_accuracy import (
    SOLUTION_COLUMNS,
    event_problems,
    event_slices,
    matched_events,
    truth_rows,
)
from fivesigma.scoring.metric import Metric
from fivesigma.scoring.subsets import SUBSETS, subset_masks
from fivesigma.scoring.throughput import (
    MAX_SECONDS_PER_EVENT,
    check_seconds_per_event,
    throughput_score,
)
from fivesigma.scoring.validation import (
    SubmissionError,
    examples,
    integer_column,
    rows_missing,
)

SHOWN_EVENTS = 10


@dataclass
class SubsetEvents:
    """What one subset's events give: their ids and accuracies (in event order), the
    efficiency histograms filled from them, and the sample of one event for the 3D display."""

    histograms: dict[str, EfficiencyHistogram]
    events: list[int] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    display: dict | None = None


class TrackmlMetric(Metric):
    key = "trackml"
    title = "TrackML weighted tracking accuracy"
    higher_is_better = True
    best = 1.0
    worst = 0.0
    formula_latex = (
        r"\mathrm{score} = \frac{1}{N_\mathrm{events}} \sum_\mathrm{events} "
        r"\frac{\sum_{\mathrm{good\ tracks}\ t} \sum_{h \in t,\ p(h) = p_t} w_h}{\sum_h w_h}"
    )
    description = (
        "Mean over events of the weighted fraction of hits correctly grouped: a track counts when more "
        "than half of its hits come from one particle and it holds more than half of that particle's "
        "hits; it then scores the truth weights of that particle's hits in it."
    )
    submission_columns = ("event_id", "hit_id", "track_id")
    solution_columns = SOLUTION_COLUMNS

    def validate_submission(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
        columns: dict[str, np.ndarray] = {}
        problems: list[str] = []
        for name in self.submission_columns:
            values, found = integer_column(frame, name, minimum=0)
            if values is not None:
                columns[name] = values
            problems += found
        if problems:
            return frame, problems
        problems = _duplicated_hits(columns["event_id"], columns["hit_id"])
        return pd.DataFrame(columns), problems

    def check(self, solution: pd.DataFrame, submission: pd.DataFrame) -> None:
        """Every hit of every scored event exactly once; no unknown events (problems of all events)."""
        scored = self._scored_events(solution)
        truth_order, truth_events = event_slices(solution["event_id"].to_numpy())
        sub_order, sub_events = event_slices(submission["event_id"].to_numpy())
        missing = [e for e in scored if e not in sub_events]
        unknown = [e for e in sub_events if e not in truth_events]
        problems = event_problems(missing, unknown)
        truth_hits = solution["hit_id"].to_numpy()
        submitted_hits = submission["hit_id"].to_numpy()
        bad_events = 0
        for event in scored:
            if event not in sub_events or bad_events >= SHOWN_EVENTS:
                continue
            try:
                truth_rows(
                    truth_hits[truth_order[truth_events[event]]],
                    submitted_hits[sub_order[sub_events[event]]],
                    event,
                )
            except SubmissionError as error:
                problems += error.problems
                bad_events += 1
        if problems:
            absent = _hits_missing(solution, submission, scored)
            if absent:
                problems.insert(
                    0,
                    f"{rows_missing(absent)}: the test events have {_scored_hits(solution, scored)} "
                    f"hits, one row each, and {absent} of them are not in the submission "
                    f"(it has {len(submission)} rows)",
                )
            raise SubmissionError(problems)

    def _scored_events(self, solution: pd.DataFrame) -> list[int]:
        masks = subset_masks(solution)
        events = solution["event_id"].to_numpy()
        return sorted(set(np.unique(events[masks["public"] | masks["private"]]).tolist()))

    def per_subset(
        self, solution: pd.DataFrame, submission: pd.DataFrame, seed: int
    ) -> dict[str, SubsetEvents]:
        """Per subset: event ids, event accuracies, efficiency histograms, 3D display sample."""
        masks = subset_masks(solution)
        event_column = solution["event_id"].to_numpy()
        public, private = (set(np.unique(event_column[masks[s]]).tolist()) for s in SUBSETS)
        if public & private:
            raise ValueError(
                f"the solution puts events {examples(sorted(public & private))} in both the public and the private subset; a whole event belongs to one"
            )
        subset_of_event = {**dict.fromkeys(public, "public"), **dict.fromkeys(private, "private")}
        columns = {
            name: solution[name].to_numpy() for name in SOLUTION_COLUMNS if name in solution.columns
        }
        parts = {subset: SubsetEvents(histograms=efficiency_histograms()) for subset in SUBSETS}
        for event, rows, match in matched_events(solution, submission, sorted(subset_of_event)):
            part = parts[subset_of_event[event]]
            part.events.append(event)
            part.scores.append(match.score)
            truth = {name: values[rows] for name, values in columns.items()}
            kinematics = particle_kinematics(match, truth)
            fill_histograms(part.histograms, kinematics)
            if part.display is None:
                part.display = display_sample(event, match, truth, kinematics, seed)
        return parts

    def evaluate(self, solution, submission, *, n_bootstrap=1000, seed=0, **context) -> dict:
        parts = self.per_subset(solution, submission, seed)
        result: dict = {"diagnostics": {}}
        for stream, subset in enumerate(SUBSETS):
            scores = np.asarray(parts[subset].scores, dtype=np.float64)
            mean = float(scores.mean()) if scores.size else math.nan
            result[subset] = self.subset_result(
                mean, mean_replicas(scores, seed, n_bootstrap, stream) if scores.size else scores
            )
            result["diagnostics"][subset] = self.diagnostics(parts[subset])
        return result

    def diagnostics(self, part: SubsetEvents) -> dict:
        return {
            "per_event": [
                {"event_id": int(e), "score": float(s)}
                for e, s in zip(part.events, part.scores, strict=True)
            ],
            "efficiency": {key: histogram.as_dict() for key, histogram in part.histograms.items()},
            "display": part.display,
        }


class ThroughputMetric(TrackmlMetric):
    key = "throughput"
    title = "TrackML throughput score"
    higher_is_better = True
    best = math.inf
    worst = 0.0
    formula_latex = r"\mathrm{score} = \sqrt{\ln\left(1 + \frac{600}{t}\right)\,(A - 0.5)^2}\ \text{if}\ A \ge 0.5,\ \text{else}\ 0"
    description = (
        "Accuracy traded against speed: *A* is the mean TrackML event accuracy and *t* the mean wall-clock "
        "seconds per event of the reconstruction call, measured in the sandbox (0 < *t* ≤ 600 s)."
    )

    def evaluate(
        self, solution, submission, *, n_bootstrap=1000, seed=0, seconds_per_event=None, **context
    ) -> dict:
        """Needs ``seconds_per_event`` (mean measured seconds per event); t > 600 s is a SubmissionError.

        Each subset's result also carries its ``accuracy`` and the ``seconds_per_event``.
        """
        if seconds_per_event is None:
            raise ValueError(
                "the throughput metric needs seconds_per_event, the mean measured seconds per event"
            )
        try:
            seconds = check_seconds_per_event(seconds_per_event)
        except ValueError as error:
            raise SubmissionError(
                [f"{error} (the limit is {MAX_SECONDS_PER_EVENT:g} s per event)"]
            ) from None
        accuracy = super().evaluate(solution, submission, n_bootstrap=n_bootstrap, seed=seed)
        result: dict = {"diagnostics": {}}
        for subset in SUBSETS:
            part = accuracy[subset]
            score = (
                throughput_score(part["score"], seconds)
                if math.isfinite(part["score"])
                else math.nan
            )
            result[subset] = {
                **self.subset_result(
                    score, throughput_score(np.asarray(part["replicas"]), seconds)
                ),
                "accuracy": part["score"],
                "seconds_per_event": seconds,
            }
            result["diagnostics"][subset] = {
                "accuracy": part["score"],
                "seconds_per_event": seconds,
                "score": score,
                "per_event": accuracy["diagnostics"][subset]["per_event"],
            }
        return result


def _hit_keys(frame: pd.DataFrame, events: list[int]) -> np.ndarray:
    """One int64 per (event_id, hit_id) row of ``frame`` in ``events`` (hit ids < 2**32)."""
    event = frame["event_id"].to_numpy(dtype=np.int64)
    keep = np.isin(event, np.asarray(events, dtype=np.int64))
    return (event[keep] << 32) | frame["hit_id"].to_numpy(dtype=np.int64)[keep]


def _scored_hits(solution: pd.DataFrame, scored: list[int]) -> int:
    return int(np.isin(solution["event_id"].to_numpy(), scored).sum())


def _hits_missing(solution: pd.DataFrame, submission: pd.DataFrame, scored: list[int]) -> int:
    """How many hits of the scored events have no row in the submission (all events, not
    only the few whose problems are listed)."""
    truth = _hit_keys(solution, scored)
    return int(np.isin(truth, _hit_keys(submission, scored), invert=True).sum())


def _duplicated_hits(event_id: np.ndarray, hit_id: np.ndarray) -> list[str]:
    """(event_id, hit_id) pairs that occur more than once."""
    if event_id.size and event_id.max() < 2**31 and hit_id.max() < 2**32:
        key = (event_id << 32) | hit_id
        if np.all(key[1:] > key[:-1]):  # the usual layout: sorted by event, then hit
            return []
    pairs = pd.DataFrame({"event_id": event_id, "hit_id": hit_id})
    duplicated = np.flatnonzero(pairs.duplicated().to_numpy())
    if not duplicated.size:
        return []
    shown = [
        f"event {e} hit {h}"
        for e, h in zip(event_id[duplicated[:5]], hit_id[duplicated[:5]], strict=True)
    ]
    return [
        f"{duplicated.size} hit(s) are assigned more than once, e.g. {examples(shown)} (rows {examples(duplicated + 1)}); each hit belongs to exactly one track"
    ]

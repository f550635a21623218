"""The metric interface the site relies on: registry, evaluate's result, pairing of replicas."""

import json
import math

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, log_loss, roc_auc_score

from fivesigma.scoring import registry
from fivesigma.scoring.kernels.bootstrap import poisson_counts, probability_beats
from fivesigma.scoring.validation import SubmissionError
from tests.scoring import twins


def test_registry_lists_every_metric_and_rejects_unknown_keys_and_options():
    assert registry.keys() == ["ams", "trackml", "throughput", "roc_auc", "log_loss", "accuracy"]
    with pytest.raises(KeyError) as error:
        registry.get("f1")
    assert "unknown metric 'f1'; known metrics: ams, trackml" in str(error.value)
    with pytest.raises(ValueError, match="unknown option.*colour.*known options: .*weight_column"):
        registry.get("ams", colour="red")


@pytest.mark.parametrize("key", ["ams", "trackml", "throughput", "roc_auc", "log_loss", "accuracy"])
def test_every_metric_declares_its_shape(key):
    metric = registry.get(key)
    assert metric.key == key and metric.title and metric.description and metric.formula_latex
    assert isinstance(metric.higher_is_better, bool)
    assert isinstance(metric.best, float) and isinstance(metric.worst, float)
    assert (metric.best > metric.worst) == metric.higher_is_better
    assert all(isinstance(c, str) for c in metric.submission_columns + metric.solution_columns)


def ams_data(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    signal = rng.random(n) < 0.35
    solution = pd.DataFrame(
        {
            "EventId": np.arange(350000, 350000 + n),
            "Label": np.where(signal, "s", "b"),
            "Weight": np.where(signal, rng.uniform(0.001, 0.005, n), rng.uniform(0.5, 5.0, n)),
            "KaggleSet": rng.choice(["b", "v", "v", "u"], n),
        }
    )
    score = signal + rng.normal(0, 0.6, n)
    ranks = np.empty(n, dtype=np.int64)
    ranks[np.argsort(score)] = np.arange(1, n + 1)
    submission = pd.DataFrame(
        {
            "EventId": solution.EventId,
            "RankOrder": ranks,
            "Class": np.where(ranks > 0.85 * n, "s", "b"),
        }
    )
    return solution, submission


def test_ams_evaluate_result_is_plain_json_with_intervals():
    solution, submission = ams_data()
    result = registry.get("ams").evaluate(solution, submission, n_bootstrap=200, seed=3)
    assert json.loads(json.dumps(result, allow_nan=False)) == result
    rows = [
        (label, w, {"b": "Public", "v": "Private"}.get(k, k), c)
        for label, w, k, c in zip(
            solution.Label, solution.Weight, solution.KaggleSet, submission.Class, strict=True
        )
    ]
    for subset, usage in (("public", "Public"), ("private", "Private")):
        part = result[subset]
        assert part["score"] == pytest.approx(twins.subset_ams(rows, usage), rel=1e-10)
        assert len(part["replicas"]) == 200
        assert part["ci_low"] < part["score"] < part["ci_high"]
        diagnostics = result["diagnostics"][subset]
        assert len(json.dumps(diagnostics)) < 50_000
        assert len(diagnostics["ams_curve"]["ams"]) <= 200 and len(diagnostics["roc"]["fpr"]) <= 200
        assert diagnostics["at_labels"]["ams"] == part["score"]
        assert max(diagnostics["ams_curve"]["ams"]) == pytest.approx(
            diagnostics["best_threshold"]["ams"], rel=1e-5
        )
        assert 0.5 < diagnostics["roc"]["auc"] <= 1.0


def test_ams_roc_auc_equals_weighted_sklearn_auc():
    solution, submission = ams_data(n=800)
    result = registry.get("ams").evaluate(solution, submission, n_bootstrap=0)
    public = (solution.KaggleSet == "b").to_numpy()
    expected = roc_auc_score(
        solution.Label[public] == "s",
        submission.RankOrder[public],
        sample_weight=solution.Weight[public],
    )
    # per-class renormalisation scales each class uniformly, which leaves the weighted ROC unchanged
    assert result["diagnostics"]["public"]["roc"]["auc"] == pytest.approx(expected, rel=1e-9)
    assert (
        result["public"]["replicas"] == []
        and result["public"]["ci_low"] == result["public"]["score"]
    )


def test_ams_replicas_are_paired_through_the_solution_only():
    solution, submission = ams_data(n=2000)
    metric = registry.get("ams")
    a = metric.evaluate(solution, submission, n_bootstrap=50, seed=9)
    shuffled = metric.evaluate(
        solution, submission.sample(frac=1.0, random_state=1), n_bootstrap=50, seed=9
    )
    assert shuffled["private"]["replicas"] == a["private"]["replicas"]
    # each replica is the AMS recomputed with the rows of the subset drawn poisson_counts(seed, r, row) times
    private = (solution.KaggleSet == "v").to_numpy()
    signal = (solution.Label == "s").to_numpy()
    totals = (solution.Weight[signal].sum(), solution.Weight[~signal].sum())
    weights = solution.Weight.to_numpy()[private]
    chosen = (submission.Class == "s").to_numpy()[private]
    for r in (0, 17, 49):
        counts = poisson_counts(9, r, private.sum(), stream=1)
        cw = counts * weights
        s = totals[0] * cw[signal[private] & chosen].sum() / cw[signal[private]].sum()
        b = totals[1] * cw[~signal[private] & chosen].sum() / cw[~signal[private]].sum()
        assert a["private"]["replicas"][r] == pytest.approx(twins.ams(s, b), rel=1e-9)


def test_probability_that_a_better_submission_wins_from_stored_replicas():
    solution, good = ams_data(n=4000)
    worse = good.copy()
    worse["Class"] = np.where(
        worse.RankOrder > 0.5 * len(worse), "s", "b"
    )  # selects far too much background
    metric = registry.get("ams")
    a = metric.evaluate(solution, good, n_bootstrap=300, seed=1)["private"]["replicas"]
    b = metric.evaluate(solution, worse, n_bootstrap=300, seed=1)["private"]["replicas"]
    assert probability_beats(a, b) > 0.95
    assert probability_beats(a, a) == 0.5


def trackml_data(n_events=4, hits=400, seed=0):
    rng = np.random.default_rng(seed)
    truths, submissions = [], []
    for event in range(n_events):
        particle = rng.integers(1, 40, hits) * (rng.random(hits) > 0.15) * 2**40
        weight = np.where(particle > 0, rng.random(hits), 0.0)
        p = rng.normal(0, 1.0, (3, hits))
        truths.append(
            pd.DataFrame(
                {
                    "event_id": 1000 + event,
                    "hit_id": np.arange(1, hits + 1),
                    "particle_id": particle,
                    "tx": rng.normal(0, 300, hits),
                    "ty": rng.normal(0, 300, hits),
                    "tz": rng.normal(0, 900, hits),
                    "tpx": p[0],
                    "tpy": p[1],
                    "tpz": p[2],
                    "weight": weight / weight.sum(),
                    "Usage": "Public" if event % 2 else "Private",
                }
            )
        )
        track = particle // 2**40
        track[rng.random(hits) < 0.2] = rng.integers(0, 60)
        submissions.append(
            pd.DataFrame(
                {"event_id": 1000 + event, "hit_id": np.arange(1, hits + 1), "track_id": track}
            )
        )
    return pd.concat(truths, ignore_index=True), pd.concat(submissions, ignore_index=True)


def test_trackml_evaluate_scores_subsets_as_means_of_events():
    truth, submission = trackml_data()
    result = registry.get("trackml").evaluate(truth, submission, n_bootstrap=100, seed=2)
    assert json.loads(json.dumps(result, allow_nan=False)) == result
    per_event = {}
    for event, rows in truth.groupby("event_id"):
        sub = submission[submission.event_id == event]
        per_event[event] = twins.trackml_event_score(
            list(zip(rows.hit_id, rows.particle_id, rows.weight, strict=True)),
            list(zip(sub.hit_id, sub.track_id, strict=True)),
        )
    assert result["public"]["score"] == pytest.approx(
        np.mean([per_event[1001], per_event[1003]]), rel=1e-12
    )
    assert result["private"]["score"] == pytest.approx(
        np.mean([per_event[1000], per_event[1002]]), rel=1e-12
    )
    diagnostics = result["diagnostics"]["public"]
    assert [e["event_id"] for e in diagnostics["per_event"]] == [1001, 1003]
    assert len(json.dumps(diagnostics)) < 50_000
    for variable in ("pt", "eta"):
        histogram = diagnostics["efficiency"][variable]
        weighted = sum(
            int((rows.groupby("particle_id").weight.sum() > 0).sum())
            for e, rows in truth.groupby("event_id")
            if e in (1001, 1003)
        )
        assert sum(histogram["total"]) == weighted
        assert all(0 <= f <= t for f, t in zip(histogram["found"], histogram["total"], strict=True))
    display = diagnostics["display"]
    assert display["event_id"] == 1001 and 0 < len(display["particles"]) <= 25
    particle = display["particles"][0]
    assert len(particle["x"]) == len(particle["track_id"]) > 0


def test_trackml_efficiency_counts_majority_particles_of_good_tracks():
    # event of 6 hits: A owns 1-3, B owns 4-5, 6 is noise; tracks {1,2,3,4} good for A, {5,6} not good
    truth = pd.DataFrame(
        {
            "event_id": 1,
            "hit_id": [1, 2, 3, 4, 5, 6],
            "particle_id": [11, 11, 11, 22, 22, 0],
            "tx": 1.0,
            "ty": 1.0,
            "tz": 1.0,
            "tpx": [3.0, 3.0, 3.0, 0.6, 0.6, 0.0],
            "tpy": [4.0, 4.0, 4.0, 0.8, 0.8, 0.0],  # pT 5 GeV for A, 1 GeV for B
            "tpz": 0.0,
            "weight": [0.2, 0.2, 0.2, 0.2, 0.2, 0.0],
            "Usage": "Public",
        }
    )
    submission = pd.DataFrame(
        {"event_id": 1, "hit_id": [1, 2, 3, 4, 5, 6], "track_id": [3, 3, 3, 3, 8, 8]}
    )
    histogram = registry.get("trackml").evaluate(truth, submission, n_bootstrap=0)["diagnostics"][
        "public"
    ]["efficiency"]["pt"]
    bins = dict(
        zip(histogram["low"], zip(histogram["found"], histogram["total"], strict=True), strict=True)
    )
    assert bins[5.0] == (1, 1)  # A found, in [5, 10) GeV
    assert bins[1.0] == (0, 1)  # B not found, in [1, 1.5) GeV
    assert sum(histogram["total"]) == 2  # noise is not counted


def test_trackml_replicas_resample_events():
    truth, submission = trackml_data(n_events=6)
    result = registry.get("trackml").evaluate(truth, submission, n_bootstrap=20, seed=4)
    scores = np.array([e["score"] for e in result["diagnostics"]["private"]["per_event"]])
    for r in (0, 7):
        counts = poisson_counts(4, r, scores.size, stream=1)
        expected = (counts * scores).sum() / counts.sum() if counts.sum() else scores.mean()
        assert result["private"]["replicas"][r] == pytest.approx(expected, rel=1e-12)


def test_throughput_uses_the_measured_time_and_rejects_invalid_ones():
    truth, submission = trackml_data()
    metric = registry.get("throughput")
    result = metric.evaluate(truth, submission, n_bootstrap=10, seconds_per_event=3.5)
    accuracy = registry.get("trackml").evaluate(truth, submission, n_bootstrap=0)["public"]["score"]
    assert result["public"]["score"] == pytest.approx(twins.throughput(accuracy, 3.5), rel=1e-12)
    assert result["diagnostics"]["public"]["seconds_per_event"] == 3.5
    assert result["public"]["seconds_per_event"] == 3.5
    assert result["public"]["accuracy"] == pytest.approx(accuracy)
    assert result["diagnostics"]["public"]["accuracy"] == pytest.approx(accuracy)
    with pytest.raises(SubmissionError, match="600"):
        metric.evaluate(truth, submission, seconds_per_event=601.0)
    with pytest.raises(ValueError, match="needs seconds_per_event"):
        metric.evaluate(truth, submission)


def tabular_data(n=600, seed=0):
    rng = np.random.default_rng(seed)
    target = (rng.random(n) < 0.4).astype(int)
    probability = np.clip(np.round(0.3 + 0.4 * target + rng.normal(0, 0.25, n), 2), 0, 1)
    solution = pd.DataFrame(
        {
            "id": np.arange(n) * 3,
            "target": target,
            "Usage": np.where(rng.random(n) < 0.3, "Public", "Private"),
        }
    )
    submission = pd.DataFrame({"id": solution.id, "prediction": probability}).sample(
        frac=1.0, random_state=0
    )
    return solution, submission


@pytest.mark.parametrize(
    ("key", "reference"),
    [
        ("roc_auc", lambda y, p: roc_auc_score(y, p)),
        ("log_loss", lambda y, p: log_loss(y, np.clip(p, 1e-15, 1 - 1e-15), labels=[0, 1])),
        ("accuracy", lambda y, p: accuracy_score(y, p.astype(int))),
    ],
)
def test_tabular_metrics_agree_with_scikit_learn(key, reference):
    solution, submission = tabular_data()
    if key == "accuracy":
        submission["prediction"] = (submission.prediction > 0.5).astype(int)
    result = registry.get(key).evaluate(solution, submission, n_bootstrap=50)
    merged = solution.merge(submission, on="id")
    for subset, usage in (("public", "Public"), ("private", "Private")):
        rows = merged[merged.Usage == usage]
        expected = reference(rows.target, rows.prediction.to_numpy(dtype=float))
        assert result[subset]["score"] == pytest.approx(expected, rel=1e-12)
        assert len(result[subset]["replicas"]) == 50
        assert not any(math.isnan(r) for r in result[subset]["replicas"])


def test_trackml_solution_must_keep_each_event_in_one_subset():
    truth, submission = trackml_data(n_events=2)
    truth.loc[truth.index[:5], "Usage"] = (
        "Public" if truth.Usage.iloc[0] == "Private" else "Private"
    )
    with pytest.raises(ValueError, match=r"events 1000 in both the public and the private subset"):
        registry.get("trackml").evaluate(truth, submission, n_bootstrap=0)

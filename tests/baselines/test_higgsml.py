"""The HiggsML baselines on a small synthetic Kaggle-format dataset."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from fivesigma.baselines.higgsml import run
from fivesigma.baselines.higgsml.__main__ import main
from fivesigma.baselines.higgsml.cross_validation import (
    ams_lower_bound,
    best_cut,
    renormalise,
    smoothed_ams,
    top_fraction_threshold,
)
from fivesigma.baselines.higgsml.kaggle_submission import rank_order
from fivesigma.datasets.higgsml import FEATURES, generate, read_events
from fivesigma.scoring.kernels.ams import ams_curve

SIGNAL_TOTAL, BACKGROUND_TOTAL = 691.988607712, 410999.847322  # official training totals


def synthetic_events(n: int, seed: int) -> pd.DataFrame:
    """Kaggle-layout events: EventId, the 30 features, Weight, Label.

    The signal peaks at DER_mass_MMC = 125 GeV, the background at 91 GeV; the transverse
    mass and the tau pT separate the classes further, so trained methods beat the window.
    Quantities of absent jets and 15% of the masses are -999.0, as in the real files.
    """
    rng = np.random.default_rng(seed)
    signal = rng.random(n) < 0.34
    frame = pd.DataFrame(rng.normal(0.0, 1.0, (n, len(FEATURES))), columns=FEATURES)
    frame["DER_mass_MMC"] = np.where(signal, rng.normal(125, 20, n), rng.normal(91, 25, n)).clip(10)
    frame["DER_mass_transverse_met_lep"] = rng.exponential(np.where(signal, 20.0, 45.0))
    frame["PRI_tau_pt"] = 20 + rng.exponential(np.where(signal, 40.0, 20.0))
    frame["PRI_jet_num"] = rng.integers(0, 4, n)
    jets = frame["PRI_jet_num"].to_numpy()
    for column in FEATURES:
        if "jet_leading" in column:
            frame.loc[jets == 0, column] = -999.0
        elif (
            "subleading" in column
            or column.endswith("jet_jet")
            or column == "DER_lep_eta_centrality"
        ):
            frame.loc[jets <= 1, column] = -999.0
    frame.loc[rng.random(n) < 0.15, "DER_mass_MMC"] = -999.0
    weights = rng.uniform(0.5, 1.5, n)
    weights[signal] *= SIGNAL_TOTAL / weights[signal].sum()
    weights[~signal] *= BACKGROUND_TOTAL / weights[~signal].sum()
    frame.insert(0, "EventId", np.arange(100000, 100000 + n))
    frame["Weight"] = weights
    frame["Label"] = np.where(signal, "s", "b")
    return frame


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """training.csv (6,000 events) and test.csv (2,000 events, features only)."""
    directory = tmp_path_factory.mktemp("higgsml")
    events = synthetic_events(8000, seed=1)
    events.iloc[:6000].to_csv(directory / "training.csv", index=False)
    events.iloc[6000:][["EventId", *FEATURES]].to_csv(directory / "test.csv", index=False)
    return directory


def ams_twin(s: float, b: float) -> float:
    """AMS with b_reg = 10, written from the definition."""
    return math.sqrt(2 * ((s + b + 10) * math.log(1 + s / (b + 10)) - s))


def check_submission(path, test_ids) -> pd.DataFrame:
    """The submission at ``path`` is a valid Kaggle-format submission for ``test_ids``."""
    submission = pd.read_csv(path)
    assert list(submission.columns) == ["EventId", "RankOrder", "Class"]
    assert sorted(submission["EventId"]) == sorted(test_ids)
    assert sorted(submission["RankOrder"]) == list(range(1, len(test_ids) + 1))
    assert set(submission["Class"]) <= {"s", "b"}
    signal_ranks = submission.loc[submission["Class"] == "s", "RankOrder"]
    background_ranks = submission.loc[submission["Class"] == "b", "RankOrder"]
    assert signal_ranks.min() > background_ranks.max()  # the selected events rank highest
    return submission


@pytest.mark.parametrize(
    "method", ["window", pytest.param("bdt", marks=pytest.mark.slow), "xgboost"]
)
def test_each_method_writes_a_valid_submission(files, tmp_path, method):
    result = run(
        method, files / "training.csv", files / "test.csv", tmp_path / "submission.csv", seed=3
    )
    test_ids = pd.read_csv(files / "test.csv")["EventId"]
    submission = check_submission(tmp_path / "submission.csv", test_ids)
    assert result["method"] == method
    assert 0.0 < result["validation_ams"] < math.inf
    assert result["seconds"] > 0
    assert 0.0 < (submission["Class"] == "s").mean() < 1.0
    assert result["test_selected_fraction"] == pytest.approx((submission["Class"] == "s").mean())


def test_window_selects_exactly_the_mass_window(files, tmp_path):
    run("window", files / "training.csv", files / "test.csv", tmp_path / "submission.csv")
    test = pd.read_csv(files / "test.csv").set_index("EventId")
    submission = pd.read_csv(tmp_path / "submission.csv").set_index("EventId")
    inside = (test["DER_mass_MMC"] - 125).abs() < 22
    assert ((submission["Class"] == "s") == inside.reindex(submission.index)).all()


def test_window_validation_ams_estimates_the_full_training_ams(files, tmp_path):
    """Renormalised validation folds give on average the AMS of the whole training file."""
    training = pd.read_csv(files / "training.csv")
    inside = ((training["DER_mass_MMC"] - 125).abs() < 22).to_numpy()
    signal = (training["Label"] == "s").to_numpy()
    weights = training["Weight"].to_numpy()
    full = ams_twin(weights[inside & signal].sum(), weights[inside & ~signal].sum())
    result = run("window", files / "training.csv", files / "test.csv", tmp_path / "s.csv", cv=5)
    assert result["validation_ams"] == pytest.approx(full, rel=0.05)
    assert len(result["fold_ams"]) == 5
    assert result["validation_ams_std"] > 0


def test_cv_prints_mean_and_spread(files, tmp_path, capsys):
    code = main(
        ["window", "--train", str(files / "training.csv"), "--test", str(files / "test.csv"),
         "--out", str(tmp_path / "s.csv"), "--cv", "3", "--seed", "2"]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    first = out.splitlines()[0]
    assert "over 3 folds" in first
    folds = [float(x) for x in first.split("(")[1].rstrip(")").split(", ")]
    mean, spread = (
        float(x) for x in first.split("validation AMS ")[1].split(" over")[0].split(" +- ")
    )
    assert mean == pytest.approx(np.mean(folds), abs=2e-3)
    assert spread == pytest.approx(np.std(folds, ddof=1), abs=2e-3)
    check_submission(tmp_path / "s.csv", pd.read_csv(files / "test.csv")["EventId"])


def test_renormalise_sets_each_class_total():
    labels = np.array([1, 0, 1, 0, 0])
    weights = np.array([1.0, 2.0, 3.0, 4.0, 6.0])
    out = renormalise(labels, weights, (8.0, 24.0))
    assert out.tolist() == [2.0, 4.0, 6.0, 8.0, 12.0]


def test_best_cut_without_smoothing_matches_a_brute_force_scan():
    rng = np.random.default_rng(5)
    labels = (rng.random(300) < 0.3).astype(int)
    scores = rng.normal(labels * 1.0, 1.0)
    weights = np.where(labels == 1, 0.05, 1.0) * rng.uniform(0.5, 1.5, 300)
    best = max(
        ams_twin(
            weights[(scores >= cut) & (labels == 1)].sum(),
            weights[(scores >= cut) & (labels == 0)].sum(),
        )
        for cut in scores
    )
    cut = best_cut(labels, weights, scores, smoothing=0.0, confidence=0.0)
    chosen = scores > cut.threshold
    assert cut.fraction == chosen.mean()
    achieved = ams_twin(
        weights[chosen & (labels == 1)].sum(), weights[chosen & (labels == 0)].sum()
    )
    assert achieved == pytest.approx(best, rel=1e-12)


def test_rank_order_is_a_permutation_with_the_top_score_last():
    scores = np.array([0.2, 0.9, 0.2, -1.0, 0.5])
    ranks = rank_order(scores)
    assert sorted(ranks) == [1, 2, 3, 4, 5]
    assert ranks[1] == 5 and ranks[3] == 1
    assert ranks[0] < ranks[2]  # ties keep input order


def test_missing_test_feature_is_reported_with_the_file(files, tmp_path, capsys):
    test = pd.read_csv(files / "test.csv").drop(columns=["PRI_met"])
    test.to_csv(tmp_path / "bad_test.csv", index=False)
    code = main(
        ["bdt", "--train", str(files / "training.csv"), "--test", str(tmp_path / "bad_test.csv"),
         "--out", str(tmp_path / "s.csv")]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2
    assert "bad_test.csv" in err and "PRI_met" in err


def test_training_file_without_labels_is_refused(files, tmp_path, capsys):
    pd.read_csv(files / "training.csv").drop(columns=["Label"]).to_csv(
        tmp_path / "t.csv", index=False
    )
    code = main(
        ["window", "--train", str(tmp_path / "t.csv"), "--test", str(files / "test.csv"),
         "--out", str(tmp_path / "s.csv")]
    )  # fmt: skip
    assert code == 2
    assert "Label" in capsys.readouterr().err


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="unknown HiggsML baseline 'svm'"):
        run("svm", "a.csv", "b.csv", "c.csv")


def test_validation_split_scores_like_the_server(files, tmp_path):
    from fivesigma.scoring.kernels.ams import score_submission

    code = main(
        [
            "split",
            "--train",
            str(files / "training.csv"),
            "--out-dir",
            str(tmp_path),
            "--fraction",
            "0.25",
        ]
    )
    assert code == 0
    original = pd.read_csv(files / "training.csv")
    kept, test, solution = (
        pd.read_csv(tmp_path / name) for name in ("training.csv", "test.csv", "solution.csv")
    )
    assert sorted([*kept["EventId"], *test["EventId"]]) == sorted(original["EventId"])
    assert len(test) == pytest.approx(0.25 * len(original), abs=1)
    assert list(kept.columns) == list(original.columns)
    assert list(test.columns) == ["EventId", *FEATURES]
    assert (solution["EventId"] == test["EventId"]).all()
    signal = solution["Label"] == "s"
    signal_total = original.loc[original["Label"] == "s", "Weight"].sum()
    background_total = original.loc[original["Label"] == "b", "Weight"].sum()
    assert solution.loc[signal, "Weight"].sum() == pytest.approx(signal_total)
    assert solution.loc[~signal, "Weight"].sum() == pytest.approx(background_total)
    assert list(solution.columns) == ["EventId", "Label", "Weight", "KaggleSet", "Usage"]
    assert set(solution["Usage"]) == {"Public", "Private"}
    assert ((solution["KaggleSet"] == "b") == (solution["Usage"] == "Public")).all()
    read_events(tmp_path / "solution.csv")  # the platform's reader accepts the solution layout

    run("window", tmp_path / "training.csv", tmp_path / "test.csv", tmp_path / "submission.csv")
    scores = score_submission(solution, pd.read_csv(tmp_path / "submission.csv"))
    inside = ((test["DER_mass_MMC"] - 125).abs() < 22).to_numpy()
    for usage in ("Public", "Private"):
        part = (solution["Usage"] == usage).to_numpy()
        w = solution["Weight"].to_numpy() * part
        s_scale = signal_total / w[signal].sum()
        b_scale = background_total / w[~signal].sum()
        expected = ams_twin(w[inside & signal].sum() * s_scale, w[inside & ~signal].sum() * b_scale)
        assert scores[usage.lower()] == pytest.approx(expected, rel=1e-9)


def test_split_fraction_outside_zero_one_is_refused(files, tmp_path, capsys):
    assert (
        main(
            [
                "split",
                "--train",
                str(files / "training.csv"),
                "--out-dir",
                str(tmp_path),
                "--fraction",
                "1.5",
            ]
        )
        == 2
    )
    assert "--fraction" in capsys.readouterr().err


@pytest.mark.slow
def test_trained_methods_far_outperform_the_window_on_generated_events(tmp_path):
    """On simulated events (60,000 generated, 18,000 for training) both tree methods beat
    the mass window by far, as on the real data (1.5 against 3.2 and 3.7).

    Whether XGBoost beats the BDT is decided at full size (250,000 training events) in
    the benchmark: on 3,600 validation events the AMS of the best cut fluctuates by more
    than the difference between the two.
    """
    paths = generate(tmp_path, seed=11, n_events=60_000)
    ams = {
        method: run(method, paths["training"], paths["test"], tmp_path / f"{method}.csv", seed=0)[
            "validation_ams"
        ]
        for method in ("window", "bdt", "xgboost")
    }
    assert 0.5 < ams["window"] < 3.0
    assert ams["bdt"] > 1.5 * ams["window"]
    assert ams["xgboost"] > 1.5 * ams["window"]


def test_cv_with_fewer_than_two_folds_is_refused(files, tmp_path, capsys):
    code = main(
        ["window", "--train", str(files / "training.csv"), "--test", str(files / "test.csv"),
         "--out", str(tmp_path / "s.csv"), "--cv", "0"]
    )  # fmt: skip
    assert code == 2
    assert "at least 2 folds" in capsys.readouterr().err


def test_smoothed_ams_is_the_mean_over_nearby_cuts():
    rng = np.random.default_rng(8)
    labels = (rng.random(400) < 0.3).astype(int)
    scores = np.round(rng.normal(labels, 1.0), 1)  # ties: several events per cut
    curve = ams_curve(labels, rng.uniform(0.1, 2.0, 400), scores)
    smoothed = smoothed_ams(curve, half_width=12.0)
    for k in range(len(curve.ams)):
        near = [
            a
            for n, a in zip(curve.n_selected, curve.ams, strict=True)
            if abs(n - curve.n_selected[k]) <= 12.0
        ]
        assert smoothed[k] == pytest.approx(sum(near) / len(near), rel=1e-12)
    assert np.allclose(smoothed_ams(curve, 0.0), curve.ams, rtol=1e-12)


def test_best_cut_ignores_a_spike_of_one_heavy_event():
    """A single heavy signal event on top of the ranking, followed by heavy background,
    makes the highest point of the AMS curve; the smoothed choice takes the broad region
    of good cuts further down instead."""
    labels = np.array([1] + [0] * 5 + [1, 0] * 500 + [0] * 3000)
    weights = np.where(labels == 1, 0.5, 1.0)
    weights[0], weights[1:6] = 60.0, 30.0
    scores = -np.arange(len(labels), dtype=float)  # already in decreasing order
    spike = ams_twin(60.0, 0.0)
    plateau = ams_twin(60.0 + 0.5 * 500, 150.0 + 500)
    assert spike > plateau  # the plain maximum is the lone event
    plain = best_cut(labels, weights, scores, smoothing=0.0, confidence=0.0)
    assert plain.threshold == pytest.approx(-0.5)
    for confidence in (0.0, 1.0):
        threshold = best_cut(labels, weights, scores, confidence=confidence).threshold
        assert -1006 < threshold < -950  # near the end of the mixed region, below the spike


def test_cern_open_data_file_trains_on_its_training_rows_with_kaggle_weights(files, tmp_path):
    training = pd.read_csv(files / "training.csv")
    cern = training.assign(
        Weight=training["Weight"] * 3.0,  # raw weights differ from the KaggleWeight
        KaggleSet=np.where(np.arange(len(training)) < 4000, "t", "v"),
        KaggleWeight=training["Weight"],
    )
    cern.to_csv(tmp_path / "atlas-higgs-challenge-2014-v2.csv", index=False)
    training.iloc[:4000].to_csv(tmp_path / "training.csv", index=False)
    from_cern = run(
        "window",
        tmp_path / "atlas-higgs-challenge-2014-v2.csv",
        files / "test.csv",
        tmp_path / "a.csv",
    )
    from_kaggle = run("window", tmp_path / "training.csv", files / "test.csv", tmp_path / "b.csv")
    assert from_cern["n_train"] == 4000
    assert from_cern["validation_ams"] == pytest.approx(from_kaggle["validation_ams"], rel=1e-12)


def test_top_fraction_threshold_selects_the_highest_scores():
    rng = np.random.default_rng(9)
    scores = rng.normal(size=1000)
    for fraction in (0.0, 0.001, 0.15, 0.5, 1.0):
        selected = scores > top_fraction_threshold(scores, fraction)
        k = round(fraction * len(scores))
        assert selected.sum() == k
        assert set(np.flatnonzero(selected)) == set(np.argsort(-scores)[:k])


def test_ams_lower_bound_subtracts_the_statistical_spread_of_few_events():
    ams = np.array([3.0, 3.0, 3.0])
    n_signal, n_background = np.array([10, 100, 10_000]), np.array([4, 400, 40_000])
    bound = ams_lower_bound(ams, n_signal, n_background, confidence=1.0)
    for k in range(3):
        spread = math.sqrt(1 / n_signal[k] + 1 / (4 * n_background[k]))
        assert bound[k] == pytest.approx(3.0 * (1 - spread), rel=1e-12)
    assert bound[0] < bound[1] < bound[2] < 3.0
    assert np.array_equal(ams_lower_bound(ams, n_signal, n_background, 0.0), ams)


def test_best_cut_prefers_a_well_measured_cut_to_a_slightly_better_one_on_few_events():
    """Three heavy signal events alone on top of the ranking make the highest AMS; a broad
    mixed region of 800 events below reaches almost the same AMS. The plain maximum takes
    the three events, the AMS lowered by its statistical spread takes the broad region."""
    labels = np.array([1] * 3 + [0, 1] * 400 + [0] * 4000)
    weights = np.where(labels == 1, 1.0, 10.0)
    weights[:3] = 10.0
    scores = -np.arange(len(labels), dtype=float)
    tight, broad = ams_twin(30.0, 0.0), ams_twin(430.0, 4000.0)
    assert broad < tight < 1.1 * broad
    plain = best_cut(labels, weights, scores, smoothing=0.0, confidence=0.0)
    careful = best_cut(labels, weights, scores, smoothing=0.0, confidence=1.0)
    assert plain.fraction == pytest.approx(3 / len(labels))
    assert careful.fraction == pytest.approx(803 / len(labels), abs=2 / len(labels))

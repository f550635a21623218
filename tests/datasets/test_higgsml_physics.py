"""Realism of the simulated HiggsML events: distributions by process and the published AMS ladder.

On a modest sample (120,000 events); docs/datasets-higgsml.md records the full-size values.
"""

import math

import numpy as np
import pytest

from fivesigma.datasets.higgsml import FEATURES
from fivesigma.datasets.higgsml.simulation import simulate

pytestmark = pytest.mark.slow
N_EVENTS = 120_000
SIGNAL = ("ggH", "VBFH", "VH")


def ams(s: float, b: float) -> float:
    """Approximate median significance with b_reg = 10 (REFERENCE.md section 1)."""
    return math.sqrt(2.0 * ((s + b + 10.0) * math.log(1.0 + s / (b + 10.0)) - s))


def subset_ams(events, selected, subset: str) -> float:
    """AMS on one KaggleSet, with the weights renormalised per class within it."""
    rows = events["KaggleSet"].to_numpy() == subset
    weight = events["Weight"].to_numpy()[rows]
    signal = events["Label"].to_numpy()[rows] == "s"
    chosen = np.asarray(selected)[rows]
    s = weight[chosen & signal].sum() * 691.988607712 / weight[signal].sum()
    b = weight[chosen & ~signal].sum() * 410999.847322 / weight[~signal].sum()
    return ams(s, b)


@pytest.fixture(scope="module")
def sample():
    simulation = simulate(N_EVENTS, seed=11)
    return simulation.events.assign(process=simulation.process)


def by_process(sample, column, statistic, defined_only=False):
    values = sample[[column, "process"]]
    if defined_only:
        values = values[values[column] != -999.0]
    return values.groupby("process")[column].agg(statistic)


def test_ams_helper_matches_hand_values():
    assert ams(0.0, 100.0) == 0.0
    assert ams(10.0, 90.0) == pytest.approx(10.0 / math.sqrt(100.0), rel=0.05)


def test_visible_masses_peak_below_the_resonances(sample):
    median = by_process(sample, "DER_mass_vis", "median")
    assert 55.0 < median["Ztautau"] < 80.0  # below m_Z = 91 GeV: neutrinos escape
    for name in SIGNAL:
        assert median["Ztautau"] + 8.0 < median[name] < 100.0  # below m_H = 125 GeV


def test_mass_estimate_peaks_at_the_resonances(sample):
    median = by_process(sample, "DER_mass_MMC", "median", defined_only=True)
    assert 85.0 < median["Ztautau"] < 100.0
    for name in SIGNAL:
        assert 112.0 < median[name] < 132.0
    failed = by_process(sample, "DER_mass_MMC", lambda v: np.mean(v == -999.0))
    assert max(failed[name] for name in (*SIGNAL, "Ztautau")) < 0.05  # two real taus
    assert failed["Wjets"] > 0.3  # MET from a W neutrino, outside the lepton-tau wedge
    # the real file: 15.2% undefined, 26 / 10 / 6 / 7% with 0 / 1 / 2 / 3+ jets; the fit's
    # MET tolerance grows with the jet activity
    assert 0.12 < np.mean(sample["DER_mass_MMC"] == -999.0) < 0.19
    by_jets = sample.groupby("PRI_jet_num")["DER_mass_MMC"].apply(lambda v: np.mean(v == -999.0))
    assert by_jets[0] > 0.18 and by_jets[1] > by_jets[2] and max(by_jets[2], by_jets[3]) < 0.1


def test_transverse_mass_is_large_for_w_jets(sample):
    median = by_process(sample, "DER_mass_transverse_met_lep", "median")
    assert median["Wjets"] > 50.0  # Jacobian peak below m_W
    assert median["Wjets"] > 2.5 * max(median[name] for name in (*SIGNAL, "Ztautau"))
    centrality = by_process(sample, "DER_met_phi_centrality", "median")
    assert centrality["Ztautau"] > 0.5 > centrality["Wjets"]  # MET between the taus


def test_jet_multiplicity_by_process(sample):
    counts = sample.groupby("process")["PRI_jet_num"]
    none = counts.apply(lambda v: np.mean(v == 0))
    two_or_more = counts.apply(lambda v: np.mean(v >= 2))
    assert none["Ztautau"] > 0.55 and none["Wjets"] > 0.5
    assert 0.25 < none["ggH"] < none["Ztautau"] - 0.1  # gluon fusion radiates more
    assert two_or_more["VBFH"] > 0.45 and two_or_more["ttbar"] > 0.75
    overall = sample["PRI_jet_num"].value_counts(normalize=True)
    assert 0.3 < overall[0] < 0.5 and overall[3] < overall[2] < overall[1]
    pairs = sample[sample["PRI_jet_num"] >= 2].groupby("process")["DER_deltaeta_jet_jet"]
    assert pairs.median()["VBFH"] > pairs.median()["ttbar"] + 1.5  # forward tag jets


def test_mass_window_and_boosted_trees_reproduce_the_published_ladder(sample):
    xgboost = pytest.importorskip("xgboost")
    window = (sample["DER_mass_MMC"] - 125.0).abs().to_numpy() < 22.0
    window_ams = [subset_ams(sample, window, subset) for subset in ("b", "v")]
    assert all(1.3 < value < 1.85 for value in window_ams)  # published 1.545 / 1.535

    train = sample[sample["KaggleSet"] == "t"]
    label = (train["Label"] == "s").to_numpy()
    weight = train["Weight"].to_numpy().copy()
    weight[label] *= weight[~label].sum() / weight[label].sum()
    model = xgboost.train(
        {"objective": "binary:logitraw", "eta": 0.1, "max_depth": 6, "nthread": 2},
        xgboost.DMatrix(train[list(FEATURES)], label=label, weight=weight, missing=-999.0),
        num_boost_round=120,
    )
    test_rows = sample["KaggleSet"].isin(["b", "v"]).to_numpy()
    score = np.full(len(sample), -np.inf)
    score[test_rows] = model.predict(
        xgboost.DMatrix(sample.loc[test_rows, list(FEATURES)], missing=-999.0)
    )
    selected = score > np.quantile(score[test_rows], 0.85)  # top 15% of the test events
    boosted_ams = [subset_ams(sample, selected, subset) for subset in ("b", "v")]
    for boosted, simple in zip(boosted_ams, window_ams, strict=True):
        # 36,600 training events; at full size (250,000) the same settings give 3.5-3.6,
        # published XGBoost 3.6-3.7, TMVA 3.2
        assert 2.7 < boosted < 3.9
        assert boosted > simple + 1.0

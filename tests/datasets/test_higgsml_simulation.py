"""The simulated dataset: layout, determinism, Kaggle split, weights, selection and conventions."""

import numpy as np
import pandas as pd
import pytest

from fivesigma.datasets import higgsml
from fivesigma.datasets.higgsml import sample_weights
from fivesigma.datasets.higgsml.simulation import simulate

SIGNAL_TOTAL, BACKGROUND_TOTAL = 691.988607712, 410999.847322
N = 12_000


@pytest.fixture(scope="module")
def events():
    return higgsml.simulate_events(N, seed=3)


def test_layout_and_types(events):
    assert tuple(events.columns) == higgsml.CERN_COLUMNS and len(events.columns) == 35
    assert len(events) == N
    assert events["EventId"].tolist() == list(range(100000, 100000 + N))
    assert events["PRI_jet_num"].dtype == np.int64
    assert set(events["Label"]) == {"s", "b"} and set(events["KaggleSet"]) <= {"t", "b", "v", "u"}
    numeric = events[list(higgsml.FEATURES)].to_numpy(dtype=np.float64)
    assert np.isfinite(numeric).all()
    np.testing.assert_array_equal(numeric, np.round(numeric, 3))  # as written in the files


def test_deterministic_for_a_seed(events):
    pd.testing.assert_frame_equal(events, higgsml.simulate_events(N, seed=3))
    other = higgsml.simulate_events(N, seed=4)
    assert not np.array_equal(other["DER_mass_vis"], events["DER_mass_vis"])


def test_kaggle_sets_in_official_proportions(events):
    sizes = events["KaggleSet"].value_counts()
    for name, official in {"t": 250000, "b": 100000, "v": 450000, "u": 18238}.items():
        assert sizes.get(name, 0) == pytest.approx(N * official / 818238, abs=1)
    order = events["KaggleSet"].to_numpy()
    first_test = np.flatnonzero(np.isin(order, ["b", "v"]))[0]
    assert (order[:first_test] == "t").all()  # training first, then b/v mixed, then u
    assert (order[np.flatnonzero(order == "u")[0] :] == "u").all()
    for _, group in events.groupby("KaggleSet"):
        fraction = (group["Label"] == "s").mean()
        assert fraction == pytest.approx(85667 / 250000, abs=1.0 / len(group))


def test_full_size_split_is_the_official_one():
    sizes = sample_weights.set_sizes(818238)
    assert sizes == {"t": 250000, "b": 100000, "v": 450000, "u": 18238}
    assert sample_weights.signal_counts(sizes)["t"] == 85667


def test_weights_sum_to_the_official_totals(events):
    for label, total in (("s", SIGNAL_TOTAL), ("b", BACKGROUND_TOTAL)):
        mine = events["Label"] == label
        assert events.loc[mine, "Weight"].sum() == pytest.approx(total, rel=1e-12)
        for _, group in events[mine].groupby("KaggleSet"):
            assert group["KaggleWeight"].sum() == pytest.approx(total, rel=1e-12)
    assert (events["Weight"] > 0).all()
    # one weight per process, as for a Monte Carlo sample
    sim = simulate(3000, seed=1)
    per_process = pd.Series(sim.events["Weight"].to_numpy()).groupby(sim.process).nunique()
    assert (per_process == 1).all() and len(per_process) == 6


def test_selection_thresholds_and_undefined_value_conventions(events):
    assert events["PRI_lep_pt"].min() >= 26.0 and events["PRI_tau_pt"].min() >= 20.0
    assert events["PRI_lep_eta"].abs().max() <= 2.5 and events["PRI_tau_eta"].abs().max() <= 2.5
    jets = events["PRI_jet_num"]
    assert set(jets) == {0, 1, 2, 3}
    leading = ["PRI_jet_leading_pt", "PRI_jet_leading_eta", "PRI_jet_leading_phi"]
    pairs = [
        "PRI_jet_subleading_pt",
        "PRI_jet_subleading_eta",
        "PRI_jet_subleading_phi",
        "DER_deltaeta_jet_jet",
        "DER_mass_jet_jet",
        "DER_prodeta_jet_jet",
        "DER_lep_eta_centrality",
    ]
    for column in leading:
        assert ((events[column] == -999.0) == (jets == 0)).all()
    for column in pairs:
        assert ((events[column] == -999.0) == (jets <= 1)).all()
    assert (events.loc[jets >= 1, "PRI_jet_leading_pt"] >= 30.0).all()
    assert (events.loc[jets == 0, "PRI_jet_all_pt"] == 0.0).all()
    assert (events.loc[jets >= 2, "PRI_jet_subleading_pt"] >= 30.0).all()
    sum_pt = events["PRI_tau_pt"] + events["PRI_lep_pt"] + events["PRI_jet_all_pt"]
    np.testing.assert_allclose(events["DER_sum_pt"], sum_pt, atol=2e-3)
    failed = (events["DER_mass_MMC"] == -999.0).mean()
    assert 0.10 < failed < 0.20  # about 15%, as the official MMC
    assert (events["DER_mass_MMC"][events["DER_mass_MMC"] != -999.0] > 0).all()


@pytest.mark.parametrize("n", [1, 2, 7])
def test_tiny_files_keep_the_layout(n):
    events = higgsml.simulate_events(n, seed=0)
    assert len(events) == n and tuple(events.columns) == higgsml.CERN_COLUMNS


def test_rejects_a_non_positive_size():
    with pytest.raises(ValueError, match="n_events"):
        higgsml.simulate_events(0)

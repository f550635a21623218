"""The HiggsML uncertainty challenge's data: nuisance parameters on event tables, the
training set and the pseudo-experiments."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from fivesigma.datasets.higgsml import systematics as sy
from fivesigma.datasets.higgsml import uncertainty as un
from fivesigma.datasets.higgsml.features import FEATURES


@pytest.fixture(scope="module")
def train():
    return un.training_set(6000, seed=4)


def assert_met_close(got, expected):
    """Within the rounding of the files: phi to 1e-3 rad, momenta to 1e-3 GeV."""
    tolerance = 1.5e-3 * np.hypot(*expected.T) + 0.01
    assert (np.abs(got - expected).max(axis=1) <= tolerance).all()


def met_vector(table):
    return np.stack(
        [table.PRI_met * np.cos(table.PRI_met_phi), table.PRI_met * np.sin(table.PRI_met_phi)], 1
    )


def test_training_set_has_every_process_with_its_expected_yield(train):
    sums = train.groupby("Process")["Weight"].sum()
    assert set(sums.index) == set(un.SAMPLES)
    for name, expected in un.EXPECTED_EVENTS.items():
        assert sums[name] == pytest.approx(expected)
    assert sums[["ggH", "VBFH", "VH"]].sum() == pytest.approx(un.SIGNAL_EVENTS)
    assert set(train.loc[train.Process.isin(["ggH", "VBFH", "VH"]), "Label"]) == {"s"}
    assert set(train.loc[~train.Process.isin(["ggH", "VBFH", "VH"]), "Label"]) == {"b"}


def test_nominal_values_leave_the_table_unchanged(train):
    assert sy.apply_systematics(train).equals(train)


def test_derived_features_follow_their_definitions(train):
    assert np.allclose(
        train.DER_sum_pt, train.PRI_tau_pt + train.PRI_lep_pt + train.PRI_jet_all_pt, atol=2e-3
    )
    assert np.allclose(train.DER_pt_ratio_lep_tau, train.PRI_lep_pt / train.PRI_tau_pt, atol=1e-3)
    m_t = np.sqrt(
        2 * train.PRI_lep_pt * train.PRI_met * (1 - np.cos(train.PRI_lep_phi - train.PRI_met_phi))
    )
    assert np.allclose(train.DER_mass_transverse_met_lep, m_t, atol=2e-3)


def test_tau_energy_scale(train):
    shifted = sy.apply_systematics(train, tes=0.97)
    before = train.loc[shifted.index]
    assert np.allclose(shifted.PRI_tau_pt, np.round(0.97 * before.PRI_tau_pt, 3))
    # taus pushed below the 20 GeV selection leave the table, and only those
    dropped = train.drop(index=shifted.index)
    assert (0.97 * dropped.PRI_tau_pt <= 20.0005).all() and len(dropped) > 0
    assert (shifted.PRI_tau_pt > 20).all()
    # the missing ET balances the change of the tau momentum; sum ET follows it
    change = -0.03 * before.PRI_tau_pt.to_numpy()
    tau = np.stack([change * np.cos(before.PRI_tau_phi), change * np.sin(before.PRI_tau_phi)], 1)
    assert_met_close(met_vector(shifted), met_vector(before) - tau)
    assert np.allclose(shifted.PRI_met_sumet, before.PRI_met_sumet + change, atol=2e-3)
    # massless limit: m_vis^2 scales with the tau momentum
    ratio = (shifted.DER_mass_vis / before.DER_mass_vis) ** 2
    assert np.median(np.abs(ratio - 0.97)) < 2e-3
    untouched = [c for c in FEATURES if "jet" in c and c.startswith("PRI")] + [
        "PRI_lep_pt",
        "PRI_tau_eta",
    ]
    assert shifted[untouched].equals(before[untouched])


def test_jet_energy_scale(train):
    shifted = sy.apply_systematics(train, jes=0.95)
    before = train.loc[shifted.index]
    assert len(shifted) == len(train)  # no tau change, no event lost
    for jet in ("leading", "subleading"):
        kept = shifted[f"PRI_jet_{jet}_pt"] != -999.0
        assert np.allclose(
            shifted.loc[kept, f"PRI_jet_{jet}_pt"],
            np.round(0.95 * before.loc[kept, f"PRI_jet_{jet}_pt"], 3),
        )
        assert (shifted.loc[kept, f"PRI_jet_{jet}_pt"] > 30).all()
    lost_lead = (before.PRI_jet_num >= 1) & (0.95 * before.PRI_jet_leading_pt <= 30)
    assert (shifted.PRI_jet_num[lost_lead] == 0).all() and lost_lead.any()
    assert (shifted.PRI_jet_all_pt[lost_lead] == 0).all()
    two = shifted.PRI_jet_num == 2
    assert np.allclose(
        shifted.PRI_jet_all_pt[two],
        shifted.PRI_jet_leading_pt[two] + shifted.PRI_jet_subleading_pt[two],
        atol=3e-3,
    )
    undefined = shifted.PRI_jet_num < 2
    assert (
        (shifted.loc[undefined, ["DER_mass_jet_jet", "PRI_jet_subleading_eta"]] == -999.0)
        .all()
        .all()
    )
    # jets above threshold: missing ET balances the two leading jets' change
    stay = (before.PRI_jet_num == 2) & (shifted.PRI_jet_num == 2)
    change = np.zeros((stay.sum(), 2))
    for jet in ("leading", "subleading"):
        pt, phi = (
            -0.05 * before.loc[stay, f"PRI_jet_{jet}_pt"],
            before.loc[stay, f"PRI_jet_{jet}_phi"],
        )
        change += np.stack([pt * np.cos(phi), pt * np.sin(phi)], 1)
    assert_met_close(met_vector(shifted[stay]), met_vector(before[stay]) - change)


def test_soft_missing_et_noise(train):
    shifted = sy.apply_systematics(train, soft_met=4.0, seed=1)
    noise = met_vector(shifted) - met_vector(train)
    assert np.std(noise, axis=0) == pytest.approx([4.0, 4.0], rel=0.05)
    assert abs(np.mean(noise)) < 0.2
    again = sy.apply_systematics(train, soft_met=4.0, seed=1)
    assert again.equals(shifted)


def test_background_scales(train):
    scales = {"bkg_scale": 1.002, "ttbar_scale": 1.03, "diboson_scale": 0.6}
    shifted = sy.apply_systematics(train, **scales)
    expected = {name: 1.0 for name in ("ggH", "VBFH", "VH")}
    expected.update(Ztautau=1.002, Wjets=1.002, ttbar=1.002 * 1.03, diboson=1.002 * 0.6)
    for row_before, row_after in zip(train.itertuples(), shifted.itertuples(), strict=True):
        assert row_after.Weight == pytest.approx(row_before.Weight * expected[row_before.Process])


def test_bad_nuisance_values_are_refused(train):
    with pytest.raises(ValueError, match="tes=1.5 is outside"):
        sy.apply_systematics(train, tes=1.5)
    with pytest.raises(ValueError, match="lacks the feature columns \\['PRI_met'\\]"):
        sy.apply_systematics(train.drop(columns="PRI_met"))


def test_priors():
    rng = np.random.default_rng(0)
    draws = pd.DataFrame([sy.draw_nuisances(rng) for _ in range(4000)])
    for name in ("tes", "jes", "bkg_scale", "ttbar_scale"):
        n = sy.NUISANCES[name]
        assert draws[name].mean() == pytest.approx(n.nominal, abs=4 * n.sigma / math.sqrt(4000))
        assert draws[name].std() == pytest.approx(n.sigma, rel=0.05)
    assert (draws.soft_met >= 0).all()
    assert draws.soft_met.mean() == pytest.approx(3.0 * math.sqrt(2 / math.pi), rel=0.05)
    assert (draws.diboson_scale >= 0).all() and draws.diboson_scale.std() == pytest.approx(
        0.25, rel=0.07
    )


def test_diboson_events_are_w_pairs(train):
    diboson = train[train.Process == "diboson"]
    # W -> lepton nu recoils: a Jacobian-peak transverse mass, above that of Z -> tau tau
    z = train[train.Process == "Ztautau"]
    assert diboson.DER_mass_transverse_met_lep.median() > 2 * z.DER_mass_transverse_met_lep.median()
    assert diboson.DER_mass_vis.median() > z.DER_mass_vis.median()


def test_pseudo_experiments_and_files(tmp_path, monkeypatch):
    monkeypatch.setitem(un.SIZES, "demo", un.Size(3000, 3))
    paths = un.generate(tmp_path, size="demo", seed=2)
    train, test, truth = (pd.read_csv(paths[k]) for k in ("training", "test", "truth"))
    assert list(train.columns) == [*FEATURES, "Weight", "Label", "Process"]
    assert list(test.columns) == ["pseudo_experiment", *FEATURES]
    assert list(truth.columns) == list(un.TRUTH_COLUMNS)
    assert (test.groupby("pseudo_experiment").size().to_numpy() == truth.n_events.to_numpy()).all()
    assert truth.mu.between(*un.MU_RANGE).all()
    # each pseudo-experiment holds about its expected count (Poisson, before the tau threshold)
    for row in truth.itertuples():
        nuisances = {name: getattr(row, name) for name in sy.NUISANCES}
        mean = sum(un.expected_counts(row.mu, nuisances).values())
        assert abs(row.n_events - 0.995 * mean) < 5 * math.sqrt(mean)
    # the events are measured with their pseudo-experiment's tes: the features hang together
    assert np.allclose(
        test.DER_sum_pt, test.PRI_tau_pt + test.PRI_lep_pt + test.PRI_jet_all_pt, atol=2e-3
    )
    assert (test.PRI_tau_pt > 20).all()
    # a written file reads back identical to the table it was written from
    again = un.training_set(3000, seed=2)
    pd.testing.assert_frame_equal(train, again, check_dtype=False)

"""Simulated events: determinism, event sizes, spectra, hits on modules, cells."""

import numpy as np
import pandas as pd
import pytest

from fivesigma.datasets import trackml
from fivesigma.datasets.trackml.detector_geometry import detectors_frame


@pytest.fixture(scope="module")
def small():
    return trackml.simulate_event(1000, seed=11, pileup=10)


@pytest.fixture(scope="module")
def default_event():
    return trackml.simulate_event(1001, seed=0)


@pytest.fixture(scope="module")
def det():
    return detectors_frame().set_index(["volume_id", "layer_id", "module_id"])


def test_same_seed_same_event_other_seed_other_event(small):
    again = trackml.simulate_event(1000, seed=11, pileup=10)
    for name in ("hits", "cells", "particles", "truth"):
        pd.testing.assert_frame_equal(small[name], again[name], check_exact=True)
    other = trackml.simulate_event(1000, seed=12, pileup=10)
    assert not other["hits"].equals(small["hits"])
    assert not trackml.simulate_event(1002, seed=11, pileup=10)["hits"].equals(small["hits"])


def test_official_columns_and_dtypes(small):
    assert list(small["hits"].columns) == "hit_id x y z volume_id layer_id module_id".split()
    assert list(small["cells"].columns) == "hit_id ch0 ch1 value".split()
    assert list(small["particles"].columns) == "particle_id vx vy vz px py pz q nhits".split()
    assert list(small["truth"].columns) == "hit_id particle_id tx ty tz tpx tpy tpz weight".split()
    for frame in small.values():
        assert frame.hit_id.dtype == np.int64 if "hit_id" in frame else True
    assert small["truth"].particle_id.dtype == np.int64
    assert small["particles"].particle_id.dtype == np.int64


@pytest.mark.slow
def test_default_pileup_event_size_and_noise(default_event):
    hits, particles, truth = (
        default_event["hits"],
        default_event["particles"],
        default_event["truth"],
    )
    assert 100_000 <= len(hits) <= 120_000
    assert 9_000 <= len(particles) <= 12_000
    assert 0.13 <= (truth.particle_id == 0).mean() <= 0.17
    assert truth.weight.sum() == pytest.approx(1.0)


def test_hit_ids_run_one_to_n_in_random_order(small):
    hits, truth = small["hits"], small["truth"]
    assert (hits.hit_id.to_numpy() == np.arange(1, len(hits) + 1)).all()
    assert (truth.hit_id.to_numpy() == hits.hit_id.to_numpy()).all()
    # hits of one track are not numbered consecutively
    signal = truth[truth.particle_id != 0]
    tracks = signal.groupby("particle_id").hit_id.agg(
        lambda ids: np.diff(np.sort(ids)).max(initial=0)
    )
    gaps = tracks[signal.particle_id.value_counts().sort_index() >= 3] > 1
    assert gaps.mean() > 0.95


def test_nhits_matches_truth(small):
    counts = small["truth"].particle_id.value_counts()
    nhits = small["particles"].set_index("particle_id").nhits
    assert (counts.reindex(nhits.index, fill_value=0) == nhits).all()
    assert counts.drop(0).index.isin(nhits.index).all()


def local_coordinates(hits, det, xyz=("x", "y", "z")):
    mod = det.loc[list(zip(hits.volume_id, hits.layer_id, hits.module_id, strict=True))]
    d = hits[list(xyz)].to_numpy(np.float64) - mod[["cx", "cy", "cz"]].to_numpy()
    axes = {a: mod[[f"rot_x{a}", f"rot_y{a}", f"rot_z{a}"]].to_numpy() for a in ("u", "v", "w")}
    return {a: np.einsum("ij,ij->i", d, axis) for a, axis in axes.items()}, mod


def test_every_hit_lies_on_its_module(small, det):
    hits = small["hits"]
    local, mod = local_coordinates(hits, det)
    assert (np.abs(local["w"]) <= mod.module_t.to_numpy() / 2).all()
    hv = mod.module_hv.to_numpy()
    assert (np.abs(local["v"]) <= hv + mod.pitch_v.to_numpy() / 2).all()
    maxhu = mod.module_maxhu.to_numpy()
    assert (np.abs(local["u"]) <= maxhu + mod.pitch_u.to_numpy() / 2).all()


def test_hits_are_within_a_pitch_of_the_truth(small, det):
    hits, truth = small["hits"], small["truth"]
    signal = (truth.particle_id != 0).to_numpy()
    measured, mod = local_coordinates(hits[signal], det)
    true, _ = local_coordinates(
        truth[signal].assign(**hits[signal][["volume_id", "layer_id", "module_id"]]),
        det,
        ("tx", "ty", "tz"),
    )
    du = np.abs(measured["u"] - true["u"]) / mod.pitch_u.to_numpy()
    dv = np.abs(measured["v"] - true["v"]) / mod.pitch_v.to_numpy()
    assert np.median(du) < 0.5 and np.median(dv) < 0.5
    strips = mod.index.get_level_values(0) >= 12
    assert np.quantile(dv[strips], 0.99) <= 1.0  # strips: a one-strip cluster


def test_measured_position_is_the_charge_centre_of_its_cells(small, det):
    hits, cells = small["hits"], small["cells"]
    assert set(cells.hit_id) == set(hits.hit_id)
    local, mod = local_coordinates(hits, det)
    per_cell = mod.reset_index(drop=True).assign(hit_id=hits.hit_id.to_numpy())
    c = cells.merge(per_cell, on="hit_id")
    assert (c.ch0 >= 0).all() and (c.ch0 * c.pitch_u < 2 * c.module_maxhu).all()
    assert (c.ch1 >= 0).all() and (c.ch1 * c.pitch_v < 2 * c.module_hv).all()
    value = c.value.astype(np.float64)
    c["wu"] = value * ((c.ch0 + 0.5) * c.pitch_u - c.module_maxhu)
    c["wv"] = value * ((c.ch1 + 0.5) * c.pitch_v - c.module_hv)
    c["q"] = value
    sums = c.groupby("hit_id")[["wu", "wv", "q"]].sum().loc[hits.hit_id]
    assert np.abs(sums.wu / sums.q - local["u"]).max() < 1e-3
    assert np.abs(sums.wv / sums.q - local["v"]).max() < 1e-3


@pytest.mark.slow
def test_spectra_and_beam_spot(default_event):
    particles = default_event["particles"]
    primary = ((particles.particle_id.to_numpy() >> 24) & 0xFFF) == 0  # official generation bits
    p = particles[primary]
    pt = np.hypot(p.px, p.py)
    eta = np.arcsinh(p.pz / pt)
    assert 0.6 < (pt < 1.0).mean() < 0.95
    assert pt.max() > 10.0
    central = (np.abs(eta) < 1).mean()
    middle = ((np.abs(eta) > 1) & (np.abs(eta) < 2)).mean()
    assert 0.8 < central / middle < 1.25
    assert 4.0 < p.vz.std() < 7.5
    assert np.hypot(p.vx, p.vy).max() < 0.2
    secondary = particles[~primary]
    assert 0.01 < len(secondary) / len(particles) < 0.2


def test_noise_hits_have_no_particle_and_a_single_cell(small):
    truth, cells = small["truth"], small["cells"]
    noise = truth.hit_id[truth.particle_id == 0]
    assert (cells[cells.hit_id.isin(noise)].hit_id.value_counts() == 1).all()
    assert (truth.loc[truth.particle_id == 0, ["tpx", "tpy", "tpz"]] == 0).all().all()


def test_bad_arguments_are_rejected():
    with pytest.raises(ValueError, match="pileup"):
        trackml.simulate_event(1, 0, pileup=-1)
    with pytest.raises(ValueError, match="noise_fraction"):
        trackml.simulate_event(1, 0, pileup=1, noise_fraction=1.5)


def test_particle_ids_follow_the_official_bit_layout(small):
    particles = small["particles"]
    ids = particles.particle_id.to_numpy().astype(np.uint64)
    assert len(np.unique(ids)) == len(ids) and (ids > 0).all()
    vertex = ids >> np.uint64(52)
    primary_id = (ids >> np.uint64(36)) & np.uint64(0xFFFF)
    generation = (ids >> np.uint64(24)) & np.uint64(0xFFF)
    secondary_id = (ids >> np.uint64(12)) & np.uint64(0xFFF)
    assert (vertex >= 1).all() and (primary_id >= 1).all()
    primaries = generation == 0
    assert (secondary_id[primaries] == 0).all() and (secondary_id[~primaries] >= 1).all()
    # particles of one collision share its vertex position
    frame = particles[primaries].assign(vertex=vertex[primaries])
    assert (frame.groupby("vertex").vz.nunique() == 1).all()
    # a secondary starts away from the beam line, at a layer of its ancestor's collision
    secondaries = particles[~primaries]
    radius = np.hypot(secondaries.vx, secondaries.vy)
    assert ((radius > 25) | (secondaries.vz.abs() > 550)).all()

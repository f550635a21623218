"""Both TrackML baselines on toy and simulated events, scored by the official scorer."""

import numpy as np
import pandas as pd
import pytest

from fivesigma.baselines.trackml import reconstruct_event
from fivesigma.baselines.trackml.dbscan import DbscanConfig, merge_clusters, reconstruct_dbscan
from fivesigma.baselines.trackml.helix_unrolling import curvature_of, unrolled_features
from fivesigma.datasets.trackml import simulate_event
from fivesigma.scoring.kernels.weighted_accuracy import score_event
from tests.baselines.test_trackml_helices import helix_points, toy_accuracy, toy_event


def accuracy(truth, hits, track_id):
    submission = pd.DataFrame({"hit_id": hits["hit_id"], "track_id": track_id})
    score = score_event(truth, submission)
    assert score == pytest.approx(toy_accuracy(truth, track_id), abs=1e-9)  # scorer twin
    return score


@pytest.fixture(scope="module")
def low_pileup_event():
    return simulate_event(1000, seed=11, pileup=5)


def test_unrolled_features_bring_a_helix_to_one_point():
    for charge in (1, -1):
        x, y, z = helix_points(pt=0.7, phi=2.5, cot_theta=0.4, charge=charge, vz=30.0)
        r = np.hypot(x, y)
        on_layers = np.searchsorted(r, [32, 72, 116, 172, 260, 360, 500])
        points = x[on_layers], y[on_layers], z[on_layers]
        right = unrolled_features(*points, curvature_of(0.7, charge), 30.0)
        wrong = unrolled_features(*points, curvature_of(0.7, -charge), 30.0)
        assert np.ptp(right, axis=0).max() < 1e-9
        assert np.ptp(wrong[:, :2], axis=0).max() > 0.1


def test_merge_clusters_moves_hits_to_larger_clusters_only():
    labels = np.array([0, 1, 2, 3, 4])
    sizes = np.array([2, 2, 1, 1, 1])
    new = np.array([10, 10, 10, 11, -1])  # a cluster of three and a single
    merge_clusters(labels, sizes, new, max_size=20)
    assert labels.tolist() == [10, 10, 10, 3, 4] and sizes.tolist() == [3, 3, 3, 1, 1]
    merge_clusters(labels, sizes, np.array([20, 20, 20, 20, 20]), max_size=4)  # too big: ignored
    assert labels.tolist() == [10, 10, 10, 3, 4]


@pytest.mark.parametrize("method", ["seeded", "dbscan"])
def test_one_track_id_per_hit_in_hit_order(method):
    hits, truth = toy_event(120, seed=12, noise_fraction=0.1)
    track_id = reconstruct_event(hits, method)
    assert track_id.dtype == np.int64 and track_id.shape == (len(hits),)
    assert track_id.min() >= 0
    # shuffling the hits gives the same partition, in the new order
    shuffle = np.random.default_rng(0).permutation(len(hits))
    again = reconstruct_event(hits.iloc[shuffle].reset_index(drop=True), method)
    pairs = pd.crosstab(track_id[shuffle], again).astype(bool)
    assert pairs.sum(axis=1).max() == 1 and pairs.sum(axis=0).max() == 1


def test_seeded_tracker_finds_toy_helices():
    hits, truth = toy_event(300, seed=13, noise_fraction=0.1)
    assert accuracy(truth, hits, reconstruct_event(hits, "seeded")) > 0.97


def test_seeded_tracker_on_a_simulated_low_pileup_event(low_pileup_event):
    event = low_pileup_event
    track_id = reconstruct_event(event["hits"], "seeded", cells=event["cells"])
    assert accuracy(event["truth"], event["hits"], track_id) > 0.92
    without_cells = reconstruct_event(event["hits"], "seeded")
    assert accuracy(event["truth"], event["hits"], without_cells) > 0.9


def found_fraction(truth, particles, track_id, pt_low, pt_high, min_hits=5):
    """Share of the particles of pT in [pt_low, pt_high) GeV with at least ``min_hits`` hits
    that one track holds: more than half of the particle's hits, and they are more than half
    of that track's hits."""
    particle = truth["particle_id"].to_numpy()
    pt_of = np.hypot(particles["px"], particles["py"])
    pt = dict(zip(particles["particle_id"], pt_of, strict=True))
    found = []
    for p in np.unique(particle[particle != 0]):
        own = particle == p
        if own.sum() < min_hits or not pt_low <= pt[p] < pt_high:
            continue
        tracks, counts = np.unique(track_id[own], return_counts=True)
        best = np.argmax(counts)
        size = (track_id == tracks[best]).sum()
        found.append(tracks[best] != 0 and 2 * counts[best] > own.sum() and 2 * counts[best] > size)
    return len(found), float(np.mean(found))


def test_seeded_tracker_finds_low_and_high_momentum_particles(low_pileup_event):
    event = low_pileup_event
    assert (event["truth"]["hit_id"].to_numpy() == event["hits"]["hit_id"].to_numpy()).all()
    track_id = reconstruct_event(event["hits"], "seeded", cells=event["cells"])
    args = event["truth"], event["particles"], track_id
    n_slow, slow = found_fraction(*args, 0.1, 0.2)  # the loose passes' particles
    n_fast, fast = found_fraction(*args, 1.0, np.inf)
    assert n_slow >= 20 and slow >= 0.7
    assert n_fast >= 100 and fast >= 0.95


def test_dbscan_on_a_simulated_low_pileup_event(low_pileup_event):
    event = low_pileup_event
    # all curvature hypotheses: with the realistic pseudorapidity spectrum most tracks are
    # central, and a coarse scan of curvatures finds little more than the forward ones
    track_id = reconstruct_dbscan(event["hits"], DbscanConfig())
    assert accuracy(event["truth"], event["hits"], track_id) > 0.3


def test_unknown_method_is_named():
    hits, _ = toy_event(5, seed=1)
    with pytest.raises(ValueError, match="unknown method 'hough'"):
        reconstruct_event(hits, "hough")

"""Seeding pieces of the seeded tracker: grid, cluster shapes, layer triples, doublets, triplets."""

import math

import numpy as np
import pandas as pd

from fivesigma.baselines.trackml.seeded.clusters import (
    CELLS_PER_COT,
    cluster_lengths,
    cot_theta_bounds,
)
from fivesigma.baselines.trackml.seeded.grid import N_PHI, N_U, build_grid, phi_bin_range
from fivesigma.baselines.trackml.seeded.helix_fit import circle_through_three
from fivesigma.baselines.trackml.seeded.seeding import (
    SeedConfig,
    best_first_hits,
    find_doublets,
    find_triplets,
    group_by,
    join_doublets,
    origin_curvature,
    pixel_layer_triples,
    triplet_quality,
)
from fivesigma.baselines.trackml.seeded.tracker import prepare_event
from tests.baselines.test_trackml_helices import toy_event


def test_build_grid_matches_lexsort_twin():
    rng = np.random.default_rng(3)
    hits, _ = toy_event(60, seed=4)
    event = prepare_event(hits)
    # twin: sort by (layer, phi bin, u bin) with numpy
    layer = event.hit_layer
    phi_bin = np.clip(((event.hits[:, 4] + np.pi) * N_PHI / (2 * np.pi)).astype(int), 0, N_PHI - 1)
    barrel = event.geometry[layer, 0] > 0.5
    u = np.where(barrel, event.hits[:, 2], event.hits[:, 3])
    lo, hi = event.geometry[layer, 3], event.geometry[layer, 4]
    u_bin = np.clip(((u - lo) / ((hi - lo) / N_U)).astype(int), 0, N_U - 1)
    key = (layer * N_PHI + phi_bin) * N_U + u_bin
    assert np.all(np.diff(key) >= 0)  # prepare_event renumbered the hits in grid order
    counts = np.bincount(key, minlength=len(event.bin_start) - 1)
    assert np.array_equal(np.diff(event.bin_start), counts)
    # and build_grid itself is a stable sort by bin
    shuffled = rng.permutation(len(key))
    order, _ = build_grid(event.hits[shuffled], layer[shuffled], event.geometry)
    assert np.array_equal(order, np.argsort(key[shuffled], kind="stable"))


def test_phi_bin_range_wraps_round():
    first, count = phi_bin_range(math.pi - 0.01, 0.1)  # crosses +pi
    bins = {(first + k) % N_PHI for k in range(count)}
    assert {N_PHI - 1, 0} <= bins and count <= 6
    assert phi_bin_range(0.0, 4.0) == (0, N_PHI)


def test_cluster_lengths_match_pandas_twin():
    rng = np.random.default_rng(5)
    cells = pd.DataFrame({"hit_id": rng.integers(1, 40, 300), "ch1": rng.integers(0, 900, 300)})
    hit_id = np.arange(1, 45)
    twin = cells.groupby("hit_id")["ch1"].agg(lambda c: c.max() - c.min() + 1)
    want = twin.reindex(hit_id, fill_value=0).to_numpy()
    assert np.array_equal(cluster_lengths(hit_id, cells["hit_id"], cells["ch1"]), want)


def test_cot_theta_bounds_contain_the_cluster_slope():
    length = np.array([1, 4, 9, 16, 0])
    volume = np.array([8, 8, 8, 8, 8])
    low, high = cot_theta_bounds(volume, length)
    path = length / CELLS_PER_COT  # |cot theta| of a track whose path is exactly the length
    assert np.all(low[:4] <= path[:4]) and np.all(path[:3] <= high[:3])
    assert high[3] == np.inf  # a possibly truncated cluster only bounds from below
    assert (low[4], high[4]) == (0.0, np.inf)  # no cells, no bound
    assert cot_theta_bounds(np.array([13]), np.array([5]))[1][0] == np.inf  # strips: no bound


def test_origin_curvature_matches_circle_through_origin():
    rng = np.random.default_rng(6)
    for _ in range(20):
        x1, y1, x2, y2 = rng.uniform(-300, 300, 4)
        _, _, radius = circle_through_three(0.0, 0.0, x1, y1, x2, y2)
        assert math.isclose(abs(origin_curvature(x1, y1, x2, y2)), 1.0 / radius, rel_tol=1e-9)


def test_group_by_matches_argsort_twin():
    rng = np.random.default_rng(7)
    hit = rng.integers(100, 130, 200)
    permutation, start = group_by(hit, 100, 30)
    assert np.array_equal(hit[permutation], np.sort(hit))
    assert np.array_equal(np.diff(start), np.bincount(hit - 100, minlength=30))


def test_pixel_layer_triples_follow_the_barrel_and_the_disks():
    hits, _ = toy_event(400, seed=8)
    event = prepare_event(hits)
    keys = np.unique(hits["volume_id"] * 1000 + hits["layer_id"])
    triples = {tuple(keys[t]) for t in event.triples}
    with_gaps = {tuple(keys[t]) for t in event.triples_with_gaps}
    assert (8002, 8004, 8006) in triples and (8004, 8006, 8008) in triples
    assert (9002, 9004, 9006) in triples and (7014, 7012, 7010) in triples  # both end caps
    assert (8002, 8004, 8008) not in triples  # skipping one layer: only with gaps
    assert triples < with_gaps and {(8002, 8004, 8008), (8002, 8006, 8008)} <= with_gaps
    assert all(k // 1000 in (7, 8, 9) for t in with_gaps for k in t)
    assert (8008, 8006, 8004) not in with_gaps  # never inwards


def test_pixel_layer_triples_of_a_barrel_only_geometry():
    is_barrel = np.array([True, True, True])
    triples = pixel_layer_triples(
        is_barrel,
        np.ones(3, bool),
        np.array([30.0, 70.0, 110.0]),
        -np.full(3, 400.0),
        np.full(3, 400.0),
    )
    assert triples.tolist() == [[0, 1, 2]]


def test_triplets_of_a_toy_event_contain_every_particle():
    hits, truth = toy_event(200, seed=9, pt_range=(0.5, 10.0))
    event = prepare_event(hits)
    particle = truth["particle_id"].to_numpy()[event.original]
    used = np.zeros(len(event.hits), bool)
    pixel = np.isin(hits["volume_id"].to_numpy()[event.original], (7, 8, 9))
    n_pixel_layers = (
        pd.DataFrame({"p": particle[pixel], "l": event.hit_layer[pixel]})
        .groupby("p")["l"]
        .nunique()
    )
    expected = set(n_pixel_layers.index[n_pixel_layers >= 3])
    seeded = {}
    for name, triples in (("consecutive", event.triples), ("gaps", event.triples_with_gaps)):
        triplets, quality = find_triplets(
            triples, event.hits, used, event.cot_lo, event.cot_hi, event.bin_start,
            event.geometry, SeedConfig(pt_min=0.4),
        )  # fmt: skip
        assert len(triplets) == len(quality) and np.all(quality < 2.0)
        p = particle[triplets]
        true = (p[:, 0] == p[:, 1]) & (p[:, 1] == p[:, 2])
        assert true.mean() > 0.8
        seeded[name] = set(p[true, 0])
    # every particle crossing three pixel layers gets a seed made of its own hits
    assert expected <= seeded["gaps"]
    assert len(expected & seeded["consecutive"]) >= 0.97 * len(expected)


def test_join_doublets_matches_all_pairs_twin():
    hits, _ = toy_event(300, seed=25, noise_fraction=0.3, pt_range=(0.1, 5.0))
    event = prepare_event(hits)
    used = np.zeros(len(event.hits), bool)
    seed = SeedConfig(pt_min=0.1)
    a, b, c = next(t for t in event.triples if np.all(event.geometry[t, 0] > 0.5))  # barrel
    args = (used, event.cot_lo, event.cot_hi, event.bin_start, event.geometry, seed)
    ab = find_doublets(a, b, event.hits, *args)
    bc = find_doublets(b, c, event.hits, *args)
    assert np.all(np.diff(bc[0]) >= 0)  # ordered by the inner hit ...
    same_hit = np.diff(bc[0]) == 0
    assert np.all(np.diff(bc[3])[same_hit] >= 0)  # ... then by cot(theta)
    first = event.bin_start[b * N_PHI * N_U]
    n = event.bin_start[(b + 1) * N_PHI * N_U] - first
    permutation, ab_start = group_by(ab[1], first, n)
    _, bc_start = group_by(bc[0], first, n)
    triplets, quality = join_doublets(ab, permutation, ab_start, bc, bc_start, event.hits, seed)
    got = {tuple(t): q for t, q in zip(triplets.tolist(), quality, strict=True)}
    # twin: every pair of doublets sharing the middle hit, the cuts as documented
    want = {}
    kappa_min = 0.6e-3 / 100.0
    for i in range(len(ab[0])):
        for j in np.flatnonzero(bc[0] == ab[1][i]):
            kappa_ab, cot_ab, kappa_bc, cot_bc = ab[2][i], ab[3][i], bc[2][j], bc[3][j]
            kappa = max(abs(kappa_ab), abs(kappa_bc), kappa_min)
            inverse_p = min(kappa / (0.6e-3 * math.hypot(1.0, cot_ab)), 1.0 / seed.pt_min)
            if abs(kappa_ab - kappa_bc) > seed.kappa_floor + seed.kappa_gev * inverse_p:
                continue
            dip_change = 2.0 * (seed.dip_gev * inverse_p + 0.01)
            if abs(cot_bc - cot_ab) > dip_change * (1.0 + cot_ab * cot_bc):
                continue
            triplet = (ab[0][i], ab[1][i], bc[1][j])
            q = triplet_quality(event.hits, *triplet, seed)
            if q < 2.0:
                want[triplet] = q
    assert len(want) > 50 and got == want


def test_best_first_hits_match_pandas_twin():
    rng = np.random.default_rng(26)
    hit_layer = rng.integers(0, 4, 60)
    triplets = rng.integers(0, 60, (400, 3))
    quality = rng.random(400)
    kept = best_first_hits(triplets, quality, hit_layer)
    frame = pd.DataFrame(triplets, columns=["a", "b", "c"]).assign(q=quality)
    frame["layer_a"] = hit_layer[frame["a"]]
    twin = frame.sort_values("q", kind="stable").drop_duplicates(["b", "c", "layer_a"])
    assert np.array_equal(kept, twin[["a", "b", "c"]].to_numpy())

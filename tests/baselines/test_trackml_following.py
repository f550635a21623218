"""Road-following kernels of the seeded tracker against brute-force twins on toy events."""

import math

import numpy as np
import pytest

from fivesigma.baselines.trackml.seeded.following import (
    COT_SLACK,
    best_hit,
    hits_in_window,
    layer_crossing,
    next_layer,
    position_at,
    residuals,
    tangent_per_normal,
)
from fivesigma.baselines.trackml.seeded.grid import HCOT_HI, HCOT_LO
from fivesigma.baselines.trackml.seeded.helix_fit import (
    HELIX_SIZE,
    RADIUS,
    TAN_LAMBDA,
    helix_from_origin,
)
from fivesigma.baselines.trackml.seeded.tracker import prepare_event
from tests.baselines.test_trackml_helices import toy_event


@pytest.fixture(scope="module")
def toy():
    hits, truth = toy_event(150, seed=21, noise_fraction=0.2, pt_range=(0.2, 10.0))
    event = prepare_event(hits)
    particle = truth["particle_id"].to_numpy()[event.original]
    return event, particle


def particle_helices(event, particle):
    """The helix through the beam line and the first two hits of each particle, with its hits
    in order of radius."""
    for p in np.unique(particle[particle > 0]):
        own = np.flatnonzero(particle == p)
        own = own[np.argsort(event.hits[own, 3])]
        if len(own) < 4:
            continue
        (x1, y1, z1), (x2, y2, z2) = event.hits[own[0], :3], event.hits[own[1], :3]
        helix = np.empty(HELIX_SIZE)
        if helix_from_origin(x1, y1, z1, x2, y2, z2, helix):
            yield helix, own


def test_next_layer_is_the_nearest_crossing_of_all_layers(toy):
    event, particle = toy
    rng = np.random.default_rng(22)
    n_layers = len(event.geometry)
    bounds = np.empty(n_layers)
    checked = 0
    for helix, _ in particle_helices(event, particle):
        for _ in range(4):
            # anywhere on the first half turn, moving outwards or (past the turn) inwards
            s_from = rng.uniform(0.0, math.pi * helix[RADIUS])
            visited = rng.random(n_layers) < 0.3
            layer, s = next_layer(helix, event.geometry, visited, s_from, bounds)
            crossings = [
                math.inf if visited[k] else layer_crossing(helix, event.geometry, k, s_from)
                for k in range(n_layers)
            ]
            if math.isinf(min(crossings)):
                assert layer == -1 and math.isinf(s)
            else:
                assert layer == int(np.argmin(crossings)) and s == min(crossings)
                checked += 1
    assert checked > 150


def with_cluster_bounds(event, rng):
    """The event's hit table with random bounds on |cot(theta)| for a third of the hits."""
    hits = event.hits.copy()
    bounded = rng.random(len(hits)) < 0.3
    low = rng.uniform(0.0, 3.0, len(hits))
    hits[bounded, HCOT_LO] = low[bounded]
    hits[bounded, HCOT_HI] = low[bounded] + rng.uniform(0.0, 2.0, bounded.sum())
    return hits


def window_twin(event, hits, usable, layer, helix, s, w_rphi, w_u):
    """(normalised distance squared, hit) of every usable hit of ``layer`` inside the windows
    whose cluster bounds admit the helix's |cot(theta)|, nearest first: all hits looked at,
    no grid."""
    px, py, pz = position_at(helix, s)
    dx, dy, dz = tangent_per_normal(helix, event.geometry, layer, px, py)
    cot = abs(helix[TAN_LAMBDA])
    same_side = hits[:, 0] * px + hits[:, 1] * py > 0.0
    fits = (hits[:, HCOT_LO] <= cot + COT_SLACK) & (cot - COT_SLACK <= hits[:, HCOT_HI])
    inside = []
    for j in np.flatnonzero((event.hit_layer == layer) & usable & same_side & fits):
        across, along = residuals(hits, j, event.geometry, layer, px, py, pz, dx, dy, dz)
        if abs(across) < w_rphi and abs(along) < w_u:
            inside.append(((across / w_rphi) ** 2 + (along / w_u) ** 2, j))
    return sorted(inside)


def test_best_hit_is_the_nearest_and_the_nearest_on_another_module(toy):
    event, particle = toy
    rng = np.random.default_rng(23)
    hits = with_cluster_bounds(event, rng)
    module = rng.integers(0, 6, len(event.hits))  # sensors of a few modules per layer
    used = rng.random(len(event.hits)) < 0.1
    found = 0
    for helix, own in particle_helices(event, particle):
        for hit in own[2:5]:
            layer = event.hit_layer[hit]
            s = layer_crossing(helix, event.geometry, layer, 0.0)
            if not math.isfinite(s):
                continue
            w_rphi, w_u = rng.uniform(0.5, 20.0, 2)
            skip = int(module[hit]) if rng.random() < 0.3 else -1
            got = best_hit(
                hits, event.hit_layer, module, used, event.bin_start, event.geometry,
                layer, helix, s, w_rphi, w_u, skip,
            )  # fmt: skip
            inside = window_twin(
                event, hits, ~used & (module != skip), layer, helix, s, w_rphi, w_u
            )
            want = (-1, math.inf, -1, math.inf)
            if inside:
                best_chi2, best = inside[0]
                others = [(c, j) for c, j in inside if module[j] != module[best]]
                second_chi2, second = others[0] if others else (math.inf, -1)
                want = (best, best_chi2, second, second_chi2)
                found += 1
            assert got[0] == want[0] and got[2] == want[2]
            assert got[1] == pytest.approx(want[1]) and got[3] == pytest.approx(want[3])
    assert found > 100


def test_hits_in_window_are_all_the_usable_hits_inside(toy):
    event, particle = toy
    rng = np.random.default_rng(25)
    hits = with_cluster_bounds(event, rng)
    usable = rng.random(len(event.hits)) < 0.8
    found = np.empty(64, dtype=np.int64)
    chi2 = np.empty(64)
    seen = 0
    for helix, own in particle_helices(event, particle):
        for hit in own[1:4]:
            layer = event.hit_layer[hit]
            s = layer_crossing(helix, event.geometry, layer, 0.0)
            if not math.isfinite(s):
                continue
            w_rphi, w_u = rng.uniform(0.5, 40.0, 2)
            k = hits_in_window(
                hits, event.hit_layer, usable, event.bin_start, event.geometry, layer, helix,
                s, w_rphi, w_u, found, chi2,
            )  # fmt: skip
            want = window_twin(event, hits, usable, layer, helix, s, w_rphi, w_u)
            assert sorted(found[:k]) == sorted(j for _, j in want)
            assert sorted(chi2[:k]) == pytest.approx([c for c, _ in want])
            seen += k
    assert seen > 200

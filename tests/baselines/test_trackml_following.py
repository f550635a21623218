"""Road-following kernels of the seeded tracker against brute-force twins on toy events."""

import math

import numpy as np
import pytest

from fivesigma.baselines.trackml.seeded.following import (
    best_hit,
    layer_crossing,
    next_layer,
    position_at,
    residuals,
    tangent_per_normal,
)
from fivesigma.baselines.trackml.seeded.helix_fit import HELIX_SIZE, RADIUS, helix_from_origin
from fivesigma.baselines.trackml.seeded.innermost import InnermostConfig, choose_innermost_again
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


def test_best_hit_is_the_nearest_and_the_nearest_on_another_module(toy):
    event, particle = toy
    rng = np.random.default_rng(23)
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
                event.hits, event.hit_layer, module, used, event.bin_start, event.geometry,
                layer, helix, s, w_rphi, w_u, skip,
            )  # fmt: skip
            # twin: every hit of the layer on the same side of the beam line, no grid
            px, py, pz = position_at(helix, s)
            dx, dy, dz = tangent_per_normal(helix, event.geometry, layer, px, py)
            same_side = event.hits[:, 0] * px + event.hits[:, 1] * py > 0.0
            inside = []
            candidates = (event.hit_layer == layer) & ~used & (module != skip) & same_side
            for j in np.flatnonzero(candidates):
                across, along = residuals(
                    event.hits, j, event.geometry, layer, px, py, pz, dx, dy, dz
                )
                if abs(across) < w_rphi and abs(along) < w_u:
                    inside.append(((across / w_rphi) ** 2 + (along / w_u) ** 2, j))
            inside.sort()
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


def test_innermost_hit_replaced_by_the_particle_s_own():
    hits, truth = toy_event(120, seed=24, pt_range=(0.5, 10.0))
    event = prepare_event(hits)
    particle = truth["particle_id"].to_numpy()[event.original]
    used = np.zeros(len(event.hits), dtype=np.bool_)
    swapped = 0
    for _, own in particle_helices(event, particle):
        first = own[0]
        neighbours = np.flatnonzero(
            (event.hit_layer == event.hit_layer[first]) & (particle != particle[first])
        )
        distance = np.linalg.norm(event.hits[neighbours, :3] - event.hits[first, :3], axis=1)
        wrong = neighbours[np.argmin(distance)]
        track = np.concatenate([[wrong], own[1:]]).astype(np.int64)
        changed = choose_innermost_again(
            track, len(track), event.hits, event.hit_layer, event.module, used,
            event.bin_start, event.geometry, InnermostConfig(),
        )  # fmt: skip
        assert changed and track[0] == first and np.array_equal(track[1:], own[1:])
        # a track that already starts right keeps its hits
        again = own.astype(np.int64)
        assert not choose_innermost_again(
            again, len(again), event.hits, event.hit_layer, event.module, used,
            event.bin_start, event.geometry, InnermostConfig(),
        )  # fmt: skip
        swapped += 1
    assert swapped > 50

"""The seeded tracker's stages after the passes, against twins and on toy events with known
tracks: grouping hits by track, counting layers, following every track once more and
handing out the innermost hits again."""

import math

import numpy as np
import pandas as pd

from fivesigma.baselines.trackml.seeded.following import RoadConfig, hits_in_window
from fivesigma.baselines.trackml.seeded.helix_fit import HELIX_SIZE, RADIUS
from fivesigma.baselines.trackml.seeded.innermost import (
    WINDOW_SIGMAS,
    InnermostConfig,
    hits_of_tracks,
    innermost_target,
    resolve_innermost_hits,
)
from fivesigma.baselines.trackml.seeded.tracker import count_layers, extend_tracks, prepare_event
from tests.baselines.test_trackml_helices import helix_points, layer_crossings, toy_event


def toy_tracks(n_particles, seed, overlap_fraction=0.0, **kwargs):
    """A toy event in grid order and labels putting every particle on its own track (noise
    and particles of fewer than four hits on none).

    With ``overlap_fraction``, that share of the hits gets a twin 5 microns away on another
    module, as where sensors overlap. Returns (event, particle per hit, labels, number of
    labels, twin flag per hit)."""
    hits, truth = toy_event(n_particles, seed=seed, **kwargs)
    rng = np.random.default_rng(seed)
    twin_of = np.flatnonzero(rng.random(len(hits)) < overlap_fraction)
    twins = hits.iloc[twin_of].assign(z=lambda f: f["z"] + 0.005, module_id=2)
    twins["hit_id"] = np.arange(len(hits) + 1, len(hits) + len(twins) + 1)
    hits = pd.concat([hits, twins], ignore_index=True)
    particle = np.concatenate([truth["particle_id"], truth["particle_id"].to_numpy()[twin_of]])
    twin = np.arange(len(hits)) >= len(truth)
    event = prepare_event(hits)
    particle, twin = particle[event.original], twin[event.original]
    ids, counts = np.unique(particle, return_counts=True)
    kept = ids[(ids > 0) & (counts >= 4)]
    labels = np.zeros(len(particle), dtype=np.int64)
    for label, p in enumerate(kept, start=1):
        labels[particle == p] = label
    return event, particle, labels, len(kept) + 1, twin


def by_radius(event, hits):
    return hits[np.argsort(event.hits[hits, 3])]


def test_hits_of_tracks_match_a_sort_twin():
    rng = np.random.default_rng(31)
    labels = rng.integers(0, 40, 500)
    members, start = hits_of_tracks(labels, 40)
    assert start[0] == 0 and start[-1] == np.count_nonzero(labels)
    for t in range(1, 40):
        assert members[start[t] : start[t + 1]].tolist() == np.flatnonzero(labels == t).tolist()


def test_count_layers_matches_a_set_twin():
    rng = np.random.default_rng(32)
    hit_layer = rng.integers(0, 6, 200)
    for _ in range(100):
        track = rng.integers(0, 200, 32)
        n = int(rng.integers(0, 33))
        assert count_layers(track, n, hit_layer) == len(set(hit_layer[track[:n]].tolist()))


def test_extend_tracks_takes_back_outer_hits_and_overlapping_sensors():
    event, _, truth_labels, n_labels, twin = toy_tracks(
        120, seed=33, overlap_fraction=0.1, pt_range=(0.5, 10.0)
    )
    rng = np.random.default_rng(34)
    labels = np.where(twin, 0, truth_labels)  # the road missed every second sensor
    stopped = 0
    for t in range(1, n_labels):
        own = by_radius(event, np.flatnonzero(labels == t))
        if len(own) >= 7 and rng.random() < 0.5:
            labels[own[-2:]] = 0  # the road stopped two layers early
            stopped += 1
    missing = (labels == 0) & (truth_labels > 0)
    extend_tracks(
        labels, n_labels, event.hits, event.hit_layer, event.module, event.bin_start,
        event.geometry, RoadConfig(),
    )  # fmt: skip
    assert np.array_equal(labels, truth_labels)
    assert stopped > 20 and np.count_nonzero(missing & twin) > 100


def innermost_hits(event, labels, t):
    """The hits of track t on the layer of its innermost hit."""
    own = np.flatnonzero(labels == t)
    layer = event.hit_layer[own[np.argmin(event.hits[own, 3])]]
    return own[event.hit_layer[own] == layer]


def test_innermost_target_is_the_first_layer_crossed():
    event, _, labels, n_labels, _ = toy_tracks(150, seed=35, pt_range=(0.3, 10.0))
    helix = np.empty(HELIX_SIZE)
    visited = np.zeros(len(event.geometry), dtype=np.bool_)
    bounds = np.empty(len(event.geometry))
    checked = 0
    for t in range(1, n_labels):
        own = by_radius(event, np.flatnonzero(labels == t))
        if len(set(event.hit_layer[own].tolist())) < 4:
            continue
        first_layer = event.hit_layer[own[0]]
        layer, s, is_own = innermost_target(
            own, event.hits, event.hit_layer, event.geometry, helix, visited, bounds
        )
        assert layer == first_layer and is_own and math.isfinite(s)
        # without its innermost hit, the track's first layer is the one it misses
        rest = own[event.hit_layer[own] != first_layer]
        layer, s, is_own = innermost_target(
            rest, event.hits, event.hit_layer, event.geometry, helix, visited, bounds
        )
        assert layer == first_layer and not is_own
        checked += 1
    assert checked > 100


def grant_twin(event, labels, n_labels, config):
    """resolve_innermost_hits written plainly: every candidate pair (track, hit) with its
    cost, then granted cheapest first in Python."""
    labels = labels.copy()
    helices = np.empty((n_labels, HELIX_SIZE))
    visited = np.zeros(len(event.geometry), dtype=np.bool_)
    bounds = np.empty(len(event.geometry))
    usable = labels == 0
    targets = {}
    for t in range(1, n_labels):
        own = np.flatnonzero(labels == t)
        if len(own) < 3:
            continue
        layer, s, is_own = innermost_target(
            own, event.hits, event.hit_layer, event.geometry, helices[t], visited, bounds
        )
        if layer < 0:
            continue
        targets[t] = (layer, s)
        if is_own:
            on_layer = own[event.hit_layer[own] == layer]
            usable[on_layer] = True
            labels[on_layer] = 0
    pairs = []
    found, chi2 = np.empty(64, dtype=np.int64), np.empty(64)
    for t, (layer, s) in targets.items():
        pt = 0.0006 * helices[t][RADIUS]
        w_rphi = config.rphi_mm + config.rphi_gev_mm / pt
        w_u = config.u_mm + config.u_gev_mm / pt
        k = hits_in_window(
            event.hits, event.hit_layer, usable, event.bin_start, event.geometry, layer,
            helices[t], s, w_rphi, w_u, found, chi2,
        )  # fmt: skip
        for j in range(k):
            cost = 0.5 * WINDOW_SIGMAS**2 * chi2[j] + math.log(w_rphi * w_u)
            pairs.append((cost, t, int(found[j]), chi2[j]))
    pairs.sort(key=lambda p: p[0])  # the kernel's argsort is not stable: no ties here
    granted = {}
    for _, t, hit, _ in pairs:
        if labels[hit] == 0 and t not in granted:
            labels[hit] = t
            granted[t] = hit
    for _, t, hit, c in pairs:
        if labels[hit] == 0 and t in granted and c <= config.overlap_chi2:
            if event.module[hit] != event.module[granted[t]]:
                labels[hit] = t
                granted[t] = hit
    return labels


def test_innermost_hits_go_back_to_their_tracks():
    event, _, truth_labels, n_labels, twin = toy_tracks(
        200, seed=36, overlap_fraction=0.05, pt_range=(0.3, 10.0)
    )
    rng = np.random.default_rng(37)
    labels = truth_labels.copy()
    # neighbours' innermost hits swapped, some taken away
    firsts = {t: innermost_hits(event, labels, t) for t in range(1, n_labels)}
    swapped = taken = 0
    for t, mine in firsts.items():
        if len(mine) != 1 or labels[mine[0]] != t or rng.random() < 0.5:
            continue
        candidates = [
            u for u, theirs in firsts.items()
            if u != t and len(theirs) == 1 and labels[theirs[0]] == u
            and event.hit_layer[theirs[0]] == event.hit_layer[mine[0]]
        ]  # fmt: skip
        if candidates and rng.random() < 0.5:
            distance = [
                np.linalg.norm(event.hits[firsts[u][0], :3] - event.hits[mine[0], :3])
                for u in candidates
            ]
            u = candidates[int(np.argmin(distance))]
            labels[mine[0]], labels[firsts[u][0]] = u, t
            swapped += 1
        else:
            labels[mine[0]] = 0
            taken += 1
    config = InnermostConfig()
    want = grant_twin(event, labels, n_labels, config)
    resolve_innermost_hits(
        labels, n_labels, event.hits, event.hit_layer, event.module, event.bin_start,
        event.geometry, config,
    )  # fmt: skip
    assert np.array_equal(labels, want)
    assert np.array_equal(labels, truth_labels)
    assert swapped > 20 and taken > 20


def test_a_hit_goes_to_the_track_it_fits_likeliest_not_the_widest_window():
    """A 0.2 GeV track without its innermost hit passes 0.3 mm from the innermost hit of a
    5 GeV track, which sits 0.06 mm off its own track: inside the slow track's wide window
    it looks nearer (in window units), but it is far likelier on the fast one."""
    vz = 10.0
    fast = layer_crossings(*helix_points(5.0, 0.5, 0.4, 1, vz))
    ((_, _, xa, ya, za),) = [c for c in fast if c[:2] == (8, 2)]
    phi_a, r_a = math.atan2(ya, xa), math.hypot(xa, ya)

    def slow_track(phi, z0):
        return layer_crossings(*helix_points(0.2, phi, 0.4, -1, z0))

    slow = slow_track(0.5, vz)
    ((_, _, xb, yb, zb),) = [c for c in slow if c[:2] == (8, 2)]
    turn = math.atan2(yb, xb) - 0.5  # azimuth the slow track turns by on its way out to r_a
    slow = slow_track(phi_a - turn + 0.3 / r_a, vz + za - zb)
    rows = [(*c[2:], *c[:2], 1) for c in fast] + [(*c[2:], *c[:2], 2) for c in slow]
    hits = pd.DataFrame(rows, columns=["x", "y", "z", "volume_id", "layer_id", "particle"])
    innermost_fast = (hits["particle"] == 1) & (hits["volume_id"] == 8) & (hits["layer_id"] == 2)
    innermost_slow = (hits["particle"] == 2) & (hits["volume_id"] == 8) & (hits["layer_id"] == 2)
    hits = hits[~innermost_slow].reset_index(drop=True)
    innermost_fast = innermost_fast[~innermost_slow].to_numpy()
    across = np.array([-math.sin(phi_a), math.cos(phi_a)])
    hits.loc[innermost_fast, ["x", "y"]] += 0.06 * across
    hits.insert(0, "hit_id", np.arange(1, len(hits) + 1))
    hits["module_id"] = np.arange(len(hits))
    event = prepare_event(hits)
    labels = hits["particle"].to_numpy()[event.original].astype(np.int64)
    resolve_innermost_hits(
        labels, 3, event.hits, event.hit_layer, event.module, event.bin_start, event.geometry,
        InnermostConfig(),
    )  # fmt: skip
    assert labels[np.flatnonzero(innermost_fast[event.original])[0]] == 1
